"""MT stage units: tiny random NLLB (built + converted here), shards, gather, checks, cuBLAS."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from modsent import translate
from modsent.config import ConfigError, check_translate_config, validate_config
from modsent.languages import nllb_language_token
from modsent.tsv import Example, FormatError, read_examples, read_table, write_examples
from modsent.translate import (
    CudaLibraryError,
    NllbTranslator,
    gather_translations,
    shard_bounds,
    translate_shard,
    unique_sentences,
    verify_alignment,
)

LONG = " ".join(["the dog runs in the park and the cat sits on the mat"] * 12)
EXAMPLES = [
    Example("s-0", "the cat sits on the mat", "a cat is on the mat", "the dog runs in the park"),
    Example("s-1", "the cat sits on the mat", "the mat has a cat on it", ""),  # repeated premise, no negative
    Example("s-2", LONG, "a dog runs", ""),  # over-long anchor
    Example("s-3", "the child reads a book", "a child is reading", "the child sleeps"),
    Example("s-4", "a man plays the guitar", "a man makes music", ""),
]


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory, tiny_corpus) -> Path:
    from modsent.tiny_models import build_tiny_nllb

    return build_tiny_nllb(tiny_corpus, tmp_path_factory.mktemp("models") / "tiny-nllb-ct2", vocab_size=120)


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "source.tsv"
    write_examples(path, EXAMPLES)
    return path


def test_tiny_nllb_is_a_converted_nllb(tiny_nllb):
    assert (tiny_nllb / "model.bin").is_file() and (tiny_nllb / "tokenizer.json").is_file()
    assert (tiny_nllb / "hf" / "model.safetensors").is_file()
    from transformers import AutoConfig, AutoTokenizer

    assert AutoConfig.from_pretrained(tiny_nllb / "hf").model_type == "m2m_100"
    tok = AutoTokenizer.from_pretrained(tiny_nllb, src_lang="eng_Latn")
    assert tok.convert_ids_to_tokens(tok("the cat")["input_ids"])[0] == "eng_Latn"
    assert {"deu_Latn", "fra_Latn", "zho_Hans"} <= set(tok.get_vocab())


def test_unique_sentences_and_shards_tile():
    sentences = unique_sentences(EXAMPLES)
    assert sentences.count("the cat sits on the mat") == 1 and "" not in sentences
    assert sentences[:4] == ["the cat sits on the mat", "a cat is on the mat", "the dog runs in the park",
                             "the mat has a cat on it"]
    for total in (0, 1, 7, 100):
        for n in (1, 3, 8):
            slices = [shard_bounds(total, k, n) for k in range(n)]
            assert slices[0][0] == 0 and slices[-1][1] == total
            assert all(a[1] == b[0] for a, b in zip(slices, slices[1:]))
    with pytest.raises(ValueError, match="shard 3"):
        shard_bounds(10, 3, 3)


def test_translator_keeps_empty_lines_and_counts_truncation(tiny_nllb):
    nt = NllbTranslator(tiny_nllb, device="cpu")
    texts = ["the cat sits", "", LONG, "", "a dog"]
    out = dict(nt.translate(texts, "de", beam_size=1, max_length=5, max_input_tokens=16))
    assert sorted(out) == list(range(len(texts)))
    assert out[1] == "" and out[3] == ""
    assert nt.stats.sentences == 3 and nt.stats.truncated == 1
    assert nt.stats.source_tokens <= 16 + 2 * 10
    assert "sentences/s" in nt.stats.summary() and "tokens/s" in nt.stats.summary()
    # output length is bounded by max_length (tokens after the forced language token)
    assert nt.stats.target_tokens <= 3 * 5


def test_translate_shards_then_gather_aligned(tiny_nllb, source, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="modsent.translate")
    shards = [tmp_path / f"shards/{k}.tsv" for k in range(3)]
    for k, path in enumerate(shards):
        translate_shard(source, tiny_nllb, path, lang="fr", shard=k, num_shards=3, beam_size=2, max_length=6,
                        max_input_tokens=24, device="cpu")
    assert "truncated 1 of" in caplog.text and "sentences/s" in caplog.text
    positions = [int(row[0]) for path in shards for row in read_table(path, translate.SHARD_COLUMNS)[1]]
    assert sorted(positions) == list(range(len(unique_sentences(EXAMPLES))))  # each unique sentence once

    out = gather_translations(source, shards, tmp_path / "fr.tsv")
    gathered = read_examples(out)
    assert [e.id for e in gathered] == [e.id for e in EXAMPLES]
    by_source = {row[1]: row[2] for path in shards for row in read_table(path)[1]}
    for english, french in zip(EXAMPLES, gathered):
        for column in ("anchor", "positive", "negative"):
            text = getattr(english, column)
            assert getattr(french, column) == (by_source[text] if text else "")
    assert verify_alignment(source, out) >= 0


def test_gather_rejects_stale_or_missing_shards(tiny_nllb, source, tmp_path):
    shards = [tmp_path / f"{k}.tsv" for k in range(2)]
    for k, path in enumerate(shards):
        translate_shard(source, tiny_nllb, path, lang="de", shard=k, num_shards=2, beam_size=1, max_length=3,
                        device="cpu")
    lines = shards[1].read_text(encoding="utf-8").split("\n")
    position, _, text = lines[2].split("\t")
    lines[2] = f"{position}\tsome other sentence\t{text}"
    shards[1].write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FormatError, match=r"1\.tsv:3: source sentence does not match"):
        gather_translations(source, shards, tmp_path / "de.tsv")
    shards[1].write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # cut short
    with pytest.raises(FormatError, match="expected"):
        gather_translations(source, shards, tmp_path / "de.tsv")
    assert not (tmp_path / "de.tsv").exists()


def test_verify_alignment_catches_misaligned_rows(source, tmp_path):
    bad = tmp_path / "bad.tsv"
    write_examples(bad, [EXAMPLES[1], EXAMPLES[0], *EXAMPLES[2:]])
    with pytest.raises(FormatError, match=r"bad\.tsv:2: id 's-1'"):
        verify_alignment(source, bad)
    write_examples(bad, [Example(e.id, "x", "y", "z") for e in EXAMPLES])  # s-1 has no negative
    with pytest.raises(FormatError, match=r"bad\.tsv:3: negative is empty"):
        verify_alignment(source, bad)
    write_examples(bad, EXAMPLES[:-1])
    with pytest.raises(FormatError, match="4 rows"):
        verify_alignment(source, bad)


def test_unknown_target_language_fails_before_loading(source, tmp_path):
    with pytest.raises(ValueError, match="NLLB-200 has no language token for 'la'"):
        translate_shard(source, tmp_path / "no-model", tmp_path / "x.tsv", lang="la")
    with pytest.raises(FileNotFoundError, match="no model.bin"):
        translate_shard(source, tmp_path / "no-model", tmp_path / "x.tsv", lang="de")


def test_registry_is_nllb200():
    """check_translate_config trusts the language registry to be exactly NLLB-200's list."""
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    from modsent.languages import all_languages

    assert {lang.nllb for lang in all_languages()} == set(FAIRSEQ_LANGUAGE_CODES)
    assert nllb_language_token("zh") == "zho_Hans" and nllb_language_token("deu") == "deu_Latn"


