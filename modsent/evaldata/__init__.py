"""Evaluation data sources: every set of the paper, from raw files or the HF hub.

    dataset = get_dataset("stsb", {"format": "raw", "path": "...", "split": "test"}, ["en", "de"])
    dataset.units(), dataset.texts("de"), dataset.load("de", "en"), dataset.skipped()

Opening a dataset is cheap and loads no model; a missing raw file raises DataSourceError
naming it. Sets are restricted to the configured languages; `skipped()` says what was
left out and why. Malformed rows raise DataFormatError("<file>:<line>: ...").
"""

from __future__ import annotations

from typing import Sequence

from modsent.evaldata.base import DataFormatError, DataSourceError, EvalDataset, Source, Unit
from modsent.evaldata.belebele import Belebele
from modsent.evaldata.bitext import Flores, Tatoeba
from modsent.evaldata.sib import SIB
from modsent.evaldata.sts import SICK, STR24, STS17, STSB, STSData

__all__ = ["DATASETS", "DataFormatError", "DataSourceError", "EvalDataset", "STSData", "Unit", "get_dataset"]

DATASETS = {
    "sts17": STS17, "stsb": STSB, "sick": SICK, "str24": STR24,
    "sib": SIB, "flores": Flores, "tatoeba": Tatoeba, "belebele": Belebele,
}


def get_dataset(name: str, spec: dict, languages: Sequence[str]) -> EvalDataset:
    """Open evaluation set `name` (a key of DATASETS) from its config entry
    {format: raw|hub, path, split: test|dev, ...}, restricted to `languages`."""
    if name not in DATASETS:
        raise KeyError(f"unknown evaluation dataset {name!r}; known: {sorted(DATASETS)}")
    source = Source.from_spec(spec)
    extra_keys = {"stsb": {"korsts", "kardes"}, "sick": {"translations"}}.get(name, set())
    unknown = set(spec) - {"format", "path", "split"} - extra_keys
    if unknown:
        raise DataSourceError(f"{name}: unknown key(s) {sorted(unknown)} in its data source")
    if name == "stsb":
        subsources = {key: Source.from_spec(spec[key], source.split) for key in ("korsts", "kardes") if spec.get(key)}
        return STSB(name, source, languages, **subsources)
    if name == "sick":
        translations = {lang: Source.from_spec(sub, source.split)
                        for lang, sub in (spec.get("translations") or {}).items()}
        return SICK(name, source, languages, translations)
    return DATASETS[name](name, source, languages)
