"""Evaluation scores: one scorer per task, registered by task with one signature, reading
only cached embeddings, and the long-format rows (SCORE_COLUMNS) every table is rendered from."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from modsent import metrics
from modsent.evaluation.embeddings import EmbeddingLookup
from modsent.evaluation.texts import open_dataset
from modsent.utils import atomic_output

SCORE_COLUMNS = ("variant", "task", "dataset", "unit", "setting", "metric", "value")
LANGUAGE_BIAS_UNIT = "all"


@dataclass(frozen=True)
class Score:
    metric: str
    value: float
    setting: str


Lookup = Callable[[str, list[str]], np.ndarray]


@dataclass(frozen=True)
class ScoringContext:
    pivot: str = "en"  # the training language of zero-shot classification
    seed: int = 0  # of the classifier


# task -> scorer(dataset, unit, lookup, context) -> [Score]; a dataset's `task` picks its scorer
SCORERS: dict[str, Callable] = {}


def scorer(*tasks: str):
    def register(function):
        for task in tasks:
            SCORERS[task] = function
        return function
    return register


@scorer("sts", "str")
def _sts(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    # Symmetric pairs (de-fr, fr-de) are averaged, as in the paper.
    values = []
    for l1, l2 in dataset.directions(unit):
        data = dataset.load(l1, l2)
        values.append(metrics.sts_spearman(lookup(l1, data.s1), lookup(l2, data.s2), data.scores))
    return [Score("spearman", float(np.mean(values)), unit.setting)]


def _language_bias(dataset, lookup: Lookup) -> list[Score]:
    units = []
    for l1, l2 in dataset.bilingual_directions():
        data = dataset.load(l1, l2)
        units.append((lookup(l1, data.s1), lookup(l2, data.s2), data.scores))
    return [Score("language_bias", metrics.language_bias(units), "cross")]


@scorer("bitext")
def _bitext(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    a, b = unit.langs
    texts_a, texts_b = dataset.load(a, b)
    emb_a, emb_b = lookup(a, texts_a), lookup(b, texts_b)
    a_to_b, b_to_a = metrics.xsim_both_directions(emb_a, emb_b, texts_a, texts_b)
    scores = [Score("xsim", (a_to_b + b_to_a) / 2, "cross")]
    if dataset.reports_rsim:
        scores.append(Score("rsim", metrics.rsim(emb_a, emb_b), "cross"))
    return scores


@scorer("cls")
def _classification(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    if unit.setting == "mono":
        train_lang = test_lang = unit.langs[0]
    else:  # zero-shot cross-lingual transfer: train on the pivot, test on the other language
        train_lang = context.pivot
        (test_lang,) = [lang for lang in unit.langs if lang != context.pivot]
    train_x, train_y = dataset.load(train_lang, "train")
    test_x, test_y = dataset.load(test_lang, dataset.eval_split)
    acc = metrics.classification_accuracy(
        lookup(train_lang, train_x), train_y, lookup(test_lang, test_x), test_y, seed=context.seed
    )
    return [Score("accuracy", acc, unit.setting)]


@scorer("mcqa")
def _multiple_choice(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    (lang,) = unit.langs
    passages, options, correct = dataset.mcqa_texts(lang)
    option_emb = lookup(lang, [o for row in options for o in row]).reshape(len(options), len(options[0]), -1)
    return [Score("accuracy", metrics.multiple_choice_accuracy(lookup(lang, passages), option_emb, correct), "mono")]


def score_unit(dataset, unit_name: str, lookup: Lookup, *, pivot: str = "en", seed: int = 0) -> list[Score]:
    """All metrics of one unit of one dataset, from cached embeddings."""
    if unit_name == LANGUAGE_BIAS_UNIT:
        return _language_bias(dataset, lookup)
    if dataset.task not in SCORERS:
        raise ValueError(f"dataset {dataset.name!r} has a task without a scorer: {dataset.task!r}")
    return SCORERS[dataset.task](dataset, dataset.unit(unit_name), lookup, ScoringContext(pivot, seed))


def score_rows(variant: str, dataset, unit_name: str, scores: list[Score]) -> list[dict]:
    return [
        {"variant": variant, "task": dataset.task, "dataset": dataset.name, "unit": unit_name,
         "setting": s.setting, "metric": s.metric, "value": round(float(s.value), 6)}
        for s in scores
    ]


def write_score_rows(rows: list[dict], out_path: str | Path) -> None:
    with atomic_output(out_path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=SCORE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


def scoring_units(dataset) -> list[str]:
    """Names of the score jobs of a dataset: its units, plus language bias where defined."""
    names = [u.name for u in dataset.units()]
    if getattr(dataset, "multi_parallel", False) and len(dataset.bilingual_directions()) > 1:
        names.append(LANGUAGE_BIAS_UNIT)
    return names



def score_variants(dataset, unit: str, variants, texts: Mapping[str, str | Path],
                   embeddings: Mapping[str, str | Path], *, pivot: str = "en", seed: int = 0) -> list[dict]:
    """Long-format rows of one unit for each variant, from the embedding cache (`texts`:
    language -> its texts file; `embeddings`: language -> its folder of the cache)."""
    rows = []
    for variant in variants:
        lookup = EmbeddingLookup(texts, embeddings, variant)
        rows += score_rows(variant, dataset, unit, score_unit(dataset, unit, lookup, pivot=pivot, seed=seed))
    return rows


def score_job(dataset_name: str, spec: dict, units, variants, texts: Mapping[str, str | Path],
              embeddings: Mapping[str, str | Path], out: str | Path, *, pivot: str = "en",
              seed: int = 0) -> list[dict]:
    """Score some units for every variant and write the long-format rows to `out`; the dataset
    is restricted to the languages whose texts are given (the units' languages)."""
    dataset = open_dataset(dataset_name, spec, list(texts))
    rows = [row for unit in units
            for row in score_variants(dataset, unit, variants, texts, embeddings, pivot=pivot, seed=seed)]
    write_score_rows(rows, out)
    return rows
