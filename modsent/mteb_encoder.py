"""The modular encoder as an MTEB model (`pip install modsent[mteb]`).

    import mteb
    from modsent import ModularEncoder
    from modsent.mteb_encoder import MTEBModularEncoder

    model = MTEBModularEncoder(ModularEncoder("results/modules", "sentence-transformers/LaBSE"))
    mteb.evaluate(model, tasks=mteb.get_tasks(tasks=["STS17"]))

Each call encodes one side of one subset of a task. Its languages come from the task's
metadata (`eval_langs` of the subset, e.g. STS17's "en-de": eng-Latn and deu-Latn): a subset
of one language is encoded with that language's modules; a subset of several has each
sentence routed to the likeliest of them by the store's language identifier.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mteb.models import ModelMeta
from mteb.models.abs_encoder import AbsEncoder
from mteb.models.model_meta import ScoringFunction

from modsent.languages import UnknownLanguageError, get_language


def subset_languages(task_metadata, hf_subset: str) -> list[str]:
    """modsent codes of a task subset's languages (MTEB writes them as ISO 639-3 + script)."""
    eval_langs = task_metadata.eval_langs
    codes = eval_langs.get(hf_subset, []) if isinstance(eval_langs, dict) else eval_langs
    langs = []
    for code in codes:
        try:
            lang = get_language(code.split("-")[0]).code
        except UnknownLanguageError:
            raise ValueError(f"{task_metadata.name}[{hf_subset}]: language {code!r} is unknown to modsent") from None
        if lang not in langs:
            langs.append(lang)
    if not langs:
        raise ValueError(f"{task_metadata.name}: no languages for subset {hf_subset!r} in its metadata")
    return langs


class MTEBModularEncoder(AbsEncoder):
    """MTEB's encoder protocol over a ModularEncoder, routing by the task's languages."""

    def __init__(self, encoder, name: str | None = None, *, batch_size: int = 64):
        self.model = encoder
        self.batch_size = batch_size
        self.mteb_model_meta = ModelMeta.create_empty(
            {"name": name or f"modsent/{encoder.variant}", "revision": "local", "similarity_fn_name": ScoringFunction.COSINE})

    def encode(self, inputs, *, task_metadata, hf_split: str, hf_subset: str, prompt_type=None,
               **kwargs: Any) -> np.ndarray:
        texts = [text for batch in inputs for text in batch["text"]]
        langs = subset_languages(task_metadata, hf_subset)
        if len(langs) == 1:
            return self.model.encode(texts, lang=langs[0], batch_size=self.batch_size)
        return self.model.encode(texts, langs=self.model.identify(texts, among=langs), batch_size=self.batch_size)
