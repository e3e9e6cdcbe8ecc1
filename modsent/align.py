"""Cross-lingual alignment (CLA) adapters (paper §3.2; docs/METHOD.md, step 6).

A parallel bottleneck adapter (`adapters.ParBnConfig()` defaults: at the feed-forward
block, reduction factor 2, ReLU, scaling 4, the up projection initialised to zero so
training starts from the unaligned encoder) is added to language X's encoder (LA + SE
merged; LA only for `c-jt`) and is the only thing that trains. The target is the frozen
pivot encoder (the pivot's LA + SE), kept in eval mode throughout: no dropout on the
side that defines the space X is pulled into.

Kinds (the grid's Mod_mc-pp, -pl, -jt, Mod_c-jt and the all-pair rows of Table 3):

    pp       cross-lingual paraphrase pairs (pivot sentence, its paraphrase in X, with the hard
             negative in X where the data has one), MNRL
    pl       parallel pairs (pivot sentence, its translation in X), cosine distance 1 - cos
    jt       paraphrase and parallel batches interleaved, every pair of both views once an epoch
    c-jt     jt on X's LA only (no SE for X)
    allpair-pp, allpair-pl, allpair
             pp, pl and jt (`allpair`: an extra, not in the paper) where the other side of
             each pair is in a random language (pivot or another non-pivot language, through
             that language's translation of the pivot sentence), encoded by that language's
             frozen LA + SE: X is aligned to every language rather than to the pivot alone
             (paper §6.1).

The frozen side never changes, so each of its texts is embedded once up front (eval
mode, no_grad, texts sorted by length: no padding waste), the same vectors a per-step
forward would give; the loop then runs only X's side, tokenised once and bucketed by
length, and reads the loss back only every 100 steps (OptimizerSteps). Resumable like SE:
checkpoints every `checkpoint_every` steps and on SIGTERM (modsent.checkpoint).
Output: `adapter.safetensors` + `adapter_config.json` (adapters' format, safetensors,
never a pickle) and `record.json` (seconds, steps, pairs, parameters, settings).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from modsent.checkpoint import (
    CHECKPOINT_EVERY, CheckpointDir, TrainingCheckpoints, default_checkpoint_dir,
    fingerprint, stop_on_termination,
)
from modsent.modules.alignment import add_alignment_adapter, save_alignment_adapter
from modsent.training import (
    OptimizerSteps, TrainingSettings, length_bucketed_batches, linear_warmup_schedule, pad_token_id,
    parse_training_arguments, tokenize_texts,
)
from modsent.utils import lang_path_argument, pick_device, seed_everything

log = logging.getLogger("modsent.align")

ALIGNMENT_KINDS = ("pp", "pl", "jt", "c-jt", "allpair-pp", "allpair-pl", "allpair")
ALLPAIR_KINDS = ("allpair-pp", "allpair-pl", "allpair")
PARAPHRASE, PARALLEL = "paraphrase", "parallel"


def tasks_of(kind: str) -> tuple[str, ...]:
    """The batch types a kind trains on, in alternation order."""
    if kind not in ALIGNMENT_KINDS:
        raise ValueError(f"unknown alignment kind {kind!r}; known kinds: {', '.join(ALIGNMENT_KINDS)}")
    single = {"pp": (PARAPHRASE,), "pl": (PARALLEL,), "allpair-pp": (PARAPHRASE,), "allpair-pl": (PARALLEL,)}
    return single.get(kind, (PARAPHRASE, PARALLEL))


@dataclass(frozen=True)
class AlignmentSettings(TrainingSettings):
    """Training hyper-parameters (paper App. B.2: seq 128, batch 256, lr 2e-5, 1 epoch)."""

    batch_size: int = 256

    stage = "alignment"


@dataclass
class _PairGroup:
    """Pairs of one task whose other side is in one language: token ids of both sides and,
    once computed, the frozen side's embeddings."""

    task: str
    partner: str
    partner_texts: object  # TokenizedTexts
    own_texts: object  # the pairs' own-side texts, then their hard negatives
    negative_row: np.ndarray  # row in own_texts of pair i's hard negative, -1 where it has none
    targets: object = None  # torch.Tensor, row i = partner text i embedded by the frozen encoder

    @property
    def lengths(self) -> np.ndarray:
        """Per pair, the longest own-side text it brings into a batch (bucketing key)."""
        lengths = self.own_texts.lengths
        n = len(self.negative_row)
        return np.maximum(lengths[:n], np.where(self.negative_row >= 0, lengths[self.negative_row], 0))


