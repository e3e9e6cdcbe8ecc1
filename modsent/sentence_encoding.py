"""Sentence-encoding (SE) adapter: LoRA on all linear layers, trained with MNRL on top of the LA.

The language's encoder (base + its tokenizer, embeddings and LA merged into the weights)
is frozen; a LoRA (q, k, v, intermediate and output dense: adapters' "all linear" set)
is added and is the only thing that trains, so SE acts additively on top of LA (at
initialisation, B = 0, the encoder is exactly the LA-only encoder). Loss: Multiple
Negatives Ranking Loss with in-batch negatives plus the hard negatives the data has.
Without `language_dir` the SE trains on the base model itself (Mod_m w/o LA).

The loop is lean on purpose: texts are tokenised once into flat arrays, batches are
bucketed by length (padding waste), every text of a batch goes through one forward,
and the loss is read back only every `LOG_EVERY` steps (no per-step host sync), logged
with the rate and the time left. Every batch of the run is drawn up front, so batch i is
a function of i and a run resumed from a checkpoint (modsent.checkpoint; SE, CLA and Full
alike) ends with the weights of an uninterrupted run.

Output directory: lora.safetensors + lora_config.json (modsent.lora format, module names
relative to the bare encoder) and se_config.json (seconds, steps, pairs, pooling, ...).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from modsent.checkpoint import (
    CHECKPOINT_EVERY, CheckpointDir, TrainingCheckpoints, add_checkpoint_arguments, default_checkpoint_dir,
    fingerprint, stop_on_termination,
)
from modsent.encoder import build_encoder
from modsent.lora import ALL_LINEAR, LoraConfig, add_lora, save_lora
from modsent.progress import Progress
from modsent.utils import atomic_output, pick_device, seed_everything, setup_logging

log = logging.getLogger("modsent.sentence_encoding")

LOG_EVERY = 100
POOLING_MODES = ("mean", "cls", "max")
# Batches are length-sorted within windows of this many batches: little padding, yet the
# batch order (and which pairs meet as in-batch negatives) stays random.
BUCKET_WINDOW = 64


@dataclass(frozen=True)
class TrainingSettings:
    """Hyper-parameters of a contrastive training run; CLA and the full baselines subclass
    it with the paper's defaults for their stage."""

    batch_size: int = 128
    learning_rate: float = 2e-5
    epochs: int = 1
    max_seq_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 42

    stage = "training"  # names the stage in error messages (a class attribute, not a field)

    @classmethod
    def add_arguments(cls, parser) -> None:
        """One CLI option per field (--batch-size ...), defaulting to the stage's defaults."""
        for f in fields(cls):
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)

    @classmethod
    def from_arguments(cls, args) -> "TrainingSettings":
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})

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


def _read_pairs(data_path: Path) -> list[tuple[str, ...]]:
    from modsent.training_views import read_view

    if not data_path.is_file():
        raise FileNotFoundError(f"SE training data {data_path} does not exist")
    rows = read_view(data_path)
    if len(rows) < 2:
        raise ValueError(f"{data_path}: {len(rows)} pair(s); MNRL needs at least 2 (in-batch negatives)")
    return rows


