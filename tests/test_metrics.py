"""Every metric against an independent plain computation or a case with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import LogisticRegression

from modsent import metrics


def loop_cosine(u, v) -> float:
    dot = sum(float(x) * float(y) for x, y in zip(u, v))
    return dot / (math.sqrt(sum(float(x) ** 2 for x in u)) * math.sqrt(sum(float(y) ** 2 for y in v)))


def loop_ranks(values) -> list[float]:
    """1-based ranks, ties get the mean of their positions."""
    return [sum(w < v for w in values) + (sum(w == v for w in values) + 1) / 2 for v in values]


def loop_pearson(xs, ys) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def loop_xsim(src, tgt, k, tgt_texts=None) -> float:
    """LASER's xsim written as plain loops: candidates are the k nearest targets of a source."""
    n = len(src)
    k = min(k, n)
    cos = [[loop_cosine(src[i], tgt[j]) for j in range(n)] for i in range(n)]
    src_mean = [sum(sorted(cos[i], reverse=True)[:k]) / k for i in range(n)]
    tgt_mean = [sum(sorted((cos[i][j] for i in range(n)), reverse=True)[:k]) / k for j in range(n)]
    errors = 0
    for i in range(n):
        candidates = sorted(range(n), key=lambda j: cos[i][j], reverse=True)[:k]
        best = max(candidates, key=lambda j: cos[i][j] / ((src_mean[i] + tgt_mean[j]) / 2))
        if (tgt_texts[best] != tgt_texts[i]) if tgt_texts is not None else best != i:
            errors += 1
    return 100 * errors / n


@pytest.fixture
def noisy_bitext():
    """A parallel corpus where the target side is a noisy copy, so retrieval makes some errors."""
    rng = np.random.default_rng(0)
    src = rng.normal(size=(40, 6))
    return src, src + rng.normal(scale=0.9, size=src.shape)


def test_cosine_rows_matches_loop():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    assert metrics.cosine_rows(a, b) == pytest.approx([loop_cosine(u, v) for u, v in zip(a, b)])
    with pytest.raises(ValueError):
        metrics.cosine_rows(a, b[:4])


def test_sts_spearman_matches_hand_ranks_with_ties():
    rng = np.random.default_rng(2)
    emb1, emb2 = rng.normal(size=(12, 5)), rng.normal(size=(12, 5))
    gold = [0, 1, 1, 2, 3, 3, 3, 4, 5, 5, 2, 0]
    cosines = [loop_cosine(u, v) for u, v in zip(emb1, emb2)]
    expected = 100 * loop_pearson(loop_ranks(cosines), loop_ranks(gold))
    assert metrics.sts_spearman(emb1, emb2, gold) == pytest.approx(expected)
    assert metrics.sts_spearman(emb1, emb2, gold) == pytest.approx(100 * spearmanr(cosines, gold).statistic)


@pytest.mark.parametrize("k", [1, 4, 60])
def test_xsim_matches_loop_implementation(noisy_bitext, k, monkeypatch):
    monkeypatch.setattr(metrics, "XSIM_BLOCK_ROWS", 7)  # several blocks, the last one partial
    src, tgt = noisy_bitext
    expected = loop_xsim(src, tgt, k)
    assert 0 < expected < 100
    assert metrics.xsim_error_rate(src, tgt, k=k) == pytest.approx(expected)


def test_xsim_margin_differs_from_nearest_neighbour(noisy_bitext):
    """The ratio margin changes retrievals on this data, so the loop comparison checks it."""
    src, tgt = noisy_bitext
    nearest = np.argmax(metrics.l2_normalise(src) @ metrics.l2_normalise(tgt).T, axis=1)
    nearest_error = 100 * np.mean(nearest != np.arange(len(src)))
    assert metrics.xsim_error_rate(src, tgt, k=4) != pytest.approx(nearest_error)


def test_xsim_known_cases():
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(10, 16))
    assert metrics.xsim_error_rate(emb, 3 * emb) == 0.0
    derangement = np.roll(np.arange(10), 1)
    assert metrics.xsim_error_rate(emb, emb[derangement]) == 100.0
    assert metrics.xsim_error_rate(emb[:2], emb[:2], k=4) == 0.0  # k clipped to 2 candidates


def test_xsim_duplicate_target_texts_count_as_correct():
    rng = np.random.default_rng(4)
    src = rng.normal(size=(6, 16))
    swap = [1, 0, 2, 3, 4, 5]
    tgt = src[swap]  # sources 0 and 1 retrieve each other's line
    assert metrics.xsim_error_rate(src, tgt) == pytest.approx(100 * 2 / 6)
    same_text = ["hello", "hello", "c", "d", "e", "f"]
    assert metrics.xsim_error_rate(src, tgt, tgt_texts=same_text) == 0.0
    with pytest.raises(ValueError):
        metrics.xsim_error_rate(src, tgt, tgt_texts=same_text[:5])


