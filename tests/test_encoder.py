"""Composition of every variant's encoder from the module store (the `results` fixture of
tests/conftest.py), and the user API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from test_sentence_encoding import paraphrase_rows

from modsent.modules.composition import ModularEncoder, build_encoder, compose_encoder
from modsent.store import ModuleStore, Results, modules_needed
from modsent.variants import VARIANTS

TEXTS = [row[0] for row in paraphrase_rows(False)][:8]


def encode(model, texts=TEXTS) -> np.ndarray:
    return model.encode(texts, convert_to_numpy=True)


def compose(results, variant, lang, tiny_encoder):
    return compose_encoder(variant, lang, base_model=tiny_encoder, store=results["store"],
                           full_dir=results["root"] / "full", device="cpu")


def test_every_configurable_variant_has_a_composition():
    schema_path = Path(__file__).resolve().parents[1] / "modsent" / "schemas" / "config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    assert set(schema["properties"]["variants"]["items"]["enum"]) == set(VARIANTS)


@pytest.mark.parametrize("variant, lang, expected", [
    ("base", "de", []),
    ("full_mc", "de", ["full/full_mc"]),
    ("mod_en", "de", ["modules/de/tokenizer", "modules/de/la", "modules/en/se"]),
    ("mod_m", "de", ["modules/de/tokenizer", "modules/de/la", "modules/de/se"]),
    ("mod_m", "en", ["modules/en/tokenizer", "modules/en/la", "modules/en/se"]),
    ("mod_mc_jt", "de", ["modules/de/tokenizer", "modules/de/la", "modules/de/se", "modules/de/cla-jt"]),
    ("mod_mc_pp", "en", ["modules/en/tokenizer", "modules/en/la", "modules/en/se"]),
    ("mod_mc_pl", "fr", ["modules/fr/tokenizer", "modules/fr/la", "modules/fr/se", "modules/fr/cla-pl"]),
    ("mod_c_jt", "de", ["modules/de/tokenizer", "modules/de/la", "modules/de/cla-c-jt"]),
    ("mod_c_jt", "en", ["modules/en/tokenizer", "modules/en/la", "modules/en/se"]),
    ("mod_mc_jt_allpair", "de", ["modules/de/tokenizer", "modules/de/la", "modules/de/se", "modules/de/cla-allpair"]),
    ("mod_m_no_la", "de", ["modules/base/se-de"]),
])
def test_modules_needed(variant, lang, expected):
    assert modules_needed(variant, lang, "en") == expected


def test_unknown_variant_and_missing_modules_fail_clearly(results, tiny_encoder):
    with pytest.raises(ValueError, match="mod_xyz"):
        modules_needed("mod_xyz", "de")
    with pytest.raises(FileNotFoundError, match="fr/la"):
        compose(results, "mod_m", "fr", tiny_encoder)
    with pytest.raises(FileNotFoundError, match="full_m"):
        compose(results, "full_m", "de", tiny_encoder)


def test_a_stored_language_reloads_to_identical_embeddings(results, tiny_encoder):
    trained = results["trained"]
    for variant, lang, key in [("mod_m", "de", "de"), ("mod_m", "en", "en"), ("mod_m_no_la", "de", "no_la"),
                               ("mod_mc_jt", "de", "cla")]:
        composed = compose(results, variant, lang, tiny_encoder)
        np.testing.assert_allclose(encode(composed), encode(trained[key]), atol=1e-5, err_msg=f"{variant} {lang}")


def test_each_variant_activates_its_modules(results, tiny_encoder):
    store = results["store"]
    mod_m = encode(compose(results, "mod_m", "de", tiny_encoder))
    la_only = encode(build_encoder(tiny_encoder, ModuleStore(str(store)).language_module("de"), device="cpu"))
    mod_en = encode(compose(results, "mod_en", "de", tiny_encoder))
    np.testing.assert_allclose(
        mod_en, encode(build_encoder(tiny_encoder, {**ModuleStore(str(store)).language_module("de"), "se": store / "en" / "se"})), atol=1e-6)
    mod_mc = encode(compose(results, "mod_mc_jt", "de", tiny_encoder))
    for a, b in [(mod_m, la_only), (mod_en, mod_m), (mod_mc, mod_m)]:
        assert not np.allclose(a, b, atol=1e-4)
    # The pivot never gets a CLA: every Mod variant with SE encodes English as Mod_m does.
    mod_m_en = encode(compose(results, "mod_m", "en", tiny_encoder))
    for variant in ["mod_en", "mod_mc_jt", "mod_c_jt"]:
        np.testing.assert_allclose(encode(compose(results, variant, "en", tiny_encoder)), mod_m_en, atol=1e-6)


def test_base_and_full_variants_load_whole_models(results, tiny_encoder):
    from sentence_transformers import SentenceTransformer

    base = SentenceTransformer(str(tiny_encoder), device="cpu")
    np.testing.assert_allclose(encode(compose(results, "base", "de", tiny_encoder)), encode(base), atol=1e-6)
    full = results["trained"]["de"]
    full_dir = results["root"] / "full" / "full_m"
    build_encoder(tiny_encoder, ModuleStore(str(results["store"])).language_module("de"), device="cpu").save(str(full_dir))
    loaded = compose(results, "full_m", "de", tiny_encoder)
    assert not np.allclose(encode(loaded), encode(full), atol=1e-4)  # full_m is its own model, not Mod_m
    np.testing.assert_allclose(encode(loaded), encode(SentenceTransformer(str(full_dir), device="cpu")), atol=1e-6)


def test_modular_encoder_loads_only_the_languages_asked_for(results, tiny_encoder):
    encoder = ModularEncoder(results["store"], str(tiny_encoder), variant="mod_mc_jt", device="cpu")
    german = encoder.encode(TEXTS, lang="deu_Latn")
    assert encoder.loaded_languages() == ["de"]
    np.testing.assert_allclose(german, encode(results["trained"]["cla"]), atol=1e-5)
    unit = encoder.encode(TEXTS[:3], lang="en", batch_size=2, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    assert sorted(encoder.loaded_languages()) == ["de", "en"]


def test_embed_job_encodes_once_per_distinct_encoder(results, tiny_encoder, tmp_path):
    """English is LA + SE in mod_m and mod_mc_jt, and the base model serves both languages:
    4 encoders for 6 (language, variant) caches, each equal to its own composition's output."""
    from modsent.evaluation.embeddings import embed_job, embeddings_path

    texts = tmp_path / "texts"
    texts.mkdir()
    for lang in ("en", "de"):
        (texts / f"{lang}.txt").write_text("".join(t + "\n" for t in TEXTS))
    out = tmp_path / "embeddings"
    langs = ["en", "de"]
    composed = embed_job(Results(str(results["root"])).encoders(langs, ["base", "mod_m", "mod_mc_jt"]),
                         {lang: texts / f"{lang}.txt" for lang in langs}, {lang: out / lang for lang in langs},
                         base_model=str(tiny_encoder), device="cpu")
    assert composed == 4
    for lang in ("en", "de"):
        for variant in ("base", "mod_m", "mod_mc_jt"):
            cached = np.load(embeddings_path(out, lang, variant))
            np.testing.assert_allclose(cached, encode(compose(results, variant, lang, tiny_encoder)), atol=1e-5)
    assert np.array_equal(np.load(embeddings_path(out, "en", "mod_m")), np.load(embeddings_path(out, "en", "mod_mc_jt")))
    assert not np.allclose(np.load(embeddings_path(out, "de", "mod_m")), np.load(embeddings_path(out, "de", "mod_mc_jt")))
