"""FOCUS initialisation of a language's new embedding matrix (Dobler & de Melo 2023, deepfocus).

Tokens shared with the base vocabulary copy their base embedding; a new token becomes
a sparsemax-weighted mix of the shared tokens nearest to it in a fastText space trained
on the language's text tokenised with the new tokenizer. We train that fastText model
ourselves, with fastText's own defaults as the paper does (App. A: dim 300, "other
parameters remain as default"), 2M character n-gram hash buckets included: fewer buckets
change which shared tokens FOCUS picks (measured in benchmarks/focus). deepfocus would cache
the model under ~/.cache with a key that changes per run; everything, caches included, is
written inside the output directory:

    embeddings.safetensors   {"weight": [vocab, hidden]}
    fasttext.bin             the token-level fastText model
    stats.json               sizes, shared-token count, settings, seconds
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from modsent.tokenizer import check_corpus, nonblank_lines
from modsent.utils import atomic_output, seed_everything, setup_logging

log = logging.getLogger("modsent.focus")

FASTTEXT_BUCKET = 2_000_000  # fastText's default: ~2.3 GB fasttext.bin at dim 300

# Libraries that write caches under $HOME unless told otherwise (deepfocus, datasets, numba).
_CACHE_VARIABLES = ("XDG_CACHE_HOME", "HF_DATASETS_CACHE", "NUMBA_CACHE_DIR")


@contextmanager
def caches_inside(directory: Path):
    """Point the cache locations of deepfocus and its dependencies into `directory` for the block."""
    saved = {name: os.environ.get(name) for name in _CACHE_VARIABLES}
    os.environ.update({name: str(directory / name.lower()) for name in _CACHE_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def shared_token_ids(target_tokenizer, source_tokenizer):
    """[n, 2] tensor of (target id, source id) for every token string both vocabularies hold."""
    import torch

    source_vocab = source_tokenizer.get_vocab()
    pairs = sorted((i, source_vocab[t]) for t, i in target_tokenizer.get_vocab().items() if t in source_vocab)
    return torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)


def write_tokenized_text(tokenizer, corpus: str | Path, out_path: Path, max_sentences: int) -> int:
    """Write the corpus as space-separated tokens of `tokenizer` (fastText's input); return the line count."""
    lines = nonblank_lines(corpus, max_sentences)
    count = 0
    with out_path.open("w", encoding="utf-8") as out:
        while batch := [line for _, line in zip(range(10_000), lines)]:
            for encoding in tokenizer(batch, add_special_tokens=False).encodings:
                out.write(" ".join(encoding.tokens) + "\n")
            count += len(batch)
    return count


def write_initial_vectors(text_path: Path, out_path: Path, *, dim: int, min_count: int, seed: int) -> Path:
    """fastText's `pretrainedVectors` file: a seeded uniform(-1/dim, 1/dim) row (fastText's own
    init range) for every token occurring at least `min_count` times, and for the line end."""
    from collections import Counter

    import numpy as np

    counts = Counter()
    with text_path.open(encoding="utf-8") as f:
        for line in f:
            counts.update(line.split())
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w)) + ["</s>"]
    vectors = np.random.default_rng(seed).uniform(-1.0 / dim, 1.0 / dim, (len(words), dim))
    with out_path.open("w", encoding="utf-8") as out:
        out.write(f"{len(words)} {dim}\n")
        for word, vector in zip(words, vectors):
            out.write(word + " " + " ".join(f"{x:.9g}" for x in vector) + "\n")
    return out_path


def train_token_fasttext(text_path: Path, model_path: Path, *, dim: int, epochs: int, min_count: int,
                         bucket: int, threads: int, reproducible: bool = False, seed: int = 42):
    """CBOW fastText on tokenised text (deepfocus's settings: cbow, 10 negatives), `bucket` n-gram rows.

    `reproducible`: the same text and seed give the same model. fastText's multi-threaded SGD is
    lock-free (racy), so this trains on one thread, from an input matrix we initialise: rows
    exist only for tokens, so no character n-gram buckets.
    """
    import fasttext

    settings = dict(model="cbow", dim=dim, epoch=epochs, minCount=min_count, neg=10, verbose=0)
    if reproducible:
        init = write_initial_vectors(text_path, model_path.with_suffix(".init.vec"), dim=dim,
                                     min_count=min_count, seed=seed)
        model = fasttext.train_unsupervised(str(text_path), **settings, bucket=0, minn=0, maxn=0, thread=1,
                                            pretrainedVectors=str(init))
        init.unlink()
    else:
        # fastText 0.9.x initialises its input matrix in blocks of size/10 elements, one block per
        # thread: with fewer than 11 threads part of it (at least the size % 10 tail) is left
        # uninitialised, garbage or NaN once the process has freed memory before.
        model = fasttext.train_unsupervised(str(text_path), **settings, bucket=bucket, thread=max(threads, 11))
    model.save_model(str(model_path))
    return model


