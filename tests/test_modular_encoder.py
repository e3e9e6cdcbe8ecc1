"""One shared base, many languages: `ModularEncoder` equals the merged composition of every
variant (on `every_module`, tests/conftest.py), loads a language's modules on first use
only, and routes mixed input."""

from __future__ import annotations

import numpy as np
import pytest
from test_encoder import TEXTS, compose, encode

from modsent.modules.composition import ModularEncoder
from modsent.variants import VARIANTS


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_shared_base_equals_the_composed_encoder(every_module, tiny_encoder, variant):
    encoder = ModularEncoder(every_module["store"], str(tiny_encoder), variant=variant, device="cpu")
    for lang in ("de", "en", "de"):  # switching back and forth
        np.testing.assert_allclose(encoder.encode(TEXTS, lang=lang), encode(compose(every_module, variant, lang, tiny_encoder)),
                                   atol=1e-5, err_msg=f"{variant} {lang}")
    body = encoder.body
    encoder.encode(TEXTS[:2], lang="en")
    assert encoder.body is body  # one base body, whatever the languages


def test_a_language_is_loaded_on_first_use_only(every_module, tiny_encoder):
    encoder = ModularEncoder(every_module["store"], str(tiny_encoder), variant="mod_mc_jt", device="cpu")
    assert encoder.loaded_languages() == []
    encoder.encode(TEXTS, lang="deu_Latn")
    assert encoder.loaded_languages() == ["de"]
    unit = encoder.encode(TEXTS[:3], lang="en", batch_size=2, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    assert encoder.loaded_languages() == ["de", "en"]
    # de's own modules: its embeddings, its LA and SE deltas and its CLA adapter
    assert encoder.module_parameters("de") > encoder.module_parameters("en") > 0


class Stub:
    """An identifier that knows the test's sentences."""

    def __init__(self, langs):
        self.langs = langs

    def predict(self, texts):
        return [self.langs[t] for t in texts]


def test_mixed_input_is_routed_and_comes_back_in_order(every_module, tiny_encoder):
    german, english = TEXTS[:3], TEXTS[3:6]
    mixed = [german[0], english[0], english[1], german[1], german[2], english[2]]
    identifier = Stub({**{t: "de" for t in german}, **{t: "en" for t in english}})
    encoder = ModularEncoder(every_module["store"], str(tiny_encoder), variant="mod_mc_jt", device="cpu",
                             identifier=identifier)
    routed = encoder.encode(mixed)
    de, en = encoder.encode(german, lang="de"), encoder.encode(english, lang="en")
    np.testing.assert_allclose(routed, np.stack([de[0], en[0], en[1], de[1], de[2], en[2]]), atol=1e-6)


def test_clear_errors(every_module, tiny_encoder):
    encoder = ModularEncoder(every_module["store"], str(tiny_encoder), variant="mod_m", device="cpu")
    with pytest.raises(FileNotFoundError, match="variant 'mod_m', language 'fr'.*fr/tokenizer"):
        encoder.encode(["bonjour"], lang="fr")
    with pytest.raises(ValueError, match="no sentences"):
        encoder.encode([], lang="de")
    with pytest.raises(ValueError, match="no language identifier"):
        encoder.encode(["hallo"])
    with pytest.raises(Exception, match="xx-unknown"):
        encoder.encode(["hallo"], lang="xx-unknown")


def test_the_stored_identifier_routes_flores_sentences(every_module, tiny_encoder):
    from test_identify import CORPORA, FLORES

    from modsent.identify import train_language_identifier

    store = every_module["store"]
    train_language_identifier({lang: CORPORA[lang] for lang in ("de", "en")}, store / "identifier")
    german = FLORES["de"].read_text(encoding="utf-8").splitlines()[:5]
    english = FLORES["en"].read_text(encoding="utf-8").splitlines()[:5]
    encoder = ModularEncoder(store, str(tiny_encoder), variant="mod_mc_jt", device="cpu")  # finds store/identifier
    assert encoder.identify(german + english) == ["de"] * 5 + ["en"] * 5
    routed = encoder.encode([s for pair in zip(german, english) for s in pair])
    np.testing.assert_allclose(routed[0::2], encoder.encode(german, lang="de"), atol=1e-6)
    np.testing.assert_allclose(routed[1::2], encoder.encode(english, lang="en"), atol=1e-6)
