"""Sentence-encoding (SE) adapter: LoRA on all linear layers, trained with MNRL on top of the LA.

The language's encoder (base + its tokenizer, embeddings and LA merged into the weights)
is frozen; a LoRA (q, k, v, intermediate and output dense: adapters' "all linear" set)
is added and is the only thing that trains, so SE acts additively on top of LA (at
initialisation, B = 0, the encoder is exactly the LA-only encoder). Loss: Multiple
Negatives Ranking Loss with in-batch negatives plus the hard negatives the data has.
Without a language module the SE trains on the base model itself (Mod_m w/o LA).

The loop is lean on purpose: texts are tokenised once into flat arrays, batches are
bucketed by length (padding waste), every text of a batch goes through one forward,
and the loss is read back only every `LOG_EVERY` steps (modsent/training.py) (no per-step host sync), logged
with the rate and the time left. Every batch of the run is drawn up front, so batch i is
a function of i and a run resumed from a checkpoint (modsent.checkpoint; SE, CLA and Full
alike) ends with the weights of an uninterrupted run.

Output directory: lora.safetensors + lora_config.json (modsent/modules/lora.py format, module names
relative to the bare encoder), config.json (the pooling) and record.json (seconds, steps, pairs, ...).
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from modsent.checkpoint import (
    CHECKPOINT_EVERY, CheckpointDir, TrainingCheckpoints, default_checkpoint_dir,
    fingerprint, stop_on_termination,
)
from modsent.modules.composition import build_encoder
from modsent.modules.files import MODULE_CONFIG, TRAINING_RECORD, write_json
from modsent.modules.lora import ALL_LINEAR, LoraConfig, add_lora, save_lora
from modsent.training import (
    OptimizerSteps, PairTexts, TrainingSettings, length_bucketed_batches, linear_warmup_schedule, mnrl_steps,
    pad_token_id, parse_training_arguments,
)
from modsent.tsv import read_training_view
from modsent.utils import atomic_output, pick_device, seed_everything

log = logging.getLogger("modsent.sentence_encoding")

POOLING_MODES = ("mean", "cls", "max")


@dataclass(frozen=True)
class SentenceEncodingSettings(TrainingSettings):
    """SE training (paper App. B.2: LoRA r 8, alpha 16, dropout 0.1 on all linear layers;
    seq 128, batch 128, lr 2e-5, 1 epoch, mean pooling)."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.1
    pooling: str = "mean"

    stage = "SE"

    def __post_init__(self):
        super().__post_init__()
        if self.pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {POOLING_MODES}, got {self.pooling!r}")

    @classmethod
    def from_dict(cls, values):
        """Also the config section's shape, with the LoRA shape under `lora`."""
        values = dict(values)
        return super().from_dict({**values.pop("lora", {}), **values})


