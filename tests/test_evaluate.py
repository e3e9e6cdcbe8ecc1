"""`modsent evaluate` / the evaluation functions on the shipped tiny data with a tiny encoder."""

import csv

import numpy as np
import pytest
import yaml

from modsent.cli import evaluate_model, main as cli_main
from modsent.config import ConfigError, load_config, validate_config
from modsent.evaluation.embeddings import EmbeddingLookup, embeddings_path
from modsent.evaluation.scoring import score_unit, scoring_units
from modsent.evaluation.texts import open_dataset
from workflow_helpers import write_config


@pytest.fixture(scope="module")
def config_path(tmp_path_factory):
    return write_config(tmp_path_factory.mktemp("evalcfg"))


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, tiny_encoder, config_path):
    out = tmp_path_factory.mktemp("eval")
    evaluate_model(str(tiny_encoder), load_config(config_path), out, name="tiny")
    return out


def test_scores_cover_every_dataset_and_setting(evaluated, config_path):
    with open(evaluated / "scores.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    config = load_config(config_path)
    assert {r["dataset"] for r in rows} == set(config["evaluation"]["datasets"])
    keys = {(r["dataset"], r["setting"], r["metric"]) for r in rows}
    for key in [("stsb", "mono", "spearman"), ("stsb", "cross", "spearman"), ("stsb", "cross", "language_bias"),
                ("flores", "cross", "xsim"), ("flores", "cross", "rsim"), ("sib", "mono", "accuracy"),
                ("sib", "cross", "accuracy"), ("tatoeba", "cross", "xsim"), ("belebele", "mono", "accuracy")]:
        assert key in keys, key
    values = [float(r["value"]) for r in rows]
    assert all(np.isfinite(values))
    table = (evaluated / "table1.md").read_text()
    assert "| tiny |" in table and "flores" in table
    assert (evaluated / "table1.tex").is_file() and (evaluated / "details" / "stsb.md").is_file()


def test_one_embedding_file_per_dataset_and_language(evaluated, config_path):
    config = load_config(config_path)
    for name, spec in config["evaluation"]["datasets"].items():
        langs = open_dataset(name, spec, config["languages"]).languages()
        files = sorted(p.relative_to(evaluated / "embeddings" / name) for p in (evaluated / "embeddings" / name).rglob("*.npy"))
        assert files == sorted(embeddings_path("", lang, "tiny") for lang in langs), name


def flores_lookup(evaluated, variant):
    langs = [p.stem for p in (evaluated / "texts" / "flores").glob("*.txt")]
    return EmbeddingLookup({lang: evaluated / "texts" / "flores" / f"{lang}.txt" for lang in langs},
                           {lang: evaluated / "embeddings" / "flores" / lang for lang in langs}, variant)


def test_scoring_reads_only_the_cache(evaluated, config_path):
    """Scores recomputed from the cached embeddings equal the written ones (no encoder)."""
    config = load_config(config_path)
    ds = open_dataset("flores", config["evaluation"]["datasets"]["flores"], config["languages"])
    lookup = flores_lookup(evaluated, "tiny")
    unit = scoring_units(ds)[0]
    scores = {s.metric: s.value for s in score_unit(ds, unit, lookup)}
    with open(evaluated / "scores" / "tiny" / "flores" / f"{unit}.csv", newline="") as f:
        written = {r["metric"]: float(r["value"]) for r in csv.DictReader(f)}
    assert scores == pytest.approx(written, abs=1e-5)


def test_lookup_rejects_a_text_not_in_the_cache(evaluated):
    lookup = flores_lookup(evaluated, "tiny")
    with pytest.raises(KeyError, match="not in the en embedding cache"):
        lookup("en", ["a sentence nobody encoded"])


def test_lookup_names_a_variant_without_embeddings(evaluated):
    lookup = flores_lookup(evaluated, "other")
    with pytest.raises(FileNotFoundError, match="en embeddings of variant 'other'"):
        lookup("en", ["anything"])


def test_rerun_reuses_the_embedding_cache(evaluated, tiny_encoder, config_path):
    npy = next((evaluated / "embeddings" / "stsb").rglob("*.npy"))
    before = npy.stat().st_mtime_ns
    evaluate_model(str(tiny_encoder), load_config(config_path), evaluated, name="tiny")
    assert npy.stat().st_mtime_ns == before


def _config(tmp_path, **changes):
    config = yaml.safe_load(write_config(tmp_path).read_text())
    config.update(changes)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_unknown_language_fails_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="'xx'"):
        load_config(_config(tmp_path, languages=["en", "xx"]))


