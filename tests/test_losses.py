"""MNRL (with hard negatives) and the cosine-similarity loss against direct computations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from modsent.losses import CosineSimilarityLoss, MultipleNegativesRankingLoss


def _reference_mnrl(anchor, positive, negative, scale):
    """-mean_i log softmax_j(scale * cos(a_i, c_j))[i], written out row by row."""
    candidates = positive if negative is None else torch.cat([positive, negative])
    total = 0.0
    for i, a in enumerate(anchor):
        scores = [scale * F.cosine_similarity(a, c, dim=0).item() for c in candidates]
        total += -(scores[i] - math.log(sum(math.exp(s) for s in scores)))
    return total / len(anchor)


@pytest.mark.parametrize("n_negatives", [0, 2, 4])
def test_mnrl_matches_its_definition(n_negatives):
    g = torch.Generator().manual_seed(0)
    anchor, positive = torch.randn(4, 8, generator=g), torch.randn(4, 8, generator=g)
    negative = torch.randn(n_negatives, 8, generator=g) if n_negatives else None
    loss = MultipleNegativesRankingLoss(scale=5.0)(anchor, positive, negative)
    assert loss.item() == pytest.approx(_reference_mnrl(anchor, positive, negative, 5.0), rel=1e-5)


def test_hard_negatives_raise_the_loss_and_the_right_pair_lowers_it():
    g = torch.Generator().manual_seed(1)
    anchor = torch.randn(3, 16, generator=g)
    loss = MultipleNegativesRankingLoss()
    matched = loss(anchor, anchor + 0.01 * torch.randn(3, 16, generator=g))
    shuffled = loss(anchor, anchor[[1, 2, 0]])
    assert matched < 0.01 < shuffled
    assert loss(anchor, anchor, anchor + 0.05) > loss(anchor, anchor)  # near-duplicate negatives compete


def test_mnrl_gradients_reach_both_sides():
    anchor = torch.randn(4, 8, requires_grad=True)
    positive = torch.randn(4, 8, requires_grad=True)
    negative = torch.randn(2, 8, requires_grad=True)
    MultipleNegativesRankingLoss()(anchor, positive, negative).backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (anchor, positive, negative))


def test_mnrl_rejects_mismatched_pairs():
    with pytest.raises(ValueError, match="same shape"):
        MultipleNegativesRankingLoss()(torch.randn(3, 8), torch.randn(2, 8))


def test_cosine_similarity_loss():
    a = torch.randn(5, 8)
    loss = CosineSimilarityLoss()
    assert loss(a, 2 * a).item() == pytest.approx(0.0, abs=1e-6)  # parallel pairs: target 1
    assert loss(a, -a).item() == pytest.approx(4.0, abs=1e-5)  # (-1 - 1)^2
    target = torch.tensor([0.0, 0.5, 1.0, -1.0, 0.2])
    b = torch.randn(5, 8)
    expected = ((F.cosine_similarity(a, b) - target) ** 2).mean()
    assert loss(a, b, target).item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        loss(a, b[:3])
