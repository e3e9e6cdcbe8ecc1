"""Shared fixtures: tiny random models built on the fly (no hub access needed)."""

from __future__ import annotations

import os
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
