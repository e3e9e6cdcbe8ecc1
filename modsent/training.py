"""The training kit shared by the contrastive stages (SE, CLA, Full) and LA: settings,
optimiser steps, tokenised texts, length bucketing, the warmup schedule and the MNRL
epoch loop. Foundation layer: nothing here knows a stage."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np

from modsent.progress import Progress

log = logging.getLogger("modsent.training")


LOG_EVERY = 100


# Batches are length-sorted within windows of this many batches: little padding, yet the
# batch order (and which pairs meet as in-batch negatives) stays random.
BUCKET_WINDOW = 64


class Settings:
    """`to_dict` / `from_dict` of a stage's frozen settings dataclass, whose field defaults are
    the stage's defaults (declared there only; tests/test_configs.py checks the config
    schema against them). A rule hands the settings over as one JSON option."""

    stage = "stage"  # names the stage in error messages (a class attribute, not a field)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping):
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"{cls.stage} settings: unknown {', '.join(map(repr, unknown))}; "
                             f"the settings are {', '.join(known)}")
        return cls(**values)


@dataclass(frozen=True)
class TrainingSettings(Settings):
    """Hyper-parameters of a contrastive training run; SE, CLA and the full baselines subclass
    it with the paper's defaults for their stage."""

    batch_size: int = 128
    learning_rate: float = 2e-5
    epochs: int = 1
    max_seq_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 42

    stage = "training"

    def __post_init__(self):
        if self.batch_size < 2:
            raise ValueError(f"{self.stage} batch_size must be at least 2 (in-batch negatives), got {self.batch_size}")
        if self.epochs < 1 or self.learning_rate <= 0 or self.max_seq_length < 2:
            raise ValueError(f"bad {self.stage} settings: epochs={self.epochs}, learning_rate={self.learning_rate}, "
                             f"max_seq_length={self.max_seq_length}")
        if not 0 <= self.warmup_ratio <= 1 or self.weight_decay < 0:
            raise ValueError(f"bad {self.stage} settings: warmup_ratio={self.warmup_ratio}, "
                             f"weight_decay={self.weight_decay}")


class OptimizerSteps:
    """One optimisation step per loss: backward, gradient clipping, optimizer and schedule
    step; the running mean loss is read back (a host sync) only every `log_every` steps,
    with the rate and the time left. `first_step` > 0 continues a resumed run."""

    def __init__(self, params, optimizer, scheduler, total_steps: int, device, *, log_every: int = LOG_EVERY,
                 max_norm: float = 1.0, first_step: int = 0):
        import torch

        self.params, self.optimizer, self.scheduler = params, optimizer, scheduler
        self.total_steps, self.log_every, self.max_norm = total_steps, log_every, max_norm
        self.step = first_step
        self.progress = Progress(total_steps, "steps", done=first_step)
        self._running = torch.zeros((), device=device)

    def __call__(self, loss) -> None:
        import torch

        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.max_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self._running += loss.detach()
        self.step += 1
        if self.step % self.log_every == 0 or self.step == self.total_steps:
            counted = min((self.step - 1) % self.log_every + 1, self.step - self.progress.first)
            log.info("step %d/%d mean loss %.4f, %s", self.step, self.total_steps, self._running.item() / counted,
                     self.progress.status(self.step))
            self._running.zero_()


