"""Config validation gaps: each is a named error (or a stated normalisation) when the config
is validated, before any job runs."""

from __future__ import annotations

import json
import logging
import shutil

import pytest
import yaml

from modsent.cli import main as cli_main
from modsent.config import (ConfigError, apply_nested_overrides, check_rule_overrides, is_hub_id, load_config,
                            validate_config)
from modsent.corpus import monolingual_spec
from workflow_helpers import REPO, write_config

TINY = REPO / "modsent" / "resources" / "tiny"


def _config(tmp_path, **changes) -> dict:
    """The embedded default config (absolute paths to the shipped tiny data) with top-level changes."""
    config = yaml.safe_load(write_config(tmp_path).read_text())
    config.update(changes)
    return config


def _text_source(path) -> dict:
    return {"sources": [{"format": "text", "path": str(path)}]}


def test_monolingual_keys_are_normalised_like_languages(tmp_path):
    french = tmp_path / "fr.txt"
    french.write_text("le chat\n", encoding="utf-8")
    config = _config(tmp_path)
    config["data"]["monolingual"]["fre"] = _text_source(french)  # ISO 639-2/B for the configured fr
    validate_config(config)
    assert set(config["data"]["monolingual"]) == {"default", "fr"}
    assert monolingual_spec(config, "fr")["sources"][0]["path"] == str(french)
    assert monolingual_spec(config, "de")["sources"][0]["path"].endswith("corpus/de.txt")  # the default


def test_monolingual_key_that_is_no_language_or_a_second_entry_fails(tmp_path):
    config = _config(tmp_path)
    config["data"]["monolingual"]["xx"] = _text_source(tmp_path / "x.txt")
    with pytest.raises(ConfigError, match=r"\['monolingual'\]\['xx'\]: unknown language code 'xx'"):
        validate_config(config)
    config = _config(tmp_path)
    config["data"]["monolingual"].update(fr=_text_source("a.txt"), fra=_text_source("b.txt"))
    with pytest.raises(ConfigError, match=r"\['monolingual'\]\['fra'\]: a second entry for fr"):
        validate_config(config)


def test_monolingual_entry_of_an_unconfigured_language_is_said_unused(tmp_path, caplog):
    config = _config(tmp_path)
    config["data"]["monolingual"]["pt"] = _text_source(tmp_path / "pt.txt")
    with caplog.at_level(logging.WARNING, logger="modsent.config"):
        validate_config(config)
    assert "['monolingual']['pt']: pt (Portuguese) is not in config['languages']" in caplog.text
    assert "pt" not in config["data"]["monolingual"]


def test_empty_variants_fail(tmp_path):
    with pytest.raises(ConfigError, match=r"config\['variants'\]: \[\] should be non-empty"):
        validate_config(_config(tmp_path, variants=[]))