# validate_config checks that a raw paraphrase file exists
NLI_TSV = str(Path(__file__).resolve().parents[1] / "modsent/resources/tiny/train/paraphrase/nli.tsv")


def _config(**overrides):
    config = {"languages": ["en", "de", "fr"], "base_model": "tiny-random",
              "data": {"paraphrase": {"nli": {"format": "raw", "path": NLI_TSV}}}}
    config.update(overrides)
    return validate_config(config)


def test_check_translate_config():
    check_translate_config(_config())
    config = _config()
    config["languages"].append("la")  # Latin: not an NLLB-200 language
    with pytest.raises(ConfigError, match="NLLB-200 has no language 'la'"):
        check_translate_config(config)
    with pytest.raises(ConfigError, match=r"paraphrase'\] is empty, but \['de', 'fr', 'en'\]"):
        check_translate_config(_config(data={}))
    provided = {"format": "nli", "path": "xnli"}
    # every language (pivot included) from provided translations: no paraphrase sets needed
    config = _config(data={"provided_translations": {"eng": dict(provided), "deu": dict(provided),
                                                     "fr": dict(provided)}})
    check_translate_config(config)
    assert sorted(config["data"]["provided_translations"]) == ["de", "en", "fr"]
    # a language that is not configured (yet, or any more) keeps its entry out of the way
    unused = _config(data={"provided_translations": {"es": dict(provided)},
                           "paraphrase": {"nli": {"format": "raw", "path": NLI_TSV}}})
    check_translate_config(unused)
    assert unused["data"]["provided_translations"] == {}
    with pytest.raises(ConfigError, match=r"provided_translations'\]\['xx'\]: unknown language code"):
        check_translate_config(_config(data={"provided_translations": {"xx": provided}}))
    with pytest.raises(ConfigError, match=r"\['source'\]: a reserved name"):
        check_translate_config(_config(data={"paraphrase": {"source": {"format": "raw", "path": "s.tsv"}}}))
    with pytest.raises(ConfigError, match="unknown key"):
        _config(translate={"beam": 4})


