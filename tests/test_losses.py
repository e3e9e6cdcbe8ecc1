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


def test_cosine_similarity_loss_is_the_mean_cosine_distance():
    a = torch.randn(5, 8)
    loss = CosineSimilarityLoss()
    assert loss(a, 2 * a).item() == pytest.approx(0.0, abs=1e-6)  # parallel pairs: distance 0
    assert loss(a, -a).item() == pytest.approx(2.0, abs=1e-5)  # 1 - (-1), not (-1 - 1)^2
    b = torch.randn(5, 8)
    expected = (1 - F.cosine_similarity(a, b)).mean()
    assert loss(a, b).item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        loss(a, b[:3])


def test_cosine_loss_gradient_does_not_fade_as_pairs_align():
    """d loss / d cos_i = -1/n for every pair, however aligned; MSE(cos, 1) would give 2 (cos_i - 1)/n."""
    g = torch.Generator().manual_seed(2)
    b = torch.randn(4, 8, generator=g)
    u = F.normalize(b, dim=-1)
    v = torch.randn(4, 8, generator=g)
    v = F.normalize(v - (v * u).sum(-1, keepdim=True) * u, dim=-1)  # unit, orthogonal to b
    cos = torch.tensor([-0.5, 0.2, 0.9, 0.999], requires_grad=True)
    a = cos.unsqueeze(1) * u + (1 - cos.unsqueeze(1) ** 2).sqrt() * v  # cos(a_i, b_i) = cos_i
    CosineSimilarityLoss()(a, b).backward()
    assert torch.allclose(cos.grad, torch.full((4,), -0.25), atol=1e-5)
