"""A new tokenizer for one language, of the base model's tokenizer type.

The base tokenizer's pipeline (normaliser, pre-tokeniser, special tokens, post-processor)
is kept and only its vocabulary is retrained on the language's text, so LaBSE gets a
WordPiece and mE5 a Unigram tokenizer (paper, App. A: 50K vocabulary, up to 10M
sentences). Saved with `save_pretrained`: `AutoTokenizer.from_pretrained(dir)` loads it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from modsent.utils import atomic_output, setup_logging

log = logging.getLogger("modsent.tokenizer")

# Vocabulary models whose trainer `train_new_from_iterator` knows (HF tokenizers).
SUPPORTED_MODELS = ("WordPiece", "Unigram", "BPE", "WordLevel")


class UnsupportedTokenizerError(ValueError):
    """The base model's tokenizer cannot be retrained (not a fast tokenizer, unknown model type)."""


def load_base_tokenizer(base_model: str | Path):
    """The tokenizer of a sentence-transformers model (hub id or local dir), as sentence-transformers loads it."""
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(base_model), device="cpu")
    tokenizer = encoder[0].tokenizer
    if tokenizer is None:
        raise UnsupportedTokenizerError(f"{base_model}: its first module has no text tokenizer")
    return tokenizer


def tokenizer_model_type(tokenizer, name: str = "base tokenizer") -> str:
    """The vocabulary model of a fast tokenizer ("WordPiece", "Unigram", ...); raise if it cannot be retrained."""
    if not getattr(tokenizer, "is_fast", False):
        raise UnsupportedTokenizerError(
            f"{name} ({type(tokenizer).__name__}) is not a fast (HF tokenizers) tokenizer: "
            f"only fast tokenizers of type {', '.join(SUPPORTED_MODELS)} can be retrained"
        )
    model_type = json.loads(tokenizer.backend_tokenizer.to_str())["model"]["type"]
    if model_type not in SUPPORTED_MODELS:
        raise UnsupportedTokenizerError(
            f"{name} ({type(tokenizer).__name__}) uses a {model_type} vocabulary: "
            f"supported types are {', '.join(SUPPORTED_MODELS)}"
        )
    return model_type


def nonblank_lines(corpus: str | Path, limit: int) -> Iterator[str]:
    """Up to `limit` non-blank lines of a text file."""
    with open(corpus, encoding="utf-8") as f:
        lines = (line.strip() for line in f)
        yield from itertools.islice((line for line in lines if line), limit)


def _batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(itertools.islice(lines, size)):
        yield batch


def check_corpus(corpus: str | Path) -> None:
    """Raise a clear error for a missing or empty text file, before any training."""
    corpus = Path(corpus)
    if not corpus.is_file():
        raise FileNotFoundError(f"corpus not found: {corpus}")
    if next(nonblank_lines(corpus, 1), None) is None:
        raise ValueError(f"empty corpus: {corpus} has no non-blank line")


def _train_wordpiece(base, lines: Iterator[str], vocab_size: int):
    """WordPiece with a deterministic vocabulary (modsent.wordpiece): the base tokenizer's
    pipeline comes from a throw-away `train_new_from_iterator` on no text, its vocabulary
    from `learn_wordpiece_vocab` on the corpus."""
    from tokenizers import Tokenizer

    from modsent.wordpiece import learn_wordpiece_vocab, pretokenize

    tokenizer = base.train_new_from_iterator([[]], vocab_size=len(base.all_special_tokens) + 1)
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    specials = [t for t, _ in sorted(state["model"]["vocab"].items(), key=lambda item: item[1])
                if t in set(tokenizer.all_special_tokens)]
    vocab = learn_wordpiece_vocab(
        pretokenize(base.backend_tokenizer, lines), vocab_size, specials,
        prefix=state["model"].get("continuing_subword_prefix", "##"),
    )
    state["model"]["vocab"] = {piece: i for i, piece in enumerate(vocab)}
    tokenizer._tokenizer = Tokenizer.from_str(json.dumps(state))
    return tokenizer


