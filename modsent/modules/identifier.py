"""The language identifier format: which stored language a sentence is in, for routing.

On disk (the store's `identifier/`): `model.bin` (a fastText supervised model, fastText's
own binary format, one label `__label__<lang>` per stored language), `config.json` (the
languages) and `record.json` (how it was trained); modsent/identify.py trains it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from modsent.modules.files import read_module_config

MODEL_FILE = "model.bin"
LABEL_PREFIX = "__label__"


def one_line(text: str) -> str:
    """fastText reads one example a line: a sentence's own line breaks become spaces."""
    return " ".join(text.split())


class LanguageIdentifier:
    """`predict(sentences)` -> a stored language code for each sentence."""

    def __init__(self, model, languages: Sequence[str]):
        self.model = model
        self.languages = list(languages)

    @classmethod
    def load(cls, directory: str | Path) -> "LanguageIdentifier":
        import fasttext

        directory = Path(directory)
        config = read_module_config(directory, "a language identifier")
        if not (directory / MODEL_FILE).is_file():
            raise FileNotFoundError(f"{directory}: not a language identifier (no {MODEL_FILE})")
        return cls(fasttext.load_model(str(directory / MODEL_FILE)), config["languages"])

    def predict(self, sentences: Sequence[str]) -> list[str]:
        if not sentences:
            return []
        labels, _ = self.model.predict([one_line(s) for s in sentences], k=1)
        return [label[0][len(LABEL_PREFIX):] for label in labels]