def _frozen_embeddings(encoder, texts, rows: np.ndarray, pad_id: int, batch_size: int, device: str, autocast):
    """Row i = embedding of text i by a frozen encoder (eval mode), for the given rows (others
    zero), computed in length-sorted batches."""
    import torch

    order = rows[np.argsort(texts.lengths[rows], kind="stable")]
    embeddings = None
    with torch.no_grad(), autocast:
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            input_ids, attention_mask = texts.padded(chunk, pad_id)
            features = {"input_ids": torch.from_numpy(input_ids).to(device),
                        "attention_mask": torch.from_numpy(attention_mask).to(device)}
            out = encoder(features)["sentence_embedding"]
            if embeddings is None:
                embeddings = out.new_zeros((len(texts.lengths), out.shape[1]))
            embeddings[torch.from_numpy(chunk).to(device)] = out
    return embeddings


def _partner_assignment(pivot_texts, pivot: str, translations: Mapping[str, Mapping[str, str]], rng):
    """Per row, a random language among the pivot and those with a translation of its pivot text."""
    languages = [pivot] + sorted(translations)
    assigned = {lang: [] for lang in languages}
    for row, text in enumerate(pivot_texts):
        choices = [pivot] + [lang for lang in languages[1:] if text in translations[lang]]
        assigned[choices[rng.integers(len(choices))]].append(row)
    for lang in languages[1:]:
        if not assigned[lang]:
            log.warning("allpair: no pivot sentence of these pairs has a translation in %s's parallel view "
                        "(built from other data?); no pair is aligned to %s", lang, lang)
    return assigned


def _pair_groups(task, rows, encoders, pivot, translations, rng, max_length) -> list[_PairGroup]:
    own_tokenizer = encoders["own"][0].tokenizer
    pivot_texts = [r[0] for r in rows]
    by_partner = _partner_assignment(pivot_texts, pivot, translations, rng) if translations else {
        pivot: list(range(len(rows)))
    }
    groups = []
    for partner, picked in by_partner.items():
        if not picked:
            continue
        lookup = translations.get(partner) if partner != pivot else None
        partner_side = [pivot_texts[i] if lookup is None else lookup[pivot_texts[i]] for i in picked]
        negatives = [k for k, i in enumerate(picked) if len(rows[i]) > 2 and rows[i][2]]
        negative_row = np.full(len(picked), -1, dtype=np.int64)
        negative_row[negatives] = len(picked) + np.arange(len(negatives))
        groups.append(_PairGroup(
            task=task, partner=partner,
            partner_texts=tokenize_texts(encoders[partner][0].tokenizer, partner_side, max_length),
            own_texts=tokenize_texts(own_tokenizer, [rows[i][1] for i in picked] +
                                     [rows[picked[k]][2] for k in negatives], max_length),
            negative_row=negative_row,
        ))
    return groups


def _epoch_schedule(groups: list[_PairGroup], tasks: Sequence[str], batch_size: int, rng):
    """(group, rows) batches: per task all groups' batches in random order, tasks interleaved.

    With two tasks every batch of both is used once an epoch, spread evenly: batch i of a
    task with n batches sits at (i + 0.5) / n of the epoch. Equal counts give strict
    alternation; otherwise the larger view (parallel, ~2 sentences a row) keeps all its
    pairs instead of being cut to the smaller one's length (docs/TRAINING.md).
    """
    slots = []
    for order, task in enumerate(tasks):
        batches = [(g, b) for g in groups if g.task == task
                   for b in length_bucketed_batches(g.lengths, batch_size, rng)]
        slots += [((i + 0.5) / len(batches), order, batches[k]) for i, k in enumerate(rng.permutation(len(batches)))]
    return [batch for *_, batch in sorted(slots, key=lambda slot: slot[:2])]


