"""The language module format: a language's tokenizer, its embeddings and its LA LoRA.

On disk (the store's `{lang}/tokenizer` and `{lang}/la`): `embeddings.safetensors`,
`lora.safetensors` + `lora_config.json`, `mlm_head.safetensors`, `config.json` and `record.json`
(modsent/modules/files.py);
modsent/adapt.py trains it.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from modsent.modules.files import read_module_config
from modsent.modules.lora import merge_saved_lora


def set_word_embeddings(encoder: nn.Module, weight: torch.Tensor, pad_token_id: int) -> None:
    """Replace the encoder's input word embeddings by `weight` [vocab, hidden] (resizing the model)."""
    old = encoder.get_input_embeddings()
    if weight.ndim != 2 or weight.shape[1] != old.weight.shape[1]:
        raise ValueError(
            f"embeddings of shape {tuple(weight.shape)} do not fit the encoder's hidden size {old.weight.shape[1]}"
        )
    # XLM-R derives position ids from the pad id: a new pad id would shift every position.
    position_padding = getattr(getattr(encoder, "embeddings", None), "padding_idx", None)
    if position_padding is not None and position_padding != pad_token_id:
        raise ValueError(
            f"the language's tokenizer pads with id {pad_token_id}, the base model's position ids "
            f"assume {position_padding}: the tokenizer must keep the base tokenizer's special-token ids"
        )
    new = nn.Embedding.from_pretrained(weight.detach().clone(), freeze=False, padding_idx=pad_token_id)
    encoder.set_input_embeddings(new.to(old.weight.device, old.weight.dtype))
    encoder.config.vocab_size = weight.shape[0]
    encoder.config.pad_token_id = pad_token_id


def load_base_encoder(base_model: str | Path, device: str = "cpu"):
    """The bare HF encoder of a sentence-transformers model (hub id or local dir), SDPA attention."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(base_model), device=device, model_kwargs={"attn_implementation": "sdpa"})
    return st[0].auto_model


def apply_language_adapter(model: nn.Module, la_dir: str | Path) -> None:
    """Give a bare encoder (BertModel / XLMRobertaModel, e.g. `SentenceTransformer[0].auto_model`)
    the language's trained embeddings and MERGE its LA LoRA into query/key/value (additive)."""
    la_dir = Path(la_dir)
    la_config = read_module_config(la_dir, "a language-adaptation module")
    weight = load_file(str(la_dir / "embeddings.safetensors"))["weight"]
    set_word_embeddings(model, weight, la_config["pad_token_id"])
    merge_saved_lora(model, la_dir)


def load_language_encoder(base_model: str | Path, tokenizer_dir: str | Path, la_dir: str | Path,
                          device: str | None = None):
    """The base sentence encoder with a language's tokenizer and LA applied (the store's
    `{lang}/tokenizer` and `{lang}/la`)."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    st = SentenceTransformer(str(base_model), device=device)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    tokenizer.model_max_length = st[0].max_seq_length
    apply_language_adapter(st[0].auto_model, la_dir)
    # sentence-transformers 5.x: `tokenizer` is a read-only view of `processor`
    st[0].processor = tokenizer
    st[0].input_formatter.processor = tokenizer
    return st
