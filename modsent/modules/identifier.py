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

    def predict(self, sentences: Sequence[str], among: Sequence[str] | None = None) -> list[str]:
        """The most likely stored language of each sentence; with `among`, the most likely of those."""
        if not sentences:
            return []
        if among is None:
            labels, _ = self.model.predict([one_line(s) for s in sentences], k=1)
            return [label[0][len(LABEL_PREFIX):] for label in labels]
        candidates = [lang for lang in among if lang in self.languages]
        if not candidates:
            raise ValueError(f"none of {list(among)} is a language of the identifier ({self.languages})")
        labels, _ = self.model.predict([one_line(s) for s in sentences], k=-1)
        ranked = ([label[len(LABEL_PREFIX):] for label in row] for row in labels)
        return [next(lang for lang in row if lang in candidates) for row in ranked]
