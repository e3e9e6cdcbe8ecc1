"""The shipped configs are valid, and the paper's config describes the paper's setup."""

from modsent.config import default_config_path, load_config
from modsent.languages import PAPER_LANGUAGES
from workflow_helpers import REPO


def test_paper_config_is_valid_and_has_the_papers_grid():
    config = load_config(REPO / "workflow_config.yaml")
    assert config["languages"] == list(PAPER_LANGUAGES)
    assert config["base_model"] == "sentence-transformers/LaBSE"
    # the rows of Tables 1 and 3 (all-pair pp and pl); all-pair jt is not a paper row
    assert config["variants"] == ["base", "full_en", "full_m", "full_c", "full_mc", "mod_en", "mod_m", "mod_mc_pp",
                                  "mod_mc_pl", "mod_mc_jt", "mod_m_no_la", "mod_c_jt", "mod_mc_pp_allpair",
                                  "mod_mc_pl_allpair"]
    assert config["language_adaptation"]["steps"] == 200_000
    assert config["tokenizer"]["vocab_size"] == 50_000
    assert {d: s["format"] for d, s in config["evaluation"]["datasets"].items()} == dict.fromkeys(
        ["sts17", "stsb", "sick", "str24", "sib", "flores", "tatoeba", "belebele"], "hub")


def test_embedded_default_config_is_valid_and_offline():
    config = load_config(default_config_path())
    assert config["base_model"] == "tiny-random" and config["translate"]["model"] == "tiny-random"
    assert all(s["format"] == "raw" for s in config["evaluation"]["datasets"].values())


def test_the_schema_defaults_are_the_training_stages_settings_defaults():
    """Each default is declared once, in the stage's settings dataclass: the schema's defaults
    (what a config that says nothing gets) build exactly the dataclass defaults, key for key."""
    from dataclasses import fields

    from modsent.align import AlignmentSettings
    from modsent.checkpoint import CHECKPOINT_EVERY
    from modsent.config import validate_config
    from modsent.full import FullSettings
    from modsent.sentence_encoding import SentenceEncodingSettings

    config = validate_config({"languages": ["en"], "base_model": "tiny-random"}, workflow=False)
    for section, settings in (("sentence_encoding", SentenceEncodingSettings), ("alignment", AlignmentSettings),
                              ("full", FullSettings)):
        values = dict(config[section])
        assert values.pop("checkpoint_every") == CHECKPOINT_EVERY, section
        values = {**values.pop("lora", {}), **values, "seed": config["seed"]}
        assert set(values) == {f.name for f in fields(settings)}, section
        assert settings.from_dict(values) == settings(), section


def test_the_schema_defaults_are_the_identifier_defaults():
    from dataclasses import fields

    from modsent.config import validate_config
    from modsent.identify import IdentifierSettings

    config = validate_config({"languages": ["en"], "base_model": "tiny-random"}, workflow=False)
    section = config["identifier"]
    assert set(section) | {"seed"} == {f.name for f in fields(IdentifierSettings)}
    assert IdentifierSettings.from_dict({**section, "seed": config["seed"]}) == IdentifierSettings()


def test_the_schema_defaults_are_the_language_adaptation_defaults():
    from dataclasses import fields

    from modsent.adapt import AdaptationConfig
    from modsent.config import validate_config

    config = validate_config({"languages": ["en"], "base_model": "tiny-random"}, workflow=False)
    section = config["language_adaptation"]
    assert set(section) | {"seed"} == {f.name for f in fields(AdaptationConfig)}
    assert AdaptationConfig.from_dict({**section, "seed": config["seed"]}) == AdaptationConfig()
