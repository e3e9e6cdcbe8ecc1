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
