"""Evaluation metrics on precomputed embeddings (docs/METHOD.md, "Metrics").

Plain numpy/scipy/sklearn: every function takes embeddings as arrays with one row per
text and returns one number. Scores are x100 (Spearman, accuracy) or percent (xsim
error rate), except RSIM, which is a plain correlation in [-1, 1] as the paper reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Rows of one similarity block in xsim: 1024 x 10k float32 is 40 MB.
XSIM_BLOCK_ROWS = 1024


def l2_normalise(x: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Rows scaled to unit length (a zero row becomes NaN and shows up in the score)."""
    x = np.asarray(x, dtype=dtype)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def pearson(x, y) -> float:
    """Pearson correlation (numpy only: every scoring job is a process, so imports count)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    y = np.asarray(y, dtype=np.float64) - np.mean(y)
    return float((x @ y) / np.sqrt((x @ x) * (y @ y)))


def average_ranks(x) -> np.ndarray:
    """Ranks starting at 1, ties sharing their average rank (as scipy's rankdata)."""
    x = np.asarray(x, dtype=np.float64)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return (first + (counts + 1) / 2)[inverse]


def spearman(x, y) -> float:
    return pearson(average_ranks(x), average_ranks(y))


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of row i of `a` with row i of `b`; both (n, d)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    return np.sum(l2_normalise(a) * l2_normalise(b), axis=-1)


def sts_spearman(emb1: np.ndarray, emb2: np.ndarray, gold: Sequence[float]) -> float:
    """STS score: Spearman x100 between pair cosines and gold similarity."""
    return 100 * spearman(cosine_rows(emb1, emb2), gold)


def _mean_top_k_cosines(queries: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """For every query row, the mean cosine to its k nearest key rows (unit-length inputs)."""
    means = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), XSIM_BLOCK_ROWS):
        sims = queries[start:start + XSIM_BLOCK_ROWS] @ keys.T
        means[start:start + len(sims)] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return means


def xsim_error_rate(src_emb: np.ndarray, tgt_emb: np.ndarray, *,
                    tgt_texts: Sequence[str] | None = None, k: int = 4) -> float:
    """LASER xsim error rate (%) of retrieving target i for source i, ratio margin.

    As LASER's source/xsim.py: the candidates of a source are its k nearest targets by
    cosine; each is scored by cos(x, y) / ((mean top-k cos of x among targets + mean
    top-k cos of y among sources) / 2) and the best candidate is the retrieved line.
    With `tgt_texts` a retrieved line whose text equals the gold line's text is right
    (duplicates in the target side count as correct), else only the gold index is.
    """
    src = l2_normalise(src_emb, np.float32)
    tgt = l2_normalise(tgt_emb, np.float32)
    if src.shape != tgt.shape:
        raise ValueError(f"source {src.shape} and target {tgt.shape} must be parallel")
    n = len(src)
    if tgt_texts is not None and len(tgt_texts) != n:
        raise ValueError(f"{len(tgt_texts)} target texts for {n} target embeddings")
    k = min(k, n)
    tgt_neighbourhood = _mean_top_k_cosines(tgt, src, k)

    retrieved = np.empty(n, dtype=np.int64)
    for start in range(0, n, XSIM_BLOCK_ROWS):
        sims = src[start:start + XSIM_BLOCK_ROWS] @ tgt.T
        candidates = np.argpartition(sims, -k, axis=1)[:, -k:]
        candidate_cos = np.take_along_axis(sims, candidates, axis=1)
        src_neighbourhood = candidate_cos.mean(axis=1, keepdims=True)
        margin = candidate_cos / ((src_neighbourhood + tgt_neighbourhood[candidates]) / 2)
        retrieved[start:start + len(sims)] = candidates[np.arange(len(sims)), margin.argmax(axis=1)]

    if tgt_texts is None:
        correct = retrieved == np.arange(n)
    else:
        texts = np.asarray(tgt_texts, dtype=object)
        correct = texts[retrieved] == texts
    return float(100 * (1 - correct.mean()))


def xsim_both_directions(emb_a: np.ndarray, emb_b: np.ndarray,
                         texts_a: Sequence[str] | None = None, texts_b: Sequence[str] | None = None,
                         k: int = 4) -> tuple[float, float]:
    """xsim error rates (a -> b, b -> a); each direction compares the texts of its target side."""
    return (xsim_error_rate(emb_a, emb_b, tgt_texts=texts_b, k=k),
            xsim_error_rate(emb_b, emb_a, tgt_texts=texts_a, k=k))


def language_bias(units: Sequence[tuple[np.ndarray, np.ndarray, Sequence[float]]]) -> float:
    """Mean Spearman x100 over bilingual STS datasets minus Spearman x100 on their union.

    `units` are (emb1, emb2, gold) of the bilingual datasets of one multi-parallel set;
    their concatenation is the multilingual dataset. Lower is better: a language-biased
    encoder ranks pairs well within a language pair but not across them.
    """
    if not units:
        raise ValueError("language bias needs at least one bilingual dataset")
    mean_bilingual = np.mean([sts_spearman(e1, e2, gold) for e1, e2, gold in units])
    multilingual = sts_spearman(np.concatenate([u[0] for u in units]),
                                np.concatenate([u[1] for u in units]),
                                np.concatenate([np.asarray(u[2], dtype=np.float64) for u in units]))
    return float(mean_bilingual - multilingual)


def rsim(emb_a: np.ndarray, emb_b: np.ndarray) -> float:
    """Representational similarity of two languages on a parallel corpus.

    Pearson correlation between cos(a_i, a_j) and cos(b_i, b_j) over all pairs i < j.
    """
    a, b = l2_normalise(emb_a), l2_normalise(emb_b)
    if a.shape != b.shape:
        raise ValueError(f"parallel corpora must have the same shape: {a.shape} vs {b.shape}")
    upper_i, upper_j = np.triu_indices(len(a), k=1)
    return pearson((a @ a.T)[upper_i, upper_j], (b @ b.T)[upper_i, upper_j])


def classification_accuracy(train_x: np.ndarray, train_y: Sequence, test_x: np.ndarray, test_y: Sequence,
                            *, seed: int = 0, max_iter: int = 1000) -> float:
    """Accuracy x100 of a logistic regression trained on frozen embeddings (SIB-200).

    Monolingual and zero-shot cross-lingual settings differ only in which language's
    embeddings are the train and test sets.
    """
    from sklearn.linear_model import LogisticRegression  # imported here: scoring jobs start fast

    classifier = LogisticRegression(max_iter=max_iter, random_state=seed)
    classifier.fit(np.asarray(train_x), np.asarray(train_y))
    return float(100 * np.mean(classifier.predict(np.asarray(test_x)) == np.asarray(test_y)))


def multiple_choice_accuracy(context_emb: np.ndarray, option_emb: np.ndarray, correct: Sequence[int]) -> float:
    """Accuracy x100 of picking the option most cosine-similar to its passage (Belebele).

    context_emb (n, d), option_emb (n, options, d), correct (n,) indices of the right option.
    """
    context, options = l2_normalise(context_emb), l2_normalise(option_emb)
    if options.ndim != 3 or options.shape[0] != context.shape[0] or options.shape[2] != context.shape[1]:
        raise ValueError(f"options {options.shape} do not match contexts {context.shape}")
    scores = np.einsum("nd,nkd->nk", context, options)
    return float(100 * np.mean(scores.argmax(axis=1) == np.asarray(correct)))
