"""Tiny random models for offline runs and tests (the hub is not reachable everywhere).

`build_tiny_encoder` makes a BERT sentence encoder (WordPiece tokenizer trained on the
given text, random weights, mean pooling) saved as a sentence-transformers directory:
the stand-in for LaBSE in the embedded default config and in tests.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from modsent.utils import seed_everything


def train_wordpiece_tokenizer(texts, vocab_size: int):
    """A BERT (WordPiece, uncased) fast tokenizer trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    return BertTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", do_lower_case=True, model_max_length=512,
    )


def build_tiny_encoder(
    corpus: str | Path,
    out_dir: str | Path,
    *,
    hidden_size: int = 32,
    layers: int = 2,
    heads: int = 2,
    vocab_size: int = 800,
    seed: int = 0,
) -> Path:
    """Write a tiny random BERT sentence encoder (mean pooling) to `out_dir`."""
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel

    seed_everything(seed)
    texts = [line.strip() for line in Path(corpus).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise ValueError(f"{corpus}: no text to train the tiny tokenizer on")
    tokenizer = train_wordpiece_tokenizer(texts, vocab_size)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=hidden_size, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=4 * hidden_size, max_position_embeddings=512,
    )
    out_dir = Path(out_dir)
    hf_dir = out_dir / "hf"
    BertModel(config).save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    word = models.Transformer(str(hf_dir), max_seq_length=128)
    pooling = models.Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(out_dir))
    return out_dir


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=build_tiny_encoder.__doc__)
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--hidden-size", type=int, default=32)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--vocab-size", type=int, default=800)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    build_tiny_encoder(a.corpus, a.out, hidden_size=a.hidden_size, layers=a.layers, heads=a.heads,
                       vocab_size=a.vocab_size, seed=a.seed)


if __name__ == "__main__":
    main()
