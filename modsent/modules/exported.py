"""The Transformer module of an exported encoder that has a CLA adapter.

An exported (variant, language) encoder is a sentence-transformers directory: its
transformer holds the language's tokenizer and embeddings with the LA and SE merged into
the weights, and its CLA adapter sits in `cla/` beside them. A plain Transformer would load
the same files and silently leave the adapter out, so modules.json names this class
(modsent installed): it loads the transformer, then the adapter, active.
"""

from __future__ import annotations

from pathlib import Path

from sentence_transformers.sentence_transformer.modules import Transformer

from modsent.modules.alignment import ADAPTER_NAME, load_alignment_adapter

ADAPTER_DIR = "cla"


class AlignedTransformer(Transformer):
    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs):
        module = super().load(model_name_or_path, subfolder=subfolder, **kwargs)
        load_alignment_adapter(module.auto_model, Path(model_name_or_path) / subfolder / ADAPTER_DIR, ADAPTER_NAME)
        module.auto_model.set_active_adapters(ADAPTER_NAME)
        return module