@dataclass(frozen=True)
class TokenizedTexts:
    """Token ids of many texts in one flat array; text i is ids[offsets[i]:offsets[i + 1]]."""

    ids: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def padded(self, rows: np.ndarray, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask) of `rows`, right-padded to the longest of them."""
        lengths = self.lengths[rows]
        positions = np.arange(lengths.max())
        mask = positions[None, :] < lengths[:, None]
        input_ids = np.full(mask.shape, pad_id, dtype=np.int64)
        input_ids[mask] = self.ids[(self.offsets[rows][:, None] + positions[None, :])[mask]]
        return input_ids, mask.astype(np.int64)


def tokenize_texts(tokenizer, texts: list[str], max_length: int, chunk: int = 20_000) -> TokenizedTexts:
    """Tokenise (special tokens added, truncated to `max_length`) into one TokenizedTexts."""
    pieces, lengths = [], []
    for start in range(0, len(texts), chunk):
        encoded = tokenizer(
            texts[start:start + chunk], truncation=True, max_length=max_length,
            return_attention_mask=False, return_token_type_ids=False,
        )["input_ids"]
        lengths.extend(len(e) for e in encoded)
        pieces.append(np.fromiter((t for e in encoded for t in e), dtype=np.int32))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
    return TokenizedTexts(ids, offsets)


def length_bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                            window: int = BUCKET_WINDOW) -> list[np.ndarray]:
    """One epoch of batches over range(len(lengths)): shuffled, length-sorted per window of batches, shuffled again."""
    order = rng.permutation(len(lengths))
    span = batch_size * window
    batches = []
    for start in range(0, len(order), span):
        chunk = order[start:start + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def parse_training_arguments(parser, argv, settings_cls: type[Settings]):
    """A training stage's CLI: --settings (a JSON object of `settings_cls`'s fields; the others
    keep their defaults), --device and the checkpoint options (--checkpoint-every unless the
    interval is one of the settings) added, `argv` parsed, logging set up. Returns (args, settings)."""
    from modsent.checkpoint import CHECKPOINT_EVERY, add_checkpoint_arguments
    from modsent.utils import setup_logging

    parser.add_argument("--settings", type=json.loads, default={}, metavar="JSON",
                        help=f"{settings_cls.stage} settings, e.g. '{{\"batch_size\": 64}}'")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    in_settings = "checkpoint_every" in {f.name for f in fields(settings_cls)}
    add_checkpoint_arguments(parser, None if in_settings else CHECKPOINT_EVERY)
    args = parser.parse_args(argv)
    setup_logging()
    try:
        settings = settings_cls.from_dict(args.settings)
    except (TypeError, ValueError) as e:
        parser.error(str(e))
    return args, settings


def pad_token_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def linear_warmup_schedule(optimizer, warmup_steps: int, total_steps: int):
    """Learning rate rising linearly from 0 over `warmup_steps`, then falling linearly to 0
    at `total_steps`: sentence-transformers' WarmupLinear, which the paper's training used."""
    import torch

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@dataclass(frozen=True)
class PairTexts:
    """(anchor, positive[, negative]) rows tokenised once: anchors are texts 0..n-1, positives
    n..2n-1, then the hard negatives of the rows that have one."""

    texts: TokenizedTexts
    negative_row: np.ndarray  # row in `texts` of pair i's hard negative, -1 where it has none

    @classmethod
    def tokenize(cls, tokenizer, rows, max_length: int) -> PairTexts:
        n = len(rows)
        with_negative = [i for i, row in enumerate(rows) if len(row) > 2 and row[2]]
        texts = tokenize_texts(tokenizer, [row[0] for row in rows] + [row[1] for row in rows]
                               + [rows[i][2] for i in with_negative], max_length)
        negative_row = np.full(n, -1, dtype=np.int64)
        negative_row[with_negative] = 2 * n + np.arange(len(with_negative))
        return cls(texts, negative_row)

    def __len__(self) -> int:
        return len(self.negative_row)

    @property
    def hard_negatives(self) -> int:
        return int((self.negative_row >= 0).sum())

    @property
    def lengths(self) -> np.ndarray:
        """Per pair, the longest text it brings into a batch (the bucketing key)."""
        lengths, n = self.texts.lengths, len(self)
        pair = np.maximum(lengths[:n], lengths[n:2 * n])
        has = self.negative_row >= 0
        pair[has] = np.maximum(pair[has], lengths[self.negative_row[has]])
        return pair


def mnrl_steps(model, pairs: PairTexts, batches, *, loss_fn, update: OptimizerSteps, device: str, pad_id: int,
               after_step, tally: dict | None = None) -> None:
    """One MNRL optimisation step per batch of pair indices: anchors, positives and the
    batch's hard negatives go through one forward; `after_step(step)` follows each step
    (checkpointing); `tally` counts padded and real tokens."""
    import torch

    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    n = len(pairs)
    for batch in batches:
        negatives = pairs.negative_row[batch][pairs.negative_row[batch] >= 0]
        text_rows = np.concatenate([batch, batch + n, negatives])
        input_ids, attention_mask = pairs.texts.padded(text_rows, pad_id)
        if tally is not None:
            tally["padded_tokens"] += input_ids.size
            tally["real_tokens"] += int(pairs.texts.lengths[text_rows].sum())
        features = {"input_ids": torch.from_numpy(input_ids).to(device, non_blocking=True),
                    "attention_mask": torch.from_numpy(attention_mask).to(device, non_blocking=True)}
        with autocast:
            embeddings = model(features)["sentence_embedding"]
        b = len(batch)
        update(loss_fn(embeddings[:b], embeddings[b:2 * b], embeddings[2 * b:] if len(negatives) else None))
        after_step(update.step)