def train_sentence_encoder(
    base_model: str,
    data_path: str | Path,
    out_dir: str | Path,
    *,
    language_dir: str | Path | None = None,
    r: int = 8,
    alpha: int = 16,
    dropout: float = 0.1,
    max_seq_length: int = 128,
    batch_size: int = 128,
    learning_rate: float = 2e-5,
    epochs: int = 1,
    warmup_ratio: float = 0.1,
    weight_decay: float = 0.01,
    pooling: str = "mean",
    seed: int = 42,
    device: str = "auto",
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
):
    """Train an SE LoRA on (anchor, positive[, negative]) rows of `data_path`; write it to `out_dir`.

    Returns the trained encoder (LoRA still unmerged, eval mode). `language_dir` is
    `modules/{lang}` (tokenizer/ and la/); None trains on the base model (w/o LA).
    Resumable (modsent.checkpoint): checkpoints in `checkpoint_dir` (default
    "<out_dir>.checkpoints") every `checkpoint_every` steps and on SIGTERM (then
    TrainingInterrupted); a later call with the same inputs and settings resumes there.
    """
    import torch

    from modsent.losses import MultipleNegativesRankingLoss

    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 for in-batch negatives, got {batch_size}")
    if epochs < 1 or learning_rate <= 0 or max_seq_length < 2 or not 0 <= warmup_ratio <= 1 or weight_decay < 0:
        raise ValueError(f"bad SE hyper-parameters: epochs={epochs}, learning_rate={learning_rate}, "
                         f"max_seq_length={max_seq_length}, warmup_ratio={warmup_ratio}, weight_decay={weight_decay}")
    if pooling not in POOLING_MODES:
        raise ValueError(f"pooling must be one of {POOLING_MODES}, got {pooling!r}")
    if language_dir is not None and not Path(language_dir).is_dir():
        raise FileNotFoundError(f"language module directory {language_dir} does not exist")
    data_path = Path(data_path)
    rows = _read_pairs(data_path)

    seed_everything(seed)
    device = pick_device(device)
    model = build_encoder(base_model, language_dir=language_dir, pooling=pooling, device="cpu")
    body = model[0].auto_model
    for p in model.parameters():
        p.requires_grad_(False)
    lora_config = LoraConfig(r=r, alpha=alpha, dropout=dropout, targets=ALL_LINEAR)
    add_lora(body, lora_config)
    model.to(device)
    trainable = [p for n, p in model.named_parameters() if n.endswith(("lora_A", "lora_B"))]
    for p in trainable:
        p.requires_grad_(True)

    tokenizer = model[0].tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    n = len(rows)
    negatives = [(i, row[2]) for i, row in enumerate(rows) if len(row) > 2 and row[2]]
    texts = tokenize_texts(
        tokenizer,
        [row[0] for row in rows] + [row[1] for row in rows] + [text for _, text in negatives],
        max_seq_length,
    )
    # Row of each pair's hard negative in `texts`, -1 where it has none.
    negative_row = np.full(n, -1, dtype=np.int64)
    negative_row[[i for i, _ in negatives]] = 2 * n + np.arange(len(negatives))
    all_lengths = texts.lengths
    pair_lengths = np.maximum(all_lengths[:n], all_lengths[n:2 * n])
    has_negative = negative_row >= 0
    pair_lengths[has_negative] = np.maximum(pair_lengths[has_negative], all_lengths[negative_row[has_negative]])

    rng = np.random.default_rng(seed)
    # every batch of the run up front: batch i is a function of i, so a resumed run continues exactly
    batches = [b for _ in range(epochs) for b in length_bucketed_batches(pair_lengths, batch_size, rng)]
    total_steps = len(batches)
    warmup = int(total_steps * warmup_ratio)
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=weight_decay, fused=device == "cuda")
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (step + 1) / (warmup + 1) if step < warmup else max(0.0, (total_steps - step) / max(1, total_steps - warmup)),
    )
    loss_fn = MultipleNegativesRankingLoss()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    log.info("SE training: %d pairs (%d with a hard negative), %d steps, %d trainable parameters, device %s",
             n, len(negatives), total_steps, sum(p.numel() for p in trainable), device)

    settings = dict(r=r, alpha=alpha, dropout=dropout, max_seq_length=max_seq_length, batch_size=batch_size,
                    learning_rate=learning_rate, epochs=epochs, warmup_ratio=warmup_ratio, weight_decay=weight_decay,
                    pooling=pooling, seed=seed)
    directory = CheckpointDir(checkpoint_dir or default_checkpoint_dir(out_dir), fingerprint(
        settings, {"base_model": base_model, "data": data_path,  # of the language's store, what SE reads
                   **({m: Path(language_dir) / m for m in ("tokenizer", "la")} if language_dir else {})}),
        output=out_dir)
    checkpoints = TrainingCheckpoints(directory, {n: p for n, p in model.named_parameters() if p.requires_grad},
                                      optimizer, scheduler, every=checkpoint_every, total_steps=total_steps)
    saved = checkpoints.restore() or {}
    first_step = saved.get("step", 0)
    tally = {key: saved.get(key, 0) for key in ("seconds", "padded_tokens", "real_tokens")}

    model.train()
    update = OptimizerSteps(trainable, optimizer, scheduler, total_steps, device, first_step=first_step)
    start = time.perf_counter()

    def progress():
        return dict(tally, seconds=tally["seconds"] + time.perf_counter() - start)

    with checkpoints:
        for batch in batches[first_step:]:
            batch_negatives = negative_row[batch][negative_row[batch] >= 0]
            text_rows = np.concatenate([batch, batch + n, batch_negatives])
            input_ids, attention_mask = texts.padded(text_rows, pad_id)
            tally["padded_tokens"] += input_ids.size
            tally["real_tokens"] += int(all_lengths[text_rows].sum())
            features = {
                "input_ids": torch.from_numpy(input_ids).to(device, non_blocking=True),
                "attention_mask": torch.from_numpy(attention_mask).to(device, non_blocking=True),
            }
            with autocast:
                embeddings = model(features)["sentence_embedding"]
            b = len(batch)
            loss = loss_fn(embeddings[:b], embeddings[b:2 * b], embeddings[2 * b:] if len(batch_negatives) else None)
            update(loss)
            checkpoints.after_step(update.step, progress)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = progress()["seconds"]
    padded_tokens, real_tokens = tally["padded_tokens"], tally["real_tokens"]
    model.eval()

    record = {
        "seconds": round(seconds, 3),
        "steps": update.step,
        "pairs": n,
        "hard_negatives": len(negatives),
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "warmup_ratio": warmup_ratio,
        "weight_decay": weight_decay,
        "max_seq_length": max_seq_length,
        "pooling": pooling,
        "seed": seed,
        "device": device,
        "padding_fraction": round(1 - real_tokens / max(1, padded_tokens), 4),
        "base_model": str(base_model),
        "language_dir": None if language_dir is None else str(language_dir),
        "data": str(data_path),
    }
    with atomic_output(out_dir) as tmp:
        save_lora(body, lora_config, tmp)
        (tmp / "se_config.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    directory.remove()
    log.info("SE adapter written to %s (%.1f s, %.0f pairs/s, padding %.1f%%)", out_dir, seconds,
             n * epochs / max(seconds, 1e-9), 100 * record["padding_fraction"])
    return model


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=train_sentence_encoder.__doc__)
    p.add_argument("--base-model", required=True, help="hub id or local sentence-transformers directory")
    p.add_argument("--data", required=True, help="TSV view: id, anchor, positive, negative")
    p.add_argument("--out", required=True)
    p.add_argument("--language-dir", help="modules/{lang} with tokenizer/ and la/; omit to train without LA")
    p.add_argument("--r", type=int, default=8)
    p.add_argument("--alpha", type=int, default=16)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--max-seq-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=2e-5)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--pooling", choices=POOLING_MODES, default="mean")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    add_checkpoint_arguments(p)
    a = p.parse_args(argv)
    setup_logging()
    with stop_on_termination():
        train_sentence_encoder(
            a.base_model, a.data, a.out, language_dir=a.language_dir, r=a.r, alpha=a.alpha, dropout=a.dropout,
            max_seq_length=a.max_seq_length, batch_size=a.batch_size, learning_rate=a.learning_rate,
            epochs=a.epochs, warmup_ratio=a.warmup_ratio, weight_decay=a.weight_decay, pooling=a.pooling,
            seed=a.seed, device=a.device, checkpoint_dir=a.checkpoint_dir, checkpoint_every=a.checkpoint_every,
        )


if __name__ == "__main__":
    main()
