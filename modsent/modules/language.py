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


def language_embeddings(encoder: nn.Module, weight: torch.Tensor, pad_token_id: int) -> nn.Embedding:
    """A language's word embeddings `weight` [vocab, hidden] as a module that fits `encoder`."""
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
    return new.to(old.weight.device, old.weight.dtype)


def use_embeddings(encoder: nn.Module, embeddings: nn.Embedding, pad_token_id: int | None) -> None:
    """Make `embeddings` the encoder's input word embeddings (the model's vocabulary follows)."""
    encoder.set_input_embeddings(embeddings)
    encoder.config.vocab_size = embeddings.weight.shape[0]
    encoder.config.pad_token_id = pad_token_id


def set_word_embeddings(encoder: nn.Module, weight: torch.Tensor, pad_token_id: int) -> None:
    """Replace the encoder's input word embeddings by `weight` [vocab, hidden] (resizing the model)."""
    use_embeddings(encoder, language_embeddings(encoder, weight, pad_token_id), pad_token_id)


def load_base_encoder(base_model: str | Path, device: str = "cpu"):
    """The bare HF encoder of a sentence-transformers model (hub id or local dir), SDPA attention."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(base_model), device=device, model_kwargs={"attn_implementation": "sdpa"})
    return st[0].auto_model


def read_language_adapter(la_dir: str | Path) -> tuple[torch.Tensor, int]:
    """A saved LA's word embeddings and the pad id of its tokenizer."""
    la_dir = Path(la_dir)
    la_config = read_module_config(la_dir, "a language-adaptation module")
    return load_file(str(la_dir / "embeddings.safetensors"))["weight"], la_config["pad_token_id"]


def apply_language_adapter(model: nn.Module, la_dir: str | Path) -> None:
    """Give a bare encoder (BertModel / XLMRobertaModel, e.g. `SentenceTransformer[0].auto_model`)
    the language's trained embeddings and MERGE its LA LoRA into query/key/value (additive)."""
    weight, pad_token_id = read_language_adapter(la_dir)
    set_word_embeddings(model, weight, pad_token_id)
    merge_saved_lora(model, la_dir)


def use_tokenizer(transformer, tokenizer) -> None:
    """Make `tokenizer` the one a sentence-transformers Transformer module tokenizes with."""
    tokenizer.model_max_length = transformer.max_seq_length
    # sentence-transformers 5.x: `tokenizer` is a read-only view of `processor`
    transformer.processor = tokenizer
    transformer.input_formatter.processor = tokenizer


def load_language_encoder(base_model: str | Path, tokenizer_dir: str | Path, la_dir: str | Path,
                          device: str | None = None):
    """The base sentence encoder with a language's tokenizer and LA applied (the store's
    `{lang}/tokenizer` and `{lang}/la`)."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    st = SentenceTransformer(str(base_model), device=device)
    apply_language_adapter(st[0].auto_model, la_dir)
    use_tokenizer(st[0], AutoTokenizer.from_pretrained(str(tokenizer_dir)))
    return st
