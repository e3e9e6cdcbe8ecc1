"""Deterministic WordPiece vocabulary learning.

The `tokenizers` WordPiece trainer is not deterministic: it creates the `##`-continuation
tokens while iterating a hash map, and their ids break ties between equally frequent merges
(huggingface/tokenizers#1794), so two runs on the same text can learn different vocabularies.
The plain BPE trainer (no continuation prefix) only sees a sorted alphabet and is
deterministic, so we train it on words whose non-initial characters are remapped to private
code points, then map the learned tokens back: a token that starts with a remapped
character is a `##` continuation piece. Same merges as WordPiece training, same result every
run, and still the fast Rust trainer.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator

_PRIVATE_USE = 0xF0000  # Supplementary Private Use Area-A: never in real text
# A word is fed to the trainer as strings of at most this many copies: the trainer counts
# the same occurrences as from the running text, without a string per occurrence.
_COPIES_PER_STRING = 1024


def _continuation_map(words: Iterable[str]) -> dict[str, str]:
    chars = sorted({c for w in words for c in w[1:]})
    if len(chars) > 0xFFFE:
        raise ValueError(f"too many distinct characters ({len(chars)}) for the continuation map")
    return {c: chr(_PRIVATE_USE + i) for i, c in enumerate(chars)}


def _repeated(counts: Counter, marks: dict[str, str]) -> Iterator[str]:
    """Each counted word, its non-initial characters remapped, as many times as it was seen."""
    for word, count in counts.items():
        marked = word[0] + "".join(marks[c] for c in word[1:])
        full, rest = divmod(count, _COPIES_PER_STRING)
        if full:
            chunk = " ".join([marked] * _COPIES_PER_STRING)
            for _ in range(full):
                yield chunk
        if rest:
            yield " ".join([marked] * rest)


def learn_wordpiece_vocab(
    words: Iterable[str],
    vocab_size: int,
    special_tokens: list[str],
    *,
    prefix: str = "##",
    min_frequency: int = 0,
) -> list[str]:
    """Special tokens first, then the learned pieces; `words` are pre-tokenised words.

    `words` is read once, as a stream, into a count per distinct word: memory grows with
    the vocabulary of the text, not with its length.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    counts = Counter(w for w in words if w)
    marks = _continuation_map(counts)
    unmark = {v: k for k, v in marks.items()}
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(special_tokens), min_frequency=min_frequency,
        show_progress=False,
    )
    bpe.train_from_iterator(_repeated(counts, marks), trainer)
    vocab = sorted(bpe.get_vocab().items(), key=lambda item: item[1])
    pieces = []
    for token, _ in vocab:
        if token in special_tokens:
            continue
        text = "".join(unmark.get(c, c) for c in token)
        pieces.append(prefix + text if token[0] in unmark else text)
    return list(special_tokens) + pieces


def pretokenize(backend_tokenizer, texts: Iterable[str]) -> Iterable[str]:
    """Words of `texts` as a fast tokenizer's normalizer and pre-tokenizer split them."""
    normalizer, pre = backend_tokenizer.normalizer, backend_tokenizer.pre_tokenizer
    for text in texts:
        if normalizer is not None:
            text = normalizer.normalize_str(text)
        for word, _ in pre.pre_tokenize_str(text) if pre is not None else [(w, None) for w in text.split()]:
            yield word
