"""Monolingual text: local files and hub-format datasets, caps, placeholders, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from modsent.config import ConfigError, default_config_path, validate_config
from modsent.corpus import main, monolingual_spec, write_monolingual_corpus

REPO = Path(__file__).resolve().parents[1]


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


def _paper_sources(lang: str, repos: dict[str, str]) -> list[dict]:
    """The paper config's monolingual sources of `lang`, each hub id replaced by its local copy."""
    config = validate_config(yaml.safe_load((REPO / "workflow_config.yaml").read_text(encoding="utf-8")))
    sources = monolingual_spec(config, lang)["sources"]
    return [dict(s, path=repos[s["path"]]) for s in sources if s["path"] in repos]


def _gzip_jsonl(path, texts: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": t}) + "\n" for t in texts)


def test_madlad_copy_in_its_published_layout(tmp_path):
    # allenai/MADLAD-400, main: data/<lang>/<lang>_{clean,noisy}_NNNN.jsonl.gz beside the loading
    # script madlad-400.py (lower case: datasets looks for MADLAD-400.py and does not refuse
    # the repository) and the later release data-v1p5/<lang>/clean_docs_v2-*.jsonl.gz
    repo = tmp_path / "MADLAD-400"
    repo.mkdir()
    (repo / "madlad-400.py").write_text("raise SystemExit('a loading script is never run')\n")
    _gzip_jsonl(repo / "data" / "de" / "de_clean_0000.jsonl.gz", ["Erster Satz.\\nZweiter Satz.", "Dritter."])
    _gzip_jsonl(repo / "data" / "de" / "de_clean_0001.jsonl.gz", ["Vierter Satz."])
    _gzip_jsonl(repo / "data" / "de" / "de_noisy_0000.jsonl.gz", ["noisy"])
    _gzip_jsonl(repo / "data-v1p5" / "de" / "clean_docs_v2-00000-of-05000.jsonl.gz", ["v1p5"])
    out = tmp_path / "de.txt"

    write_monolingual_corpus(_paper_sources("de", {"allenai/MADLAD-400": str(repo)}), out, max_sentences=100)

    assert out.read_text(encoding="utf-8").splitlines() == ["Erster Satz.", "Zweiter Satz.", "Dritter.",
                                                            "Vierter Satz."]


def _cc100_parquet_branch(root):
    """statmt/cc100 at revision refs/convert/parquet: one folder per config; the dataset
    viewer converted a small language whole (am: am/train/0000.parquet, 0001.parquet) and
    only the first ~5 GB of a large one, as the split partial-train (de/partial-train/)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards = {"am/train/0000.parquet": ["ሰላም ለዓለም።", "ሁለተኛ ዓረፍተ ነገር።"], "am/train/0001.parquet": ["ሦስተኛ።"],
              "de/partial-train/0000.parquet": ["Guten Morgen.", "Wie geht es?"],
              "de/partial-train/0001.parquet": ["Gute Nacht."]}
    for name, texts in shards.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"id": [str(i) for i in range(len(texts))], "text": texts}), root / name)
    (root / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    return root


@pytest.mark.parametrize("lang,expected", [("am", ["ሰላም ለዓለም።", "ሁለተኛ ዓረፍተ ነገር።", "ሦስተኛ።"]),
                                           ("de", ["Guten Morgen.", "Wie geht es?", "Gute Nacht."])])
def test_cc100_parquet_branch_small_and_large_languages(tmp_path, lang, expected):
    repo = _cc100_parquet_branch(tmp_path / "cc100")
    out = tmp_path / f"{lang}.txt"

    write_monolingual_corpus(_paper_sources(lang, {"statmt/cc100": str(repo)}), out, max_sentences=100)

    assert out.read_text(encoding="utf-8").splitlines() == expected


def test_a_language_a_copy_lacks_fails_naming_the_source(tmp_path):
    repo = _cc100_parquet_branch(tmp_path / "cc100")
    with pytest.raises(RuntimeError, match=r"cc100 data_files=\['fr/train"):
        write_monolingual_corpus(_paper_sources("fr", {"statmt/cc100": str(repo)}), tmp_path / "fr.txt",
                                 max_sentences=10)
    assert not (tmp_path / "fr.txt").exists()


CC100 = {"format": "hub", "path": "statmt/cc100", "revision": "refs/convert/parquet",
         "data_files": ["{lang}/train/*.parquet", "{lang}/partial-train/*.parquet"]}


@pytest.mark.parametrize("change,lang,message", [
    ({"data_files": "{lang}/train/*.parquet"}, "de", r"publishes a language's text as data_files .*partial-train"),
    ({"revision": None}, "de", "loads only with revision 'refs/convert/parquet'"),
    ({}, "rw", "has no config 'rw'"),
    ({"path": "allenai/MADLAD-400", "revision": None, "data_files": "data/{lang}/{lang}_docs_*.jsonl.gz"}, "de",
     r"data_files \['data/\{config\}/\{config\}_clean_\*.jsonl.gz'\]"),
])
def test_a_hub_source_that_would_not_load_as_published_fails_while_planning(change, lang, message):
    source = {key: value for key, value in dict(CC100, **change).items() if value is not None}
    config = _config({"default": {"sources": [source]}})
    with pytest.raises(ConfigError, match=message):
        monolingual_spec(config, lang)


def test_the_paper_config_sources_match_what_the_hub_publishes():
    config = validate_config(yaml.safe_load((REPO / "workflow_config.yaml").read_text(encoding="utf-8")))
    for lang in config["languages"]:
        paths = [s["path"] for s in monolingual_spec(config, lang)["sources"]]
        assert paths == (["allenai/MADLAD-400"] if lang == "rw" else ["statmt/cc100", "allenai/MADLAD-400"])


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


# --- language adaptation reads its own, streamed corpus ----------------------------------

GERMAN = ["der hund läuft schnell über die grüne wiese", "die katze schläft auf dem warmen sofa",
          "ein kind liest ein spannendes buch im garten", "wir trinken morgens kaffee in der küche"]


@pytest.fixture(scope="module")
def la_inputs(tmp_path_factory, tiny_encoder):
    """Two text sources of a language, its tokenizer and random embeddings for it."""
    import torch
    from safetensors.torch import save_file

    from modsent.tokenizer import train_tokenizer

    root = tmp_path_factory.mktemp("la-corpus")
    first, second = root / "cc.txt", root / "madlad.txt.gz"
    first.write_text("\n".join(GERMAN * 10) + "\n", encoding="utf-8")
    with gzip.open(second, "wt", encoding="utf-8") as f:
        f.write("\n".join(f"{line} nummer {i}" for i, line in enumerate(GERMAN * 500)) + "\n")
    tokenizer = train_tokenizer(tiny_encoder, first, root / "tokenizer", vocab_size=100)
    embeddings = root / "embeddings.safetensors"
    save_file({"weight": torch.randn(100, 32, generator=torch.Generator().manual_seed(0)) * 0.02}, str(embeddings))
    return {"base": tiny_encoder, "tokenizer": tokenizer, "embeddings": embeddings, "sources": [
        {"path": str(first)}, {"path": str(second)}]}


def _la(la_inputs, out, spec, config, **kwargs):
    from modsent.adapt import train_language_adapter

    return train_language_adapter(la_inputs["base"], la_inputs["tokenizer"], la_inputs["embeddings"], spec, out,
                                  config=config, device="cpu", **kwargs)


def test_la_streams_its_sources_and_logs_its_epochs(la_inputs, tmp_path, caplog):
    """LA reads past the first source (no tokenizer-corpus copy), stops once it has the
    sequences its steps use, and says how many epochs over that text it makes."""
    from modsent.adapt import AdaptationConfig

    caplog.set_level("INFO", logger="modsent")
    config = AdaptationConfig(steps=20, batch_size=4, seq_len=24, checkpoint_every=100)
    out = _la(la_inputs, tmp_path / "la", {"sources": la_inputs["sources"], "max_sentences": None}, config)
    corpus = json.loads((out / "record.json").read_text())["corpus"]
    assert 40 < corpus["lines"] < 400 and not corpus["complete"]  # into the second source, not to its end
    assert corpus["chunks"] == 80 and corpus["epochs"] == 1.0  # 20 steps x 4 sequences of 22 text tokens
    assert "epochs over it (reading stopped at the sequences the steps use)" in caplog.text
    # a line cap of its own: all of those lines, several epochs over them
    capped = _la(la_inputs, tmp_path / "capped", {"sources": la_inputs["sources"], "max_sentences": 12},
                 AdaptationConfig(steps=20, batch_size=4, seq_len=24, checkpoint_every=100))
    corpus = json.loads((capped / "record.json").read_text())["corpus"]
    assert corpus["lines"] == 12 and corpus["complete"] and corpus["epochs"] > 1
    assert f"{corpus['epochs']:.2f} epochs over it (all the text given)" in caplog.text


def test_la_resumes_exactly_on_a_streamed_corpus(la_inputs, tmp_path, monkeypatch, caplog):
    import os
    import signal

    import torch
    from safetensors.torch import load_file

    from modsent import adapt
    from modsent.adapt import AdaptationConfig, TrainingInterrupted

    spec = {"sources": la_inputs["sources"], "max_sentences": 300}
    config = AdaptationConfig(steps=10, batch_size=4, seq_len=24, learning_rate=1e-3, checkpoint_every=4, seed=5)
    step, calls = adapt.AdaptationTrainer.step, []

    def terminated_at_step_6(self, input_ids):
        calls.append(1)
        if len(calls) == 6:
            os.kill(os.getpid(), signal.SIGTERM)
        return step(self, input_ids)

    torch.set_num_threads(1)
    with monkeypatch.context() as patch:
        patch.setattr(adapt.AdaptationTrainer, "step", terminated_at_step_6)
        with pytest.raises(TrainingInterrupted):
            _la(la_inputs, tmp_path / "la", spec, config, checkpoint_dir=tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "data" / "tokens.bin").is_file() and not (tmp_path / "la").exists()
    caplog.set_level("INFO", logger="modsent")
    resumed = _la(la_inputs, tmp_path / "la", spec, config, checkpoint_dir=tmp_path / "ckpt")
    assert "resumed from step 6" in caplog.text
    reference = _la(la_inputs, tmp_path / "reference", spec, config)
    for name in ("embeddings.safetensors", "lora.safetensors", "mlm_head.safetensors"):
        a, b = load_file(str(resumed / name)), load_file(str(reference / name))
        assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in b), name
    assert json.loads((resumed / "record.json").read_text())["corpus"] == \
        json.loads((reference / "record.json").read_text())["corpus"]


def test_la_spec_has_its_own_cap_and_the_same_sources():
    from modsent.corpus import language_adaptation_spec

    source = {"format": "text", "path": "modsent/resources/tiny/corpus/{lang}.txt"}
    config = _config({"default": {"sources": [source], "max_sentences": 100},
                      "de": {"sources": [source], "max_sentences": 100, "la_max_sentences": 5000}})
    for lang, cap in (("de", 5000), ("fr", None)):  # no cap of its own: LA stops at what its steps use
        spec = language_adaptation_spec(config, lang)
        assert spec == {"sources": monolingual_spec(config, lang)["sources"], "max_sentences": cap}
        assert monolingual_spec(config, lang)["max_sentences"] == 100  # the tokenizer's and FOCUS's cap