def test_convert_with_quantization_and_run_on_the_cpu(tiny_nllb, tmp_path):
    out = translate.convert_nllb(str(tiny_nllb / "hf"), tmp_path / "fp16", quantization="float16")
    assert (out / "model.bin").stat().st_size < 0.7 * (tiny_nllb / "model.bin").stat().st_size
    assert (out / "tokenizer.json").is_file()
    nt = NllbTranslator(out, device="cpu", compute_type="float16")  # not on a CPU: falls back
    assert len(list(nt.translate(["the cat sits", "a dog"], "fr", max_length=3))) == 2


def test_convert_rejects_what_is_not_nllb(tmp_path):
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ValueError, match="not an NLLB"):
        translate.convert_nllb(str(tmp_path / "bert"), tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        translate.convert_nllb(str(tmp_path / "empty"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cublas_missing_names_the_fix(monkeypatch):
    def no_library(name, mode=0):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(translate.ctypes, "CDLL", no_library)
    monkeypatch.setattr(translate, "_cublas_dirs", lambda: [])
    with pytest.raises(CudaLibraryError, match="nvidia-cublas-cu12"):
        translate.preload_cublas12()


def test_cublas_preloaded_from_the_wheel(monkeypatch, tmp_path):
    lib = tmp_path / "site" / "nvidia" / "cublas" / "lib"
    lib.mkdir(parents=True)
    for name in ("libcublasLt.so.12", "libcublas.so.12"):
        (lib / name).write_bytes(b"")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for module in ("nvidia", "nvidia.cublas"):
        monkeypatch.delitem(__import__("sys").modules, module, raising=False)
    assert lib in translate._cublas_dirs()

    loaded = []

    def fake_cdll(name, mode=0):
        if "/" not in name:
            raise OSError("not on the system path")
        loaded.append(Path(name).name)

    monkeypatch.setattr(translate.ctypes, "CDLL", fake_cdll)
    monkeypatch.setattr(translate, "_cublas_dirs", lambda: [lib])
    assert translate.preload_cublas12() == str(lib / "libcublas.so.12")
    assert loaded == ["libcublasLt.so.12", "libcublas.so.12"]  # Lt first: cuBLAS links against it


def test_cublas_error_during_translation_names_the_fix(tiny_nllb):
    nt = NllbTranslator(tiny_nllb, device="cpu")

    class MissingCublas:
        def translate_iterable(self, *args, **kwargs):
            raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded")
            yield  # a generator, like CTranslate2's

    nt.translator = MissingCublas()
    with pytest.raises(CudaLibraryError, match=r"pip install 'modsent\[gpu\]'"):
        list(nt.translate(["the cat"], "de"))


def test_cli_shard_and_gather(tiny_nllb, source, tmp_path):
    out = tmp_path / "cli"
    for k in range(2):
        translate.main(["shard", "--source", str(source), "--model", str(tiny_nllb), "--lang", "fr", "--shard", str(k),
                        "--num-shards", "2", "--max-length", "4", "--beam-size", "1", "--device", "cpu",
                        "--out", str(out / f"{k}.tsv")])
    translate.main(["gather", "--source", str(source), "--shards", str(out / "0.tsv"), str(out / "1.tsv"),
                    "--out", str(out / "fr.tsv")])
    assert [e.id for e in read_examples(out / "fr.tsv")] == [e.id for e in EXAMPLES]
    shutil.rmtree(out)


def test_a_killed_shard_resumes_from_its_saved_chunks_and_writes_what_an_uninterrupted_run_writes(
        tiny_nllb, tmp_path, monkeypatch, caplog):
    from interruptions import Killed

    animals = ["cat", "dog", "child", "man", "bird", "woman", "horse", "boy", "girl", "fish"]
    places = ["park", "house", "garden", "city", "street", "room"]
    source = tmp_path / "source.tsv"
    write_examples(source, [Example(f"s-{i}-{j}", f"the {a} sits in the {p}", f"a {a} in a {p}" * (1 + j % 3), "")
                            for i, a in enumerate(animals) for j, p in enumerate(places)])
    options = dict(lang="de", shard=1, num_shards=2, beam_size=2, max_length=6, max_batch_tokens=16, device="cpu")
    reference = translate_shard(source, tiny_nllb, tmp_path / "reference" / "1.tsv", **options)

    out, checkpoints = tmp_path / "shards" / "1.tsv", tmp_path / "checkpoints" / "mt" / "1"
    calls = []
    translate_chunk = NllbTranslator.translate_chunk

    def killed_at_the_fourth_chunk(self, tokens, *args, **kwargs):
        calls.append(len(tokens))
        if len(calls) == 4:
            raise Killed("SIGKILL while translating the fourth chunk")
        return translate_chunk(self, tokens, *args, **kwargs)

    monkeypatch.setattr(NllbTranslator, "translate_chunk", killed_at_the_fourth_chunk)
    with pytest.raises(Killed):
        translate_shard(source, tiny_nllb, out, checkpoint_dir=checkpoints, **options)
    saved = sorted(p.name for p in checkpoints.glob("chunk-*"))
    assert saved == [f"chunk-00000{k}.tsv" for k in range(3)] and not out.exists()
    orphan = out.with_name(".1.tsv.tmp-99999")  # what a job killed while writing the shard leaves
    orphan.parent.mkdir(parents=True)
    orphan.write_text("position\tsource\ttranslation\n0\thalf", encoding="utf-8")
    # a saved chunk that does not match the source, or is not a shard table, is translated again
    lines = (checkpoints / saved[1]).read_text(encoding="utf-8").split("\n")
    position, english, text = lines[1].split("\t")
    lines[1] = f"{position}\t{english} (edited)\t{text}"
    (checkpoints / saved[1]).write_text("\n".join(lines), encoding="utf-8")
    (checkpoints / saved[2]).write_text("position\tsource\ttranslation\n12\tonly two fields\n", encoding="utf-8")

    calls.clear()
    monkeypatch.setattr(NllbTranslator, "translate_chunk", lambda self, tokens, *a, **k: calls.append(len(tokens))
                        or translate_chunk(self, tokens, *a, **k))
    caplog.set_level(logging.INFO, logger="modsent")
    translate_shard(source, tiny_nllb, out, checkpoint_dir=checkpoints, **options)
    chunks = len(calls) + 1  # all but the first, which was saved and checks out
    assert chunks >= 5 and caplog.text.count("translating this chunk again") + caplog.text.count(
        "translating it again") == 2
    assert re.search(r"resuming: \d+ of \d+ sentences already translated", caplog.text)
    assert out.read_bytes() == reference.read_bytes()
    assert not checkpoints.exists() and not orphan.exists()
    assert re.search(r"chunk \d+/\d+: \d+/\d+ sentences, [\d.]+ sentences/s, ETA", caplog.text)