def train_cla(
    model,
    pivot_encoder,
    *,
    kind: str,
    cross: Sequence[tuple[str, str]] = (),
    parallel: Sequence[tuple[str, str]] = (),
    pivot: str = "en",
    partner_encoders: Mapping[str, object] | None = None,
    translations: Mapping[str, Mapping[str, str]] | None = None,
    settings: AlignmentSettings = AlignmentSettings(),
    device: str = "cpu",
    checkpoints: CheckpointDir | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> dict:
    """Add a CLA adapter to `model` (language X's composed encoder) and train it in place.

    `cross` rows are (pivot sentence, its paraphrase in X[, a hard negative in X]),
    `parallel` rows (pivot sentence, its translation in X). `pivot_encoder` is frozen and
    kept in eval mode.
    For the all-pair kinds, `partner_encoders` maps other languages to their frozen encoders and
    `translations[lang]` maps a pivot sentence to its translation in that language.
    Returns the training record (seconds, steps, pairs, parameters). With `checkpoints`
    the loop checkpoints every `checkpoint_every` steps and on SIGTERM, and resumes there.
    """
    import torch

    from modsent.losses import CosineSimilarityLoss, MultipleNegativesRankingLoss

    tasks = tasks_of(kind)
    data = {PARAPHRASE: list(cross), PARALLEL: list(parallel)}
    for task in tasks:
        if len(data[task]) < 2:
            raise ValueError(f"CLA kind {kind!r} needs at least 2 {task} pairs, got {len(data[task])}")
    translations = dict(translations or {})
    partner_encoders = dict(partner_encoders or {})
    if kind in ALLPAIR_KINDS:
        missing = sorted(set(translations) - set(partner_encoders))
        if missing:
            raise ValueError(f"{kind}: translations given for {missing} but no encoder")
    elif translations:
        raise ValueError(f"translations only apply to the all-pair kinds {ALLPAIR_KINDS}, not {kind!r}")
    encoders = {"own": model, pivot: pivot_encoder, **{k: partner_encoders[k] for k in translations}}
    own_params = {id(p) for p in model.parameters()}
    for lang, enc in encoders.items():
        if lang != "own" and any(id(p) in own_params for p in enc.parameters()):
            raise ValueError(f"the frozen {lang!r} encoder shares parameters with the encoder being aligned")

    seed_everything(settings.seed)
    rng = np.random.default_rng(settings.seed)
    start = time.perf_counter()
    groups = [g for task in tasks
              for g in _pair_groups(task, data[task], encoders, pivot, translations, rng, settings.max_seq_length)]
    schedule = [_epoch_schedule(groups, tasks, settings.batch_size, rng) for _ in range(settings.epochs)]
    total_steps = sum(len(s) for s in schedule)

    trainable = add_alignment_adapter(model)
    model.to(device)
    for lang, enc in encoders.items():
        if lang != "own":
            enc.to(device)
            enc.eval()
            enc.requires_grad_(False)
    pad_ids = {lang: pad_token_id(enc[0].tokenizer) for lang, enc in encoders.items()}

    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=settings.weight_decay,
                                  fused=device == "cuda")
    scheduler = linear_warmup_schedule(optimizer, int(total_steps * settings.warmup_ratio), total_steps)
    losses = {PARAPHRASE: MultipleNegativesRankingLoss(), PARALLEL: CosineSimilarityLoss()}
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")

    def features(texts, rows):
        input_ids, attention_mask = texts.padded(rows, pad_ids["own"])
        tally["padded_tokens"] += input_ids.size
        tally["real_tokens"] += int(attention_mask.sum())
        return {"input_ids": torch.from_numpy(input_ids).to(device, non_blocking=True),
                "attention_mask": torch.from_numpy(attention_mask).to(device, non_blocking=True)}

    for group in groups:  # every pair is in every epoch
        rows = np.arange(len(group.negative_row))
        group.targets = _frozen_embeddings(encoders[group.partner], group.partner_texts, rows,
                                           pad_ids[group.partner], 2 * settings.batch_size, device, autocast)
    n_params = sum(p.numel() for p in trainable)
    n_negatives = sum(int((g.negative_row >= 0).sum()) for g in groups)
    log.info("CLA %s trains on %s per epoch (%d paraphrase pairs with a hard negative); %d epoch(s), %d steps, "
             "%d trainable parameters, device %s", kind,
             " and ".join(f"{len(data[t])} {t} pairs" for t in tasks), n_negatives if PARAPHRASE in tasks else 0,
             settings.epochs, total_steps, n_params, device)
    resumable = TrainingCheckpoints(checkpoints, {n: p for n, p in model.named_parameters() if p.requires_grad},
                                    optimizer, scheduler, every=checkpoint_every, total_steps=total_steps)
    saved = resumable.restore() or {}
    first_step = saved.get("step", 0)
    tally = {"seconds": saved.get("seconds", 0.0), "used": saved.get("used", {task: 0 for task in tasks}),
             "padded_tokens": saved.get("padded_tokens", 0), "real_tokens": saved.get("real_tokens", 0)}
    used = tally["used"]
    update = OptimizerSteps(trainable, optimizer, scheduler, total_steps, device, first_step=first_step)
    model.train()
    steps = [step for batches in schedule for step in batches]  # step i is a function of i: resumable

    def progress():
        return dict(tally, seconds=tally["seconds"] + time.perf_counter() - start)

    with resumable:
        for group, rows in steps[first_step:]:
            target = group.targets[torch.from_numpy(rows).to(device)]
            negatives = group.negative_row[rows][group.negative_row[rows] >= 0]
            with autocast:
                own = model(features(group.own_texts, np.concatenate([rows, negatives])))["sentence_embedding"]
            if group.task == PARAPHRASE:  # the English anchor against X's positives and hard negatives
                loss = losses[PARAPHRASE](target, own[:len(rows)], own[len(rows):] if len(negatives) else None)
            else:
                loss = losses[PARALLEL](own, target)
            update(loss)
            used[group.task] += len(rows)
            resumable.after_step(update.step, progress)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds, padded_tokens, real_tokens = progress()["seconds"], tally["padded_tokens"], tally["real_tokens"]
    model.eval()
    return {
        "kind": kind,
        "seconds": round(seconds, 3),
        "steps": update.step,
        "pairs": used,
        "hard_negatives": n_negatives,
        "parameters": n_params,
        "adapter": "adapters.ParBnConfig()",
        "partners": sorted({g.partner for g in groups}),
        "padding_fraction": round(1 - real_tokens / max(1, padded_tokens), 4),
        "device": device,
        **asdict(settings),
    }