def focus_embeddings(
    base_model: str | Path,
    tokenizer_dir: str | Path,
    corpus: str | Path,
    out_dir: str | Path,
    *,
    fasttext_dim: int = 300,
    fasttext_epochs: int = 3,
    fasttext_min_count: int = 10,
    fasttext_bucket: int = FASTTEXT_BUCKET,
    max_sentences: int = 10_000_000,
    threads: int = 1,
    reproducible: bool = False,
    seed: int = 42,
) -> Path:
    """Initialise the embeddings of the tokenizer in `tokenizer_dir` from `base_model` with FOCUS.

    `reproducible` trains fastText single-threaded without character n-grams, so the same
    inputs and seed give the same embeddings (see `train_token_fasttext`)."""
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    check_corpus(corpus)
    if not Path(tokenizer_dir).is_dir():
        raise FileNotFoundError(f"tokenizer directory not found: {tokenizer_dir}")
    seed_everything(seed)
    start = time.time()
    target_tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    base = SentenceTransformer(str(base_model), device="cpu")
    source_tokenizer = base[0].tokenizer
    source_embeddings = base[0].auto_model.get_input_embeddings().weight.detach().float()

    with atomic_output(out_dir) as tmp:
        tmp.mkdir()
        cache_dir = tmp / "cache"
        with caches_inside(cache_dir):
            from deepfocus import FOCUS

            text_path = tmp / "fasttext_train.txt"
            lines = write_tokenized_text(target_tokenizer, corpus, text_path, max_sentences)
            log.info("training fastText (dim %d, %s) on %d tokenised lines", fasttext_dim,
                     "reproducible: 1 thread, no n-grams" if reproducible else f"{fasttext_bucket} buckets", lines)
            fasttext_model = train_token_fasttext(
                text_path, tmp / "fasttext.bin", dim=fasttext_dim, epochs=fasttext_epochs,
                min_count=fasttext_min_count, bucket=fasttext_bucket, threads=threads,
                reproducible=reproducible, seed=seed,
            )
            text_path.unlink()
            shared = shared_token_ids(target_tokenizer, source_tokenizer)
            new_tokens = set(target_tokenizer.get_vocab()) - set(source_tokenizer.get_vocab())
            if not new_tokens:
                # deepfocus fails on an empty set of new tokens; copying is all FOCUS would do
                log.info("every token of the new vocabulary is in the base vocabulary: copying")
                embeddings = source_embeddings[shared[:, 1]].clone()
            elif new_tokens.isdisjoint(fasttext_model.words):
                raise ValueError(
                    f"none of the {len(new_tokens)} new tokens occurs {fasttext_min_count} times in {corpus}: "
                    f"FOCUS has nothing to mix from; give more text or lower focus.fasttext_min_count"
                )
            else:
                embeddings = FOCUS(
                    target_tokenizer=target_tokenizer, source_tokenizer=source_tokenizer,
                    source_embeddings=source_embeddings, fasttext_model_path=str(tmp / "fasttext.bin"),
                    exact_match_all=True, match_symbols=False, fuzzy_match_all=False,
                    processes=threads, seed=seed, device="cpu", verbosity="info",
                )
        shutil.rmtree(cache_dir, ignore_errors=True)
        save_file({"weight": embeddings.float().contiguous()}, str(tmp / "embeddings.safetensors"))
        copied = int((embeddings[shared[:, 0]] == source_embeddings[shared[:, 1]]).all(dim=1).sum())
        stats = {
            "base_model": str(base_model),
            "vocab_size": int(embeddings.shape[0]),
            "hidden_size": int(embeddings.shape[1]),
            "base_vocab_size": int(source_embeddings.shape[0]),
            "shared_tokens": len(shared),
            # deepfocus matches tokens by a canonical form it guesses per tokenizer (a vocabulary
            # with <= 100 "##" tokens is not recognised as WordPiece): tiny vocabularies copy fewer.
            "copied_from_base": copied,
            "fasttext_words": len(fasttext_model.words),
            "fasttext_lines": lines,
            "fasttext": {"dim": fasttext_dim, "epochs": fasttext_epochs, "min_count": fasttext_min_count,
                         "bucket": 0 if reproducible else fasttext_bucket, "reproducible": reproducible},
            "seconds": round(time.time() - start, 1),
        }
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    log.info("FOCUS embeddings %s (%d shared tokens, %d copied) -> %s", tuple(embeddings.shape), len(shared), copied, out_dir)
    return Path(out_dir)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=focus_embeddings.__doc__)
    p.add_argument("--base-model", required=True, help="sentence-transformers hub id or local directory")
    p.add_argument("--tokenizer", required=True, help="the language's tokenizer directory")
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--fasttext-dim", type=int, default=300)
    p.add_argument("--fasttext-epochs", type=int, default=3)
    p.add_argument("--fasttext-min-count", type=int, default=10)
    p.add_argument("--fasttext-bucket", type=int, default=FASTTEXT_BUCKET)
    p.add_argument("--max-sentences", type=int, default=10_000_000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reproducible", action="store_true",
                   help="fastText on one thread, no character n-grams: same inputs, same embeddings")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    setup_logging()
    focus_embeddings(
        a.base_model, a.tokenizer, a.corpus, a.out, fasttext_dim=a.fasttext_dim, fasttext_epochs=a.fasttext_epochs,
        fasttext_min_count=a.fasttext_min_count, fasttext_bucket=a.fasttext_bucket,
        max_sentences=a.max_sentences, threads=a.threads, reproducible=a.reproducible, seed=a.seed,
    )


if __name__ == "__main__":
    main()
