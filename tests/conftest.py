"""Shared fixtures: tiny random models built on the fly (no hub access needed)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]

TINY_TEXT = [
    "the cat sits on the mat", "a dog runs in the park", "the child reads a book",
    "die katze sitzt auf der matte", "ein hund läuft im park", "das kind liest ein buch",
    "le chat est assis sur le tapis", "un chien court dans le parc", "l'enfant lit un livre",
    "a man plays the guitar", "a woman cooks dinner", "the sun is shining today",
]


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(TINY_TEXT * 5) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory, tiny_corpus) -> Path:
    """A tiny random BERT sentence encoder (sentence-transformers directory)."""
    from modsent.tiny_models import build_tiny_encoder

    return build_tiny_encoder(tiny_corpus, tmp_path_factory.mktemp("models") / "tiny-encoder", vocab_size=200)


@pytest.fixture(scope="module")
def results(tmp_path_factory, tiny_encoder) -> dict:
    """A trained module store (tests/test_encoder.py, tests/test_modular_encoder.py): results/
    with LA for de and en, SE for both, an SE w/o LA for de and a CLA (jt) for de.

    Returns the root and the in-memory encoders as training left them.
    """
    import torch
    from test_sentence_encoding import FAST, paraphrase_rows, write_language_store, write_view

    from modsent.modules.alignment import add_alignment_adapter, save_alignment_adapter
    from modsent.modules.composition import compose_encoder
    from modsent.sentence_encoding import train_sentence_encoder
    from modsent.store import ModuleStore

    root = tmp_path_factory.mktemp("results")
    store = root / "modules"
    data = write_view(root / "train" / "mono.tsv", paraphrase_rows(with_negatives=True))
    trained = {}
    for seed, lang in enumerate(["en", "de"]):
        write_language_store(tiny_encoder, store, lang, seed=seed)
        trained[lang] = train_sentence_encoder(tiny_encoder, data, store / lang / "se",
                                               language_module=ModuleStore(str(store)).language_module(lang),
                                               settings=replace(FAST, epochs=2), device="cpu")
    trained["no_la"] = train_sentence_encoder(tiny_encoder, data, store / "base" / "se-de",
                                              settings=replace(FAST, epochs=2), device="cpu")
    model = compose_encoder("mod_m", "de", base_model=tiny_encoder, store=store, device="cpu")
    add_alignment_adapter(model)
    torch.manual_seed(0)
    with torch.no_grad():  # a fresh adapter is the identity (zero up-projection): make it act
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.normal_(0, 0.3)
    model.eval()
    trained["cla"] = model
    save_alignment_adapter(model, store / "de" / "cla-jt", {"seconds": 3.0})
    return {"root": root, "store": store, "trained": trained}


@pytest.fixture(scope="module")
def every_module(results, tiny_encoder, tmp_path_factory):
    """The fixture store with a CLA of every kind (copies of de's jt adapter: the format is one),
    an SE w/o LA for en and a full model for every full variant, so that every grid row composes."""
    import shutil

    from modsent.modules.composition import build_encoder
    from modsent.store import ModuleStore
    from modsent.variants import VARIANTS

    root = tmp_path_factory.mktemp("every") / "results"
    shutil.copytree(results["root"], root)
    store = root / "modules"
    for kind in ("pp", "pl", "c-jt", "allpair", "allpair-pp", "allpair-pl"):
        shutil.copytree(store / "de" / "cla-jt", store / "de" / f"cla-{kind}")
    shutil.copytree(store / "base" / "se-de", store / "base" / "se-en")  # Mod_m w/o LA of the pivot
    for seed, variant in enumerate(v for v in VARIANTS if VARIANTS[v].full):
        model = build_encoder(tiny_encoder, ModuleStore(str(store)).language_module("de"), device="cpu")
        for p in model.parameters():  # each full model its own weights
            p.data += 0.01 * (seed + 1)
        model.save(str(root / "full" / variant))
    return {"root": root, "store": store}
