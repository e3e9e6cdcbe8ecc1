"""Full-parameter baselines (paper §4 "Monolithic Baselines", App. B.1).

Every parameter of the base model trains with Multiple Negatives Ranking Loss (hard
negatives where the data has them); seq 128, batch 128, lr 2e-5, 3 epochs per stage:

    full_en   the pivot's (English, gold) paraphrase pairs
    full_m    monolingual pairs of every language; each batch is in one random language
    full_c    cross-lingual paraphrase pairs: anchor and positive each in a random language
              (the hard negative in the positive's language)
    full_mc   full_m, then full_c (3 + 3 epochs); continues from a trained Full_m if given

The mono views are multi-parallel (the same row id is the same pair in every language),
so an epoch is one pass over the pairs whatever the number of languages (the paper's
600K per epoch): each pair is drawn in one language (full_m) or one language per side
(full_c), redrawn every epoch. The model keeps the base model's architecture (e.g. LaBSE's CLS pooling + dense).
Output: a sentence-transformers directory (safetensors) + record.json (modsent/modules/files.py).
Resumable like SE (modsent.checkpoint): every parameter, the optimizer and the RNGs every
`checkpoint_every` steps, on SIGTERM and, for full_mc, at the end of its monolingual stage.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from modsent.checkpoint import (
    CHECKPOINT_EVERY, CheckpointDir, TrainingCheckpoints, default_checkpoint_dir,
    fingerprint, stop_on_termination,
)
from modsent.modules.files import TRAINING_RECORD, write_json
from modsent.training import (
    OptimizerSteps, PairTexts, TrainingSettings, length_bucketed_batches, linear_warmup_schedule, mnrl_steps,
    pad_token_id, parse_training_arguments,
)
from modsent.utils import atomic_output, lang_path_argument, pick_device, seed_everything

log = logging.getLogger("modsent.full")

FULL_VARIANTS = ("full_en", "full_m", "full_c", "full_mc")
MONO, CROSS = "monolingual", "cross-lingual"
STAGES = {"full_en": (MONO,), "full_m": (MONO,), "full_c": (CROSS,), "full_mc": (MONO, CROSS)}


@dataclass(frozen=True)
class FullSettings(TrainingSettings):
    """Hyper-parameters of each stage (paper App. B.1)."""

    epochs: int = 3

    stage = "full-baseline"


class MultiParallelPairs:
    """Several languages' mono views joined by row id (the same id = the same pair).

    Languages built from the same source share every id; a language with its own source
    (e.g. provided translations of another data set) adds ids only it has, which are then
    drawn in that language alone.
    """

    def __init__(self, examples: Mapping[str, Sequence]):
        self.languages = sorted(examples)
        self.by_language = []
        holders: dict[str, list[int]] = {}
        for index, lang in enumerate(self.languages):
            rows = {}
            for example in examples[lang]:
                if example.id in rows:
                    raise ValueError(f"{lang}: row id {example.id!r} occurs twice in its mono view")
                rows[example.id] = example
                holders.setdefault(example.id, []).append(index)
            self.by_language.append(rows)
        self.ids = list(holders)
        self.holders = [np.asarray(h) for h in holders.values()]

    def __len__(self) -> int:
        return len(self.ids)

    def draw_epoch(self, stage: str, rng: np.random.Generator):
        """One epoch's (anchor, positive, negative) texts and each row's batch group (int array).

        Every id once. MONO: the pair in one random language (of those that have it), the
        group is the language, so every batch is monolingual. CROSS: the anchor's and the
        positive's languages drawn independently, the negative in the positive's language.
        Rows with and without a hard negative never share a group (MNRL batches are homogeneous).
        """
        n = len(self.ids)
        first_draw, second_draw = rng.random(n), rng.random(n)
        rows, first = [], np.zeros(n, dtype=np.int64)
        for i, (row_id, langs) in enumerate(zip(self.ids, self.holders)):
            first[i] = langs[int(first_draw[i] * len(langs))]
            second = first[i] if stage == MONO else langs[int(second_draw[i] * len(langs))]
            anchor_side, positive_side = self.by_language[first[i]][row_id], self.by_language[second][row_id]
            rows.append((anchor_side.anchor, positive_side.positive, positive_side.negative))
        has_negative = np.fromiter((bool(r[2]) for r in rows), dtype=np.int64, count=n)
        groups = (first if stage == MONO else np.zeros(n, dtype=np.int64)) * 2 + has_negative
        return rows, groups


def epoch_batches(groups: np.ndarray, lengths: np.ndarray, batch_size: int, rng) -> list[np.ndarray]:
    """Length-bucketed batches within each group, all groups' batches in random order."""
    batches = []
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        batches += [members[b] for b in length_bucketed_batches(lengths[members], batch_size, rng)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _steps(groups: np.ndarray, batch_size: int) -> int:
    return int(sum(math.ceil(count / batch_size) for count in np.unique(groups, return_counts=True)[1]))


def train_stage(model, stage: str, pairs: MultiParallelPairs, settings: FullSettings, device: str, *,
                checkpoints: CheckpointDir | None = None, checkpoint_every: int = CHECKPOINT_EVERY,
                finished: Sequence[dict] = (), last: bool = True) -> dict:
    """Train every parameter of `model` (a SentenceTransformer) for one stage; return its record.

    With `checkpoints` the stage checkpoints every `checkpoint_every` steps, on SIGTERM and,
    unless it is the `last` stage, at its end; `finished` are the records of the stages
    before it. A checkpoint of a later stage means this one is done: its record is returned.
    """
    import torch

    from modsent.losses import MultipleNegativesRankingLoss

    rng = np.random.default_rng((settings.seed, STAGES["full_mc"].index(stage)))
    epochs = [pairs.draw_epoch(stage, rng) for _ in range(settings.epochs)]
    total_steps = sum(_steps(groups, settings.batch_size) for _, groups in epochs)
    model.to(device)
    params = list(model.parameters())
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay,
                                  fused=device == "cuda")
    scheduler = linear_warmup_schedule(optimizer, int(total_steps * settings.warmup_ratio), total_steps)
    loss_fn = MultipleNegativesRankingLoss()
    tokenizer = model[0].tokenizer
    log.info("%s stage: %d languages, %d pairs, %d epochs, %d steps, device %s", stage, len(pairs.languages),
             len(pairs), settings.epochs, total_steps, device)

    resumable = TrainingCheckpoints(checkpoints, dict(model.named_parameters()), optimizer, scheduler,
                                    every=checkpoint_every, total_steps=total_steps)
    latest = resumable.latest() or {}
    done_before = {r["stage"]: r for r in latest.get("finished", [])}
    if stage in done_before:  # the checkpoint is of a later stage, which restores the weights
        return done_before[stage]
    saved = resumable.restore() if latest.get("stage") == stage else None
    first_step, seconds_before = (saved["step"], saved["seconds"]) if saved else (0, 0.0)

    model.train()
    update = OptimizerSteps(params, optimizer, scheduler, total_steps, device, first_step=first_step)
    start = time.perf_counter()

    def progress():
        return {"stage": stage, "seconds": seconds_before + time.perf_counter() - start, "finished": list(finished)}

    step = 0  # batches are a function of the step: a resumed stage skips the batches it did
    with resumable:
        for rows, groups in epochs:
            texts = PairTexts.tokenize(tokenizer, rows, settings.max_seq_length)
            batches = epoch_batches(groups, texts.lengths, settings.batch_size, rng)
            skip = min(len(batches), max(0, first_step - step))
            step += len(batches)
            mnrl_steps(model, texts, batches[skip:], loss_fn=loss_fn, update=update, device=device,
                       pad_id=pad_token_id(tokenizer), after_step=lambda done: resumable.after_step(done, progress))
    if device == "cuda":
        torch.cuda.synchronize()
    if not last and first_step < total_steps:  # the next stage starts from this one's end
        resumable.save(total_steps, progress())
    model.eval()
    return {"stage": stage, "seconds": round(progress()["seconds"], 3), "steps": update.step,
            "pairs": len(pairs), "epochs": settings.epochs, "languages": pairs.languages}


