"""Tiny random models for offline runs and tests (the hub is not reachable everywhere).

`build_tiny_encoder` makes a BERT sentence encoder (WordPiece tokenizer trained on the
given text, random weights, mean pooling) saved as a sentence-transformers directory:
the stand-in for LaBSE in the embedded default config and in tests.

`build_tiny_nllb` makes an NLLB-architecture translation model (M2M100, a SentencePiece
tokenizer trained on the given text plus NLLB-200's language tokens, random weights),
converted to CTranslate2 exactly as a real NLLB checkpoint is: the stand-in for NLLB-200.

    python -m modsent.tiny_models encoder --corpus TEXT --out DIR [sizes]
    python -m modsent.tiny_models nllb --corpus TEXT --out DIR [sizes]
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from modsent.utils import atomic_output, seed_everything


@dataclass(frozen=True)
class TinyShape:
    """The size of a tiny model and the seed of its random weights."""

    hidden_size: int = 32
    layers: int = 2
    heads: int = 2
    vocab_size: int = 800
    seed: int = 0


def _start(corpus: str | Path, shape: dict) -> tuple[TinyShape, list[str]]:
    """The shape (bad keys fail here), the seeded RNGs and the corpus' texts."""
    shape = TinyShape(**shape)
    seed_everything(shape.seed)
    return shape, _corpus_lines(corpus)


def train_wordpiece_tokenizer(texts, vocab_size: int):
    """A BERT (WordPiece, uncased) fast tokenizer trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    from modsent.wordpiece import learn_wordpiece_vocab, pretokenize

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    vocab = learn_wordpiece_vocab(pretokenize(tok, texts), vocab_size, specials)
    tok.model = models.WordPiece({piece: i for i, piece in enumerate(vocab)}, unk_token="[UNK]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    return BertTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", do_lower_case=True, model_max_length=512,
    )


def build_tiny_encoder(corpus: str | Path, out_dir: str | Path, **shape) -> Path:
    """Write a tiny random BERT sentence encoder (mean pooling) to `out_dir`; `shape`: TinyShape's fields."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel

    shape, texts = _start(corpus, shape)
    tokenizer = train_wordpiece_tokenizer(texts, shape.vocab_size)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=shape.hidden_size, num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads, intermediate_size=4 * shape.hidden_size, max_position_embeddings=512,
    )
    out_dir = Path(out_dir)
    hf_dir = out_dir / "hf"
    BertModel(config).save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    word = Transformer(str(hf_dir), max_seq_length=128)
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(out_dir))
    return out_dir


def _corpus_lines(corpus: str | Path) -> list[str]:
    path = Path(corpus)
    if not path.is_file():
        raise FileNotFoundError(f"corpus not found: {path}")
    texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise ValueError(f"{corpus}: no text to train the tiny tokenizer on")
    return texts


def train_nllb_tokenizer(texts, vocab_size: int, out_dir: str | Path):
    """An NLLB tokenizer (SentencePiece unigram on `texts` + NLLB-200's language tokens) saved to `out_dir`."""
    import sentencepiece as spm
    from transformers import NllbTokenizer, NllbTokenizerFast

    model = io.BytesIO()
    # NLLB's SentencePiece ids: <s>=0 <pad>=1 </s>=2 <unk>=3 (the tokenizer adds its fairseq offset).
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        hard_vocab_limit=False, bos_id=0, pad_id=-1, eos_id=2, unk_id=1, minloglevel=2,
    )
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "sentencepiece.bpe.model"
        vocab_file.write_bytes(model.getvalue())
        NllbTokenizer(vocab_file=str(vocab_file), src_lang="eng_Latn").save_pretrained(tmp)
        fast = NllbTokenizerFast.from_pretrained(tmp)  # converted from the slow one, as on the hub
    fast.save_pretrained(str(out_dir))
    return fast


def build_tiny_nllb(corpus: str | Path, out_dir: str | Path, **shape) -> Path:
    """Write a tiny random NLLB (M2M100) model: CTranslate2 files in `out_dir`, the HF original in
    `out_dir/hf`; `shape`: TinyShape's fields."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    from modsent.translate import convert_nllb

    shape, texts = _start(corpus, shape)
    hidden, layers, heads = shape.hidden_size, shape.layers, shape.heads
    out_dir = Path(out_dir)
    with atomic_output(out_dir) as tmp, tempfile.TemporaryDirectory() as hf_tmp:
        tokenizer = train_nllb_tokenizer(texts, shape.vocab_size, hf_tmp)
        config = M2M100Config(
            vocab_size=len(tokenizer), d_model=hidden, encoder_layers=layers, decoder_layers=layers,
            encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=4 * hidden,
            decoder_ffn_dim=4 * hidden, max_position_embeddings=1024, scale_embedding=True,
            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        )
        M2M100ForConditionalGeneration(config).save_pretrained(hf_tmp)
        convert_nllb(hf_tmp, tmp)
        shutil.copytree(hf_tmp, tmp / "hf")
    return out_dir


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="kind", required=True)
    builders = {"encoder": build_tiny_encoder, "nllb": build_tiny_nllb}
    for kind, builder in builders.items():
        s = sub.add_parser(kind, help=builder.__doc__.splitlines()[0])
        s.add_argument("--corpus", required=True)
        s.add_argument("--out", required=True)
        for f in fields(TinyShape):
            s.add_argument(f"--{f.name.replace('_', '-')}", type=int, default=f.default)
    a = p.parse_args(argv)
    builders[a.kind](a.corpus, a.out, **{f.name: getattr(a, f.name) for f in fields(TinyShape)})


if __name__ == "__main__":
    main()
