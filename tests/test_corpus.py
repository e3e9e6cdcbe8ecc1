"""Monolingual text: local files and hub-format datasets, caps, placeholders, bad input."""

from __future__ import annotations

import gzip
import json

import pytest
import yaml

from modsent.config import ConfigError, default_config_path, validate_config
from modsent.corpus import main, monolingual_spec, write_monolingual_corpus


def _config(monolingual: dict) -> dict:
    """The embedded default config with `monolingual` as its data.monolingual section."""
    config = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    config["data"]["monolingual"] = monolingual
    return validate_config(config)


def test_local_files_in_order_up_to_the_caps(tmp_path):
    first = tmp_path / "a.txt"
    first.write_text("  one  \n\n two\nthree\n", encoding="utf-8")
    second = tmp_path / "b.txt.gz"
    with gzip.open(second, "wt", encoding="utf-8") as f:
        f.write("four\n\nfive\nsix\n")
    out = tmp_path / "corpus.txt"

    count = write_monolingual_corpus([{"path": str(first), "max_sentences": 2}, {"path": str(second)}], out,
                                     max_sentences=4)

    assert count == 4
    assert out.read_text(encoding="utf-8").splitlines() == ["one", "two", "four", "five"]


def test_hub_format_streams_a_local_repository_copy(tmp_path):
    # the layout of allenai/MADLAD-400: data/<lang>/<lang>_clean_NNNN.jsonl(.gz), a "text" column
    repo = tmp_path / "madlad"
    (repo / "data" / "de").mkdir(parents=True)
    rows = [{"text": "Erster Satz.\\nZweiter Satz.", "id": 1}, {"text": "Dritter Satz.\nVierter.", "id": 2}]
    (repo / "data" / "de" / "de_clean_0000.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = _config({"default": {"sources": [
        {"format": "hub", "path": str(repo), "data_files": "data/{lang}/{lang}_clean_*.jsonl"}]}})
    spec = monolingual_spec(config, "de")
    out = tmp_path / "de.txt"

    write_monolingual_corpus(spec["sources"], out, max_sentences=spec["max_sentences"])

    assert out.read_text(encoding="utf-8").splitlines() == ["Erster Satz.", "Zweiter Satz.", "Dritter Satz.", "Vierter."]


def test_hub_format_names_a_missing_column(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "part.jsonl").write_text(json.dumps({"content": "x"}) + "\n")
    with pytest.raises(KeyError, match="no column 'text'"):
        write_monolingual_corpus([{"format": "hub", "path": str(repo), "data_files": "part.jsonl"}],
                                 tmp_path / "out.txt", max_sentences=10)
    assert not (tmp_path / "out.txt").exists()


def test_spec_uses_the_language_entry_else_default_with_placeholders():
    config = _config({
        "default": {"sources": [{"path": "text/{lang}-{iso3}-{nllb}.txt"}]},
        "de": {"sources": [{"path": "german.txt"}], "max_sentences": 5},
    })
    assert monolingual_spec(config, "en") == {
        "sources": [{"path": "text/en-eng-eng_Latn.txt", "format": "text", "split": "train", "column": "text"}],
        "max_sentences": 10_000_000,
    }
    assert monolingual_spec(config, "de")["sources"][0]["path"] == "german.txt"
    assert monolingual_spec(config, "de")["max_sentences"] == 5


def test_spec_without_entry_or_default_fails():
    config = _config({"de": {"sources": [{"path": "german.txt"}]}})
    with pytest.raises(ConfigError, match="no entry for language 'en'"):
        monolingual_spec(config, "en")


def test_schema_rejects_a_misspelled_source_key():
    with pytest.raises(ConfigError, match="unknown key"):
        _config({"default": {"sources": [{"path": "x.txt", "data_file": "y"}]}})


def test_empty_corpus_fails_and_leaves_no_output(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n   \n", encoding="utf-8")
    out = tmp_path / "corpus.txt"
    with pytest.raises(ValueError, match="empty monolingual corpus"):
        write_monolingual_corpus([{"path": str(empty)}], out, max_sentences=10)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [empty]


def test_missing_file_fails_before_writing(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        write_monolingual_corpus([{"path": str(tmp_path / "nope.txt")}], tmp_path / "out.txt", max_sentences=1)


def test_cli(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("a\nb\nc\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    main(["--spec", json.dumps({"sources": [{"path": str(source)}], "max_sentences": 2}), "--out", str(out)])
    assert out.read_text(encoding="utf-8") == "a\nb\n"