def test_xsim_both_directions_use_their_target_texts():
    rng = np.random.default_rng(5)
    emb_a = rng.normal(size=(6, 16))
    emb_b = emb_a[[1, 0, 2, 3, 4, 5]]
    texts_a = ["a0", "a1", "a2", "a3", "a4", "a5"]
    texts_b = ["same", "same", "b2", "b3", "b4", "b5"]
    assert metrics.xsim_both_directions(emb_a, emb_b, texts_a, texts_b) == pytest.approx((0.0, 100 * 2 / 6))


def test_xsim_rejects_non_parallel_input():
    with pytest.raises(ValueError):
        metrics.xsim_error_rate(np.ones((3, 2)), np.ones((4, 2)))


def test_language_bias_of_identical_units_is_zero():
    rng = np.random.default_rng(6)
    unit = (rng.normal(size=(15, 4)), rng.normal(size=(15, 4)), rng.uniform(0, 5, size=15))
    assert metrics.language_bias([unit, unit, unit]) == pytest.approx(0.0, abs=1e-9)


def test_language_bias_matches_scipy_on_offset_units():
    """The second pair ranks as well as the first but with lower cosines overall: biased."""
    rng = np.random.default_rng(7)
    units = []
    for offset in (0.0, 1.5):
        emb1 = rng.normal(size=(20, 4))
        emb2 = emb1 + rng.normal(scale=0.5 + offset, size=emb1.shape)
        units.append((emb1, emb2, rng.uniform(0, 5, size=20) + np.sum(emb1 * emb2, axis=1)))
    cosines = [[loop_cosine(u, v) for u, v in zip(e1, e2)] for e1, e2, _ in units]
    per_unit = [100 * spearmanr(c, gold).statistic for c, (_, _, gold) in zip(cosines, units)]
    union = 100 * spearmanr(cosines[0] + cosines[1], np.concatenate([units[0][2], units[1][2]])).statistic
    bias = metrics.language_bias(units)
    assert bias == pytest.approx(np.mean(per_unit) - union)
    with pytest.raises(ValueError):
        metrics.language_bias([])


def test_rsim_matches_pair_loop():
    rng = np.random.default_rng(8)
    emb_a = rng.normal(size=(9, 5))
    emb_b = emb_a + rng.normal(scale=0.7, size=emb_a.shape)
    pairs = [(i, j) for i in range(9) for j in range(i + 1, 9)]
    expected = pearsonr([loop_cosine(emb_a[i], emb_a[j]) for i, j in pairs],
                        [loop_cosine(emb_b[i], emb_b[j]) for i, j in pairs]).statistic
    assert metrics.rsim(emb_a, emb_b) == pytest.approx(expected)
    assert 0 < expected < 1


def test_rsim_is_one_for_a_rotated_copy():
    rng = np.random.default_rng(9)
    emb = rng.normal(size=(12, 6))
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    assert metrics.rsim(emb, 2 * emb @ rotation) == pytest.approx(1.0)


def test_classification_accuracy_matches_sklearn():
    rng = np.random.default_rng(10)
    centres = rng.normal(scale=0.5, size=(3, 8))
    train_y, test_y = rng.integers(0, 3, size=60), rng.integers(0, 3, size=30)
    train_x = centres[train_y] + rng.normal(size=(60, 8))
    test_x = centres[test_y] + rng.normal(size=(30, 8))
    predicted = LogisticRegression(max_iter=1000, random_state=0).fit(train_x, train_y).predict(test_x)
    expected = 100 * sum(p == y for p, y in zip(predicted, test_y)) / len(test_y)
    assert metrics.classification_accuracy(train_x, train_y, test_x, test_y) == pytest.approx(expected)
    assert 0 < expected < 100


def test_classification_accuracy_scores_the_test_labels():
    train_x = np.array([[0.0, 1.0], [0.1, 0.9], [1.0, 0.0], [0.9, 0.1]])
    labels = np.array(["travel", "travel", "sports", "sports"])
    assert metrics.classification_accuracy(train_x, labels, train_x, labels) == 100.0
    assert metrics.classification_accuracy(train_x, labels, train_x, labels[::-1]) == 0.0


def test_multiple_choice_uses_cosine_not_dot_product():
    context = np.array([[1.0, 0.0], [0.0, 1.0]])
    options = np.array([
        [[10.0, 10.0], [1.0, 0.1], [0.0, 1.0]],  # the long option wins by dot product only
        [[1.0, 0.0], [0.2, 1.0], [0.5, 0.5]],
    ])
    assert metrics.multiple_choice_accuracy(context, options, [1, 1]) == 100.0
    assert metrics.multiple_choice_accuracy(context, options, [0, 1]) == 50.0
    with pytest.raises(ValueError):
        metrics.multiple_choice_accuracy(context, options[:1], [1, 1])


def test_numpy_spearman_and_pearson_match_scipy_with_ties():
    from scipy import stats

    from modsent.metrics import average_ranks, pearson, spearman

    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 5, 40).astype(float)  # many ties
        y = rng.normal(size=40)
        np.testing.assert_allclose(average_ranks(x), stats.rankdata(x))
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        assert pearson(y, y ** 3) == pytest.approx(stats.pearsonr(y, y ** 3).statistic, abs=1e-12)
