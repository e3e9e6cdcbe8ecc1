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
from modsent.evaldata.readers import facts_of
from modsent.evaldata.sib import SIB
from modsent.evaldata.sts import SICK, STR24, STS17, STSB, STSData
from modsent.languages import get_language

__all__ = ["DATASETS", "DataFormatError", "DataSourceError", "EvalDataset", "STSData", "Unit", "get_dataset"]

DATASETS = {
    "sts17": STS17, "stsb": STSB, "stsb_multi_mt": STSB, "sick": SICK, "str24": STR24,
    "sib": SIB, "flores": Flores, "tatoeba": Tatoeba, "belebele": Belebele,
}


def get_dataset(name: str, spec: dict, languages: Sequence[str]) -> EvalDataset:
    """Open evaluation set `name` (a key of DATASETS) from its config entry
    {format: raw|hub, path, split: test|dev, ...}, restricted to `languages`."""
    if name not in DATASETS:
        raise KeyError(f"unknown evaluation dataset {name!r}; known: {sorted(DATASETS)}")
    source = Source.from_spec(spec)
    extra_keys = {"stsb": {"korsts", "kardes"}, "stsb_multi_mt": {"korsts", "kardes"},
                  "sick": {"translations"}, "sts17": {"hercig_kral"}}.get(name, set())
    unknown = set(spec) - {"format", "path", "split", "revision", "data_files", "languages"} - extra_keys
    if unknown:
        raise DataSourceError(f"{name}: unknown key(s) {sorted(unknown)} in its data source")
    for sub in [spec] + ([spec["korsts"]] if spec.get("korsts") else []) \
            + list((spec.get("translations") or {}).values()):
        facts_of(Source.from_spec(sub))  # a hub id is a supported set, with the revision it needs
    own = None
    if spec.get("languages") is not None:  # the set's own subset (STR24: App. C.2's six)
        own = {get_language(lang).code for lang in spec["languages"]}
        languages = [lang for lang in languages if get_language(lang).code in own]
    dataset = _open(name, spec, source, languages)
    if own is not None:
        dataset.own_languages = own
    return dataset


def _open(name: str, spec: dict, source: Source, languages: Sequence[str]) -> EvalDataset:
    if name == "sts17":
        hercig_kral = Source.from_spec(spec["hercig_kral"]) if spec.get("hercig_kral") else None
        return STS17(name, source, languages, hercig_kral)
    if name in ("stsb", "stsb_multi_mt"):
        subsources = {key: Source.from_spec(spec[key], source.split) for key in ("korsts", "kardes") if spec.get(key)}
        return STSB(name, source, languages, **subsources)
    if name == "sick":
        translations = {lang: Source.from_spec(sub, source.split)
                        for lang, sub in (spec.get("translations") or {}).items()}
        return SICK(name, source, languages, translations)
    return DATASETS[name](name, source, languages)
