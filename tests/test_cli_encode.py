"""`modsent encode`: sentences from a file or stdin, language given or identified, .npy or
JSONL out, clear errors; on the trained module store of tests/conftest.py (`results`)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from test_encoder import TEXTS
from test_identify import CORPORA, FLORES

from modsent.cli import main, read_sentences
from modsent.identify import train_language_identifier
from modsent.modules.composition import ModularEncoder


@pytest.fixture(scope="module")
def store(results):
    store = results["store"]
    if not (store / "identifier").exists():
        train_language_identifier({lang: CORPORA[lang] for lang in ("de", "en")}, store / "identifier")
    return store


def run(store, tiny_encoder, *args):
    return main(["encode", "--store", str(store), "--base-model", str(tiny_encoder), "--device", "cpu", *args])


def test_encode_a_file_with_a_given_language(store, tiny_encoder, tmp_path, capsys):
    text = tmp_path / "de.txt"
    text.write_text("".join(t + "\n" for t in TEXTS), encoding="utf-8")
    assert run(store, tiny_encoder, "--lang", "de", "--input", str(text), "--out", str(tmp_path / "de.npy")) == 0
    expected = ModularEncoder(store, str(tiny_encoder), device="cpu").encode(TEXTS, lang="de")
    np.testing.assert_allclose(np.load(tmp_path / "de.npy"), expected, atol=1e-6)
    err = capsys.readouterr().err
    assert f"{len(TEXTS)}/{len(TEXTS)} sentences" in err and "sentences/s" in err


def test_mixed_input_is_identified_and_kept_in_order(store, tiny_encoder, tmp_path, monkeypatch):
    german = FLORES["de"].read_text(encoding="utf-8").splitlines()[:4]
    english = FLORES["en"].read_text(encoding="utf-8").splitlines()[:4]
    mixed = [s for pair in zip(german, english) for s in pair]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(s + "\n" for s in mixed)))
    assert run(store, tiny_encoder, "--out", str(tmp_path / "mixed.jsonl")) == 0
    rows = [json.loads(line) for line in (tmp_path / "mixed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == mixed and [r["lang"] for r in rows] == ["de", "en"] * 4
    encoder = ModularEncoder(store, str(tiny_encoder), device="cpu")
    np.testing.assert_allclose(np.array([r["embedding"] for r in rows[0::2]]), encoder.encode(german, lang="de"), atol=1e-5)


def test_tsv_and_jsonl_columns(tmp_path):
    tsv = tmp_path / "in.tsv"
    tsv.write_text("id\tsentence\n1\tEin Hund.\n2\tEine Katze.\n", encoding="utf-8")
    assert read_sentences(str(tsv), "sentence") == ["Ein Hund.", "Eine Katze."]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"text": "a dog"}\n{"text": "a cat"}\n', encoding="utf-8")
    assert read_sentences(str(jsonl), "text") == ["a dog", "a cat"]
    with pytest.raises(ValueError, match="no column 'text'; columns: \\['id', 'sentence'\\]"):
        read_sentences(str(tsv), "text")
    with pytest.raises(ValueError, match="in.jsonl:2: no key 'sentence'"):
        jsonl.write_text('{"sentence": "a dog"}\n{"text": "a cat"}\n', encoding="utf-8")
        read_sentences(str(jsonl), "sentence")


def test_clear_errors(store, tiny_encoder, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    gap = tmp_path / "gap.txt"
    gap.write_text("eins\n\ndrei\n", encoding="utf-8")
    one = tmp_path / "one.txt"
    one.write_text("bonjour\n", encoding="utf-8")
    for args, message in [
        (["--lang", "de", "--input", str(empty)], "empty.txt: no sentences"),
        (["--lang", "de", "--input", str(gap)], "gap.txt:2: empty sentence"),
        (["--lang", "xx-nowhere", "--input", str(one)], "xx-nowhere"),
        (["--lang", "fr", "--input", str(one)], "language 'fr'.*missing module"),
    ]:
        assert run(store, tiny_encoder, *args, "--out", str(tmp_path / "x.npy")) == 2
        assert message.split(".*")[0] in capsys.readouterr().err, message
    assert not (tmp_path / "x.npy").exists()