def _read_pairs(path: Path, what: str) -> list[tuple[str, ...]]:
    """(pivot text, target text) rows, with the target-language hard negative of a paraphrase row."""
    from modsent.tsv import read_training_view

    return [tuple(r[:3]) if what == PARAPHRASE else (r[0], r[1]) for r in read_training_view(path, what)]


def train_alignment_adapter(
    lang: str,
    kind: str,
    out_dir: str | Path,
    *,
    base_model: str,
    encoders: Mapping[str, Mapping[str, str | Path]],
    cross: str | Path | None = None,
    parallel: str | Path | None = None,
    pivot: str = "en",
    partner_parallel: Mapping[str, str | Path] | None = None,
    settings: AlignmentSettings = AlignmentSettings(),
    device: str = "auto",
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> dict:
    """Train language `lang`'s CLA adapter of `kind`; write it to `out_dir`.

    `encoders`: language -> the modules (role -> directory) of the encoders it trains with:
    `lang`'s own, the frozen pivot's and each all-pair partner's, as
    ModuleStore.alignment_encoders lists them. `cross` / `parallel` are the language's views
    (results/train/{lang}/cross.tsv, parallel.tsv); the all-pair kinds also need
    `partner_parallel` (other non-pivot language -> its parallel view). Returns the record.
    Resumable: checkpoints in `checkpoint_dir` (default "<out_dir>.checkpoints"), removed
    once the adapter is written.
    """
    from modsent.modules.composition import build_encoder
    from modsent.languages import get_language

    lang, pivot = get_language(lang).code, get_language(pivot).code
    tasks = tasks_of(kind)
    if lang == pivot:
        raise ValueError(f"the pivot language {pivot!r} gets no CLA adapter")
    partner_parallel = {get_language(k).code: Path(v) for k, v in (partner_parallel or {}).items()}
    if partner_parallel and kind not in ALLPAIR_KINDS:
        raise ValueError(f"partner views only apply to the all-pair kinds {ALLPAIR_KINDS}, not {kind!r}")
    if lang in partner_parallel or pivot in partner_parallel:
        raise ValueError(f"allpair partners must be other non-pivot languages, got {sorted(partner_parallel)}")
    views = {PARAPHRASE: cross, PARALLEL: parallel}
    for task in tasks:
        if views[task] is None:
            raise ValueError(f"CLA kind {kind!r} needs the {task} view of {lang!r}")
    for path in [views[t] for t in tasks] + list(partner_parallel.values()):
        if not Path(path).is_file():
            raise FileNotFoundError(f"training view {path} does not exist")

    encoders = {get_language(k).code: dict(v) for k, v in encoders.items()}
    lacking = [other for other in (lang, pivot, *partner_parallel) if other not in encoders]
    if lacking:
        raise ValueError(f"no encoder modules given for {lacking}: CLA {kind!r} of {lang!r} trains with "
                         f"the encoders of {[lang, pivot, *partner_parallel]}")

    data = {task: _read_pairs(Path(views[task]), task) for task in tasks}
    translations = {}
    for partner, path in partner_parallel.items():
        translations[partner] = dict(_read_pairs(path, PARALLEL))
    device = pick_device(device)
    model = build_encoder(base_model, encoders[lang], device="cpu")
    pivot_encoder = build_encoder(base_model, encoders[pivot], device="cpu")
    partners = {p: build_encoder(base_model, encoders[p], device="cpu") for p in translations}

    modules = {str(path): path for other in [lang, pivot, *translations] for path in encoders[other].values()}
    checkpoints = CheckpointDir(checkpoint_dir or default_checkpoint_dir(out_dir), fingerprint(
        {"kind": kind, "lang": lang, "pivot": pivot, **asdict(settings)},
        {"base_model": base_model, **views, **{f"partner:{k}": v for k, v in partner_parallel.items()}, **modules}),
        output=out_dir)
    record = train_cla(
        model, pivot_encoder, kind=kind, cross=data.get(PARAPHRASE, ()), parallel=data.get(PARALLEL, ()),
        pivot=pivot, partner_encoders=partners, translations=translations, settings=settings, device=device,
        checkpoints=checkpoints, checkpoint_every=checkpoint_every,
    )
    record.update(lang=lang, pivot=pivot, base_model=str(base_model), views={t: str(views[t]) for t in tasks})
    save_alignment_adapter(model, out_dir, record)
    checkpoints.remove()
    log.info("CLA adapter %s written to %s (%.1f s, %d steps)", kind, out_dir, record["seconds"], record["steps"])
    return record


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=train_alignment_adapter.__doc__)
    p.add_argument("--lang", required=True)
    p.add_argument("--kind", required=True, choices=ALIGNMENT_KINDS)
    p.add_argument("--out", required=True)
    p.add_argument("--base-model", required=True, help="hub id or local sentence-transformers directory")
    p.add_argument("--encoders", required=True, type=json.loads,
                   help='JSON: language -> role -> module directory, e.g. {"de": {"tokenizer": ..., "la": ..., '
                        '"se": ...}, "en": {...}} (LANG, the pivot and each all-pair partner)')
    p.add_argument("--cross", help="TSV view: pivot sentence, its paraphrase in LANG")
    p.add_argument("--parallel", help="TSV view: pivot sentence, its translation in LANG")
    p.add_argument("--pivot", default="en")
    p.add_argument("--partner-parallel", type=lang_path_argument, action="append", default=[],
                   metavar="LANG=PATH", help="all-pair kinds: another language's parallel view (repeat)")
    a, settings = parse_training_arguments(p, argv, AlignmentSettings)
    with stop_on_termination():
        train_alignment_adapter(
            a.lang, a.kind, a.out, base_model=a.base_model, encoders=a.encoders, cross=a.cross, parallel=a.parallel,
            pivot=a.pivot, partner_parallel=dict(a.partner_parallel), settings=settings, device=a.device,
            checkpoint_dir=a.checkpoint_dir, checkpoint_every=a.checkpoint_every,
        )


if __name__ == "__main__":
    main()