def read_mono_views(mono: Mapping[str, str | Path], pivot: str) -> MultiParallelPairs:
    """The languages' mono views (results/train/{lang}/mono.tsv) joined by row id."""
    from modsent.tsv import read_examples

    if pivot not in mono:
        raise ValueError(f"the pivot's mono view is needed (languages given: {sorted(mono)})")
    for lang, path in mono.items():
        if not Path(path).is_file():
            raise FileNotFoundError(f"mono view of {lang!r} {path} does not exist")
    examples = {lang: read_examples(path) for lang, path in mono.items()}
    try:
        pairs = MultiParallelPairs(examples)
    except ValueError as e:
        raise ValueError(f"mono views {', '.join(map(str, mono.values()))}: {e}") from None
    if len(pairs) < 2:
        raise ValueError(f"{', '.join(map(str, mono.values()))}: {len(pairs)} pair(s); MNRL needs at least 2")
    return pairs


def train_full_baseline(
    variant: str,
    out_dir: str | Path,
    *,
    base_model: str,
    mono: Mapping[str, str | Path],
    pivot: str = "en",
    start_from: str | Path | None = None,
    settings: FullSettings = FullSettings(),
    device: str = "auto",
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
):
    """Train full-parameter baseline `variant` on the languages' mono views; save it to `out_dir`.

    `mono` maps each language to its mono view (results/train/{lang}/mono.tsv); full_en
    uses the pivot's only. `start_from` (full_mc only) is a trained Full_m directory: the
    monolingual stage is then skipped. Returns the trained SentenceTransformer (eval mode);
    the training record is `out_dir`/record.json. Resumable: checkpoints in
    `checkpoint_dir` (default "<out_dir>.checkpoints"), removed once the model is written.
    """
    from sentence_transformers import SentenceTransformer

    from modsent.languages import get_language

    if variant not in FULL_VARIANTS:
        raise ValueError(f"unknown full baseline {variant!r}; known: {', '.join(FULL_VARIANTS)}")
    if start_from is not None and variant != "full_mc":
        raise ValueError(f"start_from applies to full_mc only (it continues a Full_m), not {variant!r}")
    if start_from is not None and not Path(start_from).is_dir():
        raise FileNotFoundError(f"Full_m model {start_from} does not exist")
    pivot = get_language(pivot).code
    mono = {get_language(lang).code: Path(path) for lang, path in mono.items()}
    if variant == "full_en":
        mono = {pivot: mono[pivot]} if pivot in mono else mono
    pairs = read_mono_views(mono, pivot)
    stages = STAGES[variant][1:] if start_from is not None else STAGES[variant]

    seed_everything(settings.seed)
    device = pick_device(device)
    model = SentenceTransformer(str(start_from or base_model), device="cpu")
    checkpoints = CheckpointDir(checkpoint_dir or default_checkpoint_dir(out_dir), fingerprint(
        {"variant": variant, "pivot": pivot, **asdict(settings)},
        {"base_model": base_model, "start_from": start_from, **{f"mono:{k}": v for k, v in sorted(mono.items())}}),
        output=out_dir)
    records = []
    for index, stage in enumerate(stages):
        records.append(train_stage(model, stage, pairs, settings, device, checkpoints=checkpoints,
                                   checkpoint_every=checkpoint_every, finished=records,
                                   last=index == len(stages) - 1))
    record = {
        "variant": variant,
        "seconds": round(sum(r["seconds"] for r in records), 3),
        "steps": sum(r["steps"] for r in records),
        "stages": records,
        "base_model": str(base_model),
        "start_from": None if start_from is None else str(start_from),
        "device": device,
        **asdict(settings),
    }
    with atomic_output(out_dir) as tmp:
        model.save(str(tmp), safe_serialization=True)
        write_json(tmp / TRAINING_RECORD, record)
    checkpoints.remove()
    log.info("%s written to %s (%.1f s, %d steps)", variant, out_dir, record["seconds"], record["steps"])
    return model


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=train_full_baseline.__doc__)
    p.add_argument("--variant", required=True, choices=FULL_VARIANTS)
    p.add_argument("--out", required=True)
    p.add_argument("--base-model", required=True, help="hub id or local sentence-transformers directory")
    p.add_argument("--mono", type=lang_path_argument, nargs="+", required=True, metavar="LANG=PATH",
                   help="each language's mono view")
    p.add_argument("--pivot", default="en")
    p.add_argument("--start-from", help="full_mc: a trained Full_m directory to continue from")
    a, settings = parse_training_arguments(p, argv, FullSettings)
    with stop_on_termination():
        train_full_baseline(a.variant, a.out, base_model=a.base_model, mono=dict(a.mono), pivot=a.pivot,
                            start_from=a.start_from, settings=settings, device=a.device,
                            checkpoint_dir=a.checkpoint_dir, checkpoint_every=a.checkpoint_every)


if __name__ == "__main__":
    main()
