"""Contrastive losses on sentence embeddings (plain modules; the caller runs the encoder).

`MultipleNegativesRankingLoss` (Henderson et al. 2017) trains the SE adapter and the
paraphrase half of CLA training; `CosineSimilarityLoss` the parallel half of CLA training.
Both take embeddings, not texts, so one encoder forward can serve every column of a batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MultipleNegativesRankingLoss(nn.Module):
    """Cross-entropy of each anchor against every positive in the batch plus the hard negatives.

    Row i of `positive` is the answer for anchor i; the other positives are in-batch
    negatives and `negative` (any number of rows, or None) adds hard negatives shared by
    all anchors. Scores are cosine similarities times `scale` (20, as sentence-transformers).
    """

    def __init__(self, scale: float = 20.0):
        super().__init__()
        self.scale = scale

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor | None = None) -> torch.Tensor:
        if anchor.shape != positive.shape:
            raise ValueError(f"anchor {tuple(anchor.shape)} and positive {tuple(positive.shape)} must have the same shape")
        candidates = positive if negative is None else torch.cat([positive, negative])
        scores = F.normalize(anchor, dim=-1) @ F.normalize(candidates, dim=-1).t() * self.scale
        labels = torch.arange(anchor.shape[0], device=anchor.device)
        return F.cross_entropy(scores.float(), labels)


class CosineSimilarityLoss(nn.Module):
    """Mean cosine distance, mean_i (1 - cos(a_i, b_i)), between the two sides of parallel pairs.

    The parallel loss of LASER3's teacher-student distillation (Heffernan et al. 2022), which
    the paper follows: a cosine-embedding loss with target 1. Its gradient in cos is a constant
    -1 per pair, where MSE(cos, 1) would give 2 (cos - 1), fading as the pair aligns; see
    docs/TRAINING.md.
    """

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape != b.shape:
            raise ValueError(f"the two sides must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
        return (1.0 - F.cosine_similarity(a.float(), b.float(), dim=-1)).mean()