def test_missing_paraphrase_files_fail(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _config(tmp_path)
    config["data"]["paraphrase"]["nli"]["path"] = str(tmp_path / "no-such.tsv")
    with pytest.raises(ConfigError, match=r"\['paraphrase'\]\['nli'\]\['path'\]: file .*no-such.tsv not found"):
        validate_config(config)
    config = _config(tmp_path)
    config["data"]["paraphrase"]["nli"] = {"format": "hub", "path": "mirror/sentence-transformers/all-nli"}
    with pytest.raises(ConfigError, match=r"\['nli'\]\['path'\]: 'mirror/sentence-transformers/all-nli' not found "
                                          r"locally, and not a hub id"):
        validate_config(config)
    config["data"]["paraphrase"]["nli"]["path"] = "sentence-transformers/all-nli"
    validate_config(config)
    config["data"]["paraphrase"]["nli"] = {"format": "nli", "path": "mirror/nyu-mll/multi_nli"}
    with pytest.raises(ConfigError, match=r"'mirror/nyu-mll/multi_nli' not found locally, and not a hub id"):
        validate_config(config)


def _model_dir(path, *files):
    path.mkdir(parents=True)
    (path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    for name in files:
        (path / "0_Transformer").mkdir(exist_ok=True)
        (path / "0_Transformer" / name).write_text("{}")
    return path


def test_local_base_model_without_tokenizer_or_weights_fails_naming_what_is_missing(tmp_path, tiny_encoder):
    bare = _model_dir(tmp_path / "bare", "config.json")
    with pytest.raises(ConfigError, match=r"0_Transformer/model.safetensors or .*0_Transformer/tokenizer.json") as err:
        validate_config(_config(tmp_path, base_model=str(bare)))
    assert "bare lacks weights (" in str(err.value) and "; a tokenizer (" in str(err.value)
    assert "config.json;" not in str(err.value)  # it is there

    no_tokenizer = tmp_path / "no-tokenizer"
    shutil.copytree(tiny_encoder, no_tokenizer)
    for name in ("tokenizer.json", "vocab.txt"):
        (no_tokenizer / name).unlink()
    with pytest.raises(ConfigError, match=r"no-tokenizer lacks a tokenizer \(tokenizer.json or vocab.txt") as err:
        validate_config(_config(tmp_path, base_model=str(no_tokenizer)))
    assert "weights" not in str(err.value)

    assert validate_config(_config(tmp_path, base_model=str(tiny_encoder)))["base_model"] == str(tiny_encoder)


@pytest.mark.parametrize("value", ["models/encoders/labse", "./labse", "../labse", "~/no-such-modsent-model",
                                   "/no/such/labse", "org/name.git"])
def test_base_model_neither_local_nor_a_hub_id_fails(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"config\['base_model'\]: .* not found locally, and not a hub id"):
        validate_config(_config(tmp_path, base_model=value))


def test_hub_ids_follow_the_hubs_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert is_hub_id("LaBSE") and is_hub_id("sentence-transformers/LaBSE")
    assert not any(map(is_hub_id, ["a/b/c", "./x", "a--b", "a..b", "-x", "x.git", "a b"]))
    assert validate_config(_config(tmp_path, base_model="sentence-transformers/LaBSE"))


def test_a_language_nllb_lacks_is_usable_with_provided_translations(tmp_path):
    xnli = {"format": "nli", "path": str(TINY / "train" / "xnli"), "splits": ["dev"]}
    config = _config(tmp_path, languages=["en", "de", "fr", "lat"])
    config["data"]["provided_translations"]["la"] = dict(xnli)
    validate_config(config)
    assert config["languages"] == ["en", "de", "fr", "la"]  # Latin: ISO 639-1 la, no NLLB-200 code
    assert "la" in config["data"]["provided_translations"]
    # without provided translations the only obstacle is MT, and the error says so
    with pytest.raises(ConfigError, match=r"NLLB-200 has no language 'la', so it cannot be machine-translated; "
                                          r"remove it or give data.provided_translations.la"):
        validate_config(_config(tmp_path, languages=["en", "de", "fr", "la"]))
    with pytest.raises(ConfigError, match="unknown language code 'qqq'"):
        validate_config(_config(tmp_path, languages=["en", "de", "fr", "qqq"]))
    # its monolingual text cannot be found by an NLLB code
    config = _config(tmp_path, languages=["en", "de", "fr", "la"])
    config["data"]["provided_translations"]["la"] = dict(xnli)
    config["data"]["monolingual"]["default"] = _text_source(tmp_path / "{nllb}.txt")
    with pytest.raises(ConfigError, match=r"\['default'\]: a source uses \{nllb\}, but NLLB-200 has no code for la "
                                          r"\(Latin\); give la an entry of its own"):
        validate_config(config)


def test_per_rule_overrides_must_name_rules():
    overrides = {"set-resources": {"train_tokenizer": {"mem_mb": 2}}, "set-threads": {"focus_embeddings": 2}}
    check_rule_overrides(overrides, ["train_tokenizer", "focus_embeddings"])
    overrides["set-threads"]["train_tokenzier"] = 2
    with pytest.raises(ConfigError, match=r"^set-threads: no rule named 'train_tokenzier'; the rules are: "
                                          r"focus_embeddings, train_tokenizer$"):
        check_rule_overrides(overrides, ["train_tokenizer", "focus_embeddings"])


def test_the_config_has_no_resources_section_of_its_own():
    """Per-rule resources are Snakemake's (set-resources); a config `resources` key is refused."""
    with pytest.raises(ConfigError, match="resources"):
        validate_config({"languages": ["en"], "base_model": "tiny-random", "resources": {"default": {"threads": 1}}},
                        workflow=False)


def test_nested_config_overrides_are_parsed_as_yaml():
    # what Snakemake makes of --config 'language_adaptation={steps: 5, compile: true}' variants=[base] seed=3
    config = {"language_adaptation": {"steps": "5", "compile": "true", "batch_size": 8}, "variants": ["base"],
              "seed": 3}
    args = ["language_adaptation={steps: 5, compile: true}", "variants=[base]", "seed=3", "base_model=a/b"]
    apply_nested_overrides(config, args)
    assert config == {"language_adaptation": {"steps": 5, "compile": True, "batch_size": 8}, "variants": ["base"],
                      "seed": 3}


def test_modsent_evaluate_accepts_an_evaluation_only_config(tmp_path, tiny_encoder):
    """No training data, no MT: what benchmarks/quality/shared_data.yaml looks like."""
    path = tmp_path / "eval-only.yaml"
    path.write_text(yaml.safe_dump({
        "languages": ["en", "de", "fr"], "base_model": "sentence-transformers/LaBSE",
        "evaluation": {"datasets": {"flores": {"format": "raw", "path": str(TINY / "eval" / "flores200")}}},
    }))
    with pytest.raises(ConfigError, match=r"paraphrase'\] is empty"):
        load_config(path)  # the workflow would need MT data
    out = tmp_path / "out"
    assert cli_main(["evaluate", "--model", str(tiny_encoder), "--config", str(path), "--out", str(out),
                     "--device", "cpu"]) == 0
    assert "flores" in (out / "scores.csv").read_text()


def test_the_shipped_evaluation_config_validates_for_modsent_evaluate():
    config = load_config(REPO / "benchmarks" / "quality" / "shared_data.yaml", workflow=False)
    assert len(config["languages"]) == 23 and "sts17" in config["evaluation"]["datasets"]


def test_mt_model_neither_local_nor_a_hub_id_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _config(tmp_path)  # fr is machine-translated
    config["translate"] = dict(config["translate"], model="mirror/facebook/nllb-200-3.3B")
    with pytest.raises(ConfigError, match=r"config\['translate'\]\['model'\]: 'mirror/facebook/nllb-200-3.3B' not found "
                                          r"locally, and not a hub id"):
        validate_config(config)
    config["translate"]["model"] = "facebook/nllb-200-3.3B"
    validate_config(config)