def test_misspelled_key_fails_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="evalution"):
        load_config(_config(tmp_path, evalution={}))


def test_pivot_must_be_configured():
    with pytest.raises(ConfigError, match="pivot"):
        validate_config({"languages": ["de", "fr"], "base_model": "x"})


def test_missing_data_file_fails_before_the_model_is_loaded(tmp_path, capsys):
    path = _config(tmp_path)
    config = yaml.safe_load(path.read_text())
    config["evaluation"]["datasets"]["flores"]["path"] = str(tmp_path / "no-such-flores")
    path.write_text(yaml.safe_dump(config))
    code = cli_main(["evaluate", "--model", str(tmp_path / "no-such-model"), "--config", str(path),
                     "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no-such-flores" in err and "no-such-model" not in err


def test_a_missing_local_base_model_fails_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="no-such-model"):
        load_config(_config(tmp_path, base_model=str(tmp_path / "no-such-model")))
    assert load_config(_config(tmp_path, base_model="sentence-transformers/LaBSE"))["base_model"]  # a hub id


def _scores(path):
    with open(path / "scores.csv", newline="") as f:
        return {(r["dataset"], r["unit"], r["metric"]): float(r["value"]) for r in csv.DictReader(f)}


def test_a_different_model_in_the_same_out_is_not_served_the_cached_embeddings(tmp_path, tiny_corpus, config_path):
    """Two models whose folders have the same name: the second gets its own embeddings and scores."""
    from modsent.tiny_models import build_tiny_encoder

    first = build_tiny_encoder(tiny_corpus, tmp_path / "a" / "encoder", vocab_size=200, seed=0)
    second = build_tiny_encoder(tiny_corpus, tmp_path / "b" / "encoder", vocab_size=200, seed=1)
    config = load_config(config_path)
    evaluate_model(str(first), config, tmp_path / "out")
    first_scores = _scores(tmp_path / "out")
    evaluate_model(str(second), config, tmp_path / "out")
    evaluate_model(str(second), config, tmp_path / "fresh")
    assert _scores(tmp_path / "out") == pytest.approx(_scores(tmp_path / "fresh"), abs=1e-6)
    assert _scores(tmp_path / "out") != pytest.approx(first_scores, abs=1e-6)  # the models do differ


def test_an_edited_data_file_is_reencoded_and_nothing_else(tmp_path, tiny_encoder, config_path):
    import shutil

    from workflow_helpers import REPO, RESOURCES

    flores = tmp_path / "flores"
    shutil.copytree(REPO / RESOURCES / "tiny" / "eval" / "flores200", flores)
    config = load_config(config_path)
    config["evaluation"]["datasets"] = {"flores": {"format": "raw", "path": str(flores), "split": "test"},
                                        "stsb": config["evaluation"]["datasets"]["stsb"]}
    out = tmp_path / "out"
    evaluate_model(str(tiny_encoder), config, out, name="tiny")
    stamps = {p: p.stat().st_mtime_ns for p in (out / "embeddings").rglob("*.npy")}
    text = (flores / "deu_Latn.devtest").read_text(encoding="utf-8").splitlines(keepends=True)
    (flores / "deu_Latn.devtest").write_text("Ein ganz neuer Satz.\n" + "".join(text[1:]), encoding="utf-8")
    evaluate_model(str(tiny_encoder), config, out, name="tiny")
    changed = sorted(str(p.relative_to(out / "embeddings")) for p, t in stamps.items() if p.stat().st_mtime_ns != t)
    assert changed == ["flores/de/tiny.npy"]