def _alphabet_size(tokenizer) -> int:
    """Single-character tokens of a vocabulary (continuation / word-start marks not counted)."""
    model = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
    marks = [m for m in (model.get("continuing_subword_prefix"), "\u2581") if m]
    vocab = model["vocab"]
    pieces = vocab.keys() if isinstance(vocab, dict) else [piece for piece, _ in vocab]  # Unigram: [piece, score]
    specials = set(tokenizer.all_special_tokens)
    count = 0
    for piece in pieces:
        if piece in specials:
            continue
        for mark in marks:
            if piece.startswith(mark) and len(piece) > len(mark):
                piece = piece[len(mark):]
        count += len(piece) == 1
    return count


def _alphabet_error(corpus, vocab_size: int, chars: int, specials: int) -> ValueError:
    return ValueError(
        f"tokenizer.vocab_size {vocab_size} is smaller than the alphabet of {corpus}: its {chars} "
        f"single-character tokens and {specials} special tokens need {chars + specials}; give a "
        f"tokenizer.vocab_size of at least {chars + specials}"
    )


def train_tokenizer(
    base_model: str | Path,
    corpus: str | Path,
    out_dir: str | Path,
    *,
    vocab_size: int,
    max_sentences: int = 10_000_000,
) -> Path:
    """Train a tokenizer of the base model's type on `corpus` and save it to `out_dir`.

    Raises UnsupportedTokenizerError for a tokenizer type that cannot be retrained, ValueError
    for an empty corpus, one too small to fill `vocab_size` tokens, or one whose alphabet
    alone needs more than `vocab_size` tokens.
    """
    check_corpus(corpus)
    base = load_base_tokenizer(base_model)
    model_type = tokenizer_model_type(base, f"the tokenizer of {base_model}")
    log.info("training a %s tokenizer (%d tokens) on up to %d lines of %s", model_type, vocab_size, max_sentences, corpus)
    if model_type == "WordPiece":
        tokenizer = _train_wordpiece(base, nonblank_lines(corpus, max_sentences), vocab_size)
    else:
        try:
            tokenizer = base.train_new_from_iterator(_batches(nonblank_lines(corpus, max_sentences), 1000),
                                                     vocab_size=vocab_size)
        except Exception as err:  # tokenizers' Unigram trainer: a bare Exception without the sizes
            if "not large enough to contain all chars" not in str(err):
                raise
            from modsent.wordpiece import pretokenize

            chars = len({c for word in pretokenize(base.backend_tokenizer, nonblank_lines(corpus, max_sentences))
                         for c in word})
            raise _alphabet_error(corpus, vocab_size, chars, len(base.all_special_tokens)) from None
    # The WordPiece and BPE trainers keep every character, whatever the size asked for.
    if len(tokenizer) > vocab_size:
        raise _alphabet_error(corpus, vocab_size, _alphabet_size(tokenizer), len(tokenizer.all_special_tokens))
    if len(tokenizer) < vocab_size:
        raise ValueError(
            f"{corpus} is too small for a {vocab_size}-token vocabulary: the {model_type} trainer found only "
            f"{len(tokenizer)} tokens; give more text or a smaller tokenizer.vocab_size"
        )
    with atomic_output(out_dir) as tmp:
        tokenizer.save_pretrained(str(tmp))
    log.info("saved %d-token %s tokenizer to %s", len(tokenizer), type(tokenizer).__name__, out_dir)
    return Path(out_dir)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=train_tokenizer.__doc__)
    p.add_argument("--base-model", required=True, help="sentence-transformers hub id or local directory")
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--vocab-size", type=int, required=True)
    p.add_argument("--max-sentences", type=int, default=10_000_000)
    a = p.parse_args(argv)
    setup_logging()
    train_tokenizer(a.base_model, a.corpus, a.out, vocab_size=a.vocab_size, max_sentences=a.max_sentences)


if __name__ == "__main__":
    main()