def train_sentence_encoder(
    base_model: str,
    data_path: str | Path,
    out_dir: str | Path,
    *,
    language_module: Mapping[str, str | Path] | None = None,
    settings: SentenceEncodingSettings = SentenceEncodingSettings(),
    device: str = "auto",
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
):
    """Train an SE LoRA on (anchor, positive[, negative]) rows of `data_path`; write it to `out_dir`.

    Returns the trained encoder (LoRA still unmerged, eval mode). `language_module` is the
    language's {"tokenizer": dir, "la": dir} (ModuleStore.language_module); None trains on the
    base model (w/o LA).
    Resumable (modsent.checkpoint): checkpoints in `checkpoint_dir` (default
    "<out_dir>.checkpoints") every `checkpoint_every` steps and on SIGTERM (then
    TrainingInterrupted); a later call with the same inputs and settings resumes there.
    """
    import torch

    from modsent.losses import MultipleNegativesRankingLoss

    s = settings
    data_path = Path(data_path)
    rows = read_training_view(data_path, "SE training", min_rows=2)

    seed_everything(s.seed)
    device = pick_device(device)
    language_module = {role: Path(path) for role, path in (language_module or {}).items()}
    model = build_encoder(base_model, language_module, pooling=s.pooling, device="cpu")
    body = model[0].auto_model
    for p in model.parameters():
        p.requires_grad_(False)
    lora_config = LoraConfig(r=s.r, alpha=s.alpha, dropout=s.dropout, targets=ALL_LINEAR)
    add_lora(body, lora_config)
    model.to(device)
    trainable = [p for n, p in model.named_parameters() if n.endswith(("lora_A", "lora_B"))]
    for p in trainable:
        p.requires_grad_(True)

    pairs = PairTexts.tokenize(model[0].tokenizer, rows, s.max_seq_length)
    n = len(pairs)
    rng = np.random.default_rng(s.seed)
    # every batch of the run up front: batch i is a function of i, so a resumed run continues exactly
    batches = [b for _ in range(s.epochs) for b in length_bucketed_batches(pairs.lengths, s.batch_size, rng)]
    total_steps = len(batches)
    optimizer = torch.optim.AdamW(trainable, lr=s.learning_rate, weight_decay=s.weight_decay, fused=device == "cuda")
    scheduler = linear_warmup_schedule(optimizer, int(total_steps * s.warmup_ratio), total_steps)
    log.info("SE training: %d pairs (%d with a hard negative), %d steps, %d trainable parameters, device %s",
             n, pairs.hard_negatives, total_steps, sum(p.numel() for p in trainable), device)

    directory = CheckpointDir(checkpoint_dir or default_checkpoint_dir(out_dir), fingerprint(
        s.to_dict(), {"base_model": base_model, "data": data_path,  # of the language's store, what SE reads
                   **language_module}),
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
        mnrl_steps(model, pairs, batches[first_step:], loss_fn=MultipleNegativesRankingLoss(), update=update,
                   device=device, pad_id=pad_token_id(model[0].tokenizer),
                   after_step=lambda step: checkpoints.after_step(step, progress), tally=tally)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = progress()["seconds"]
    padded_tokens, real_tokens = tally["padded_tokens"], tally["real_tokens"]
    model.eval()

    record = {
        "seconds": round(seconds, 3),
        "steps": update.step,
        "pairs": n,
        "hard_negatives": pairs.hard_negatives,
        **s.to_dict(),
        "device": device,
        "padding_fraction": round(1 - real_tokens / max(1, padded_tokens), 4),
        "base_model": str(base_model),
        "language_module": {role: str(path) for role, path in language_module.items()} or None,
        "data": str(data_path),
    }
    with atomic_output(out_dir) as tmp:
        save_lora(body, lora_config, tmp)
        write_json(tmp / MODULE_CONFIG, {"pooling": s.pooling})
        write_json(tmp / TRAINING_RECORD, record)
    directory.remove()
    log.info("SE adapter written to %s (%.1f s, %.0f pairs/s, padding %.1f%%)", out_dir, seconds,
             n * s.epochs / max(seconds, 1e-9), 100 * record["padding_fraction"])
    return model


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=train_sentence_encoder.__doc__)
    p.add_argument("--base-model", required=True, help="hub id or local sentence-transformers directory")
    p.add_argument("--data", required=True, help="TSV view: id, anchor, positive, negative")
    p.add_argument("--out", required=True)
    p.add_argument("--tokenizer", help="the language's tokenizer (modules/{lang}/tokenizer); omit to train without LA")
    p.add_argument("--la", help="the language's LA (modules/{lang}/la); with --tokenizer")
    a, settings = parse_training_arguments(p, argv, SentenceEncodingSettings)
    with stop_on_termination():
        language_module = {role: path for role, path in (("tokenizer", a.tokenizer), ("la", a.la)) if path}
        train_sentence_encoder(a.base_model, a.data, a.out, language_module=language_module, settings=settings,
                               device=a.device, checkpoint_dir=a.checkpoint_dir, checkpoint_every=a.checkpoint_every)


if __name__ == "__main__":
    main()
