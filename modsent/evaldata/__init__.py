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
from modsent.evaldata.readers import clone_facts_of, facts_of
from modsent.evaldata.sib import SIB
from modsent.evaldata.sts import SICK, STR24, STS17, STSB, STSData
from modsent.languages import get_language

__all__ = ["DATASETS", "clone_sources", "DataFormatError", "DataSourceError", "EvalDataset", "STSData", "Unit", "get_dataset"]

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
    for key, sub_source in {name: source, **_sub_sources(spec, source.split)}.items():
        # a clone is of a supported repository; a hub id is a supported set, with the revision
        # it needs (Kardeş-NLU and Hercig & Kral are not on the hub: their readers say so)
        if sub_source.is_raw:
            clone_facts_of(sub_source)
        elif key not in ("kardes", "hercig_kral"):
            facts_of(sub_source)
    own = None
    if spec.get("languages") is not None:  # the set's own subset (STR24: App. C.2's six)
        own = {get_language(lang).code for lang in spec["languages"]}
        languages = [lang for lang in languages if get_language(lang).code in own]
    dataset = _open(name, spec, source, languages)
    if own is not None:
        dataset.own_languages = own
    return dataset


def _sub_sources(spec: dict, split: str) -> dict[str, Source]:
    """The sources a dataset adds to its main one, by config key: korsts, kardes,
    hercig_kral, translations.<lang> (SICK's)."""
    subs = {key: spec[key] for key in ("korsts", "kardes", "hercig_kral") if spec.get(key)}
    subs |= {f"translations.{lang}": sub for lang, sub in (spec.get("translations") or {}).items()}
    return {key: Source.from_spec(sub, split) for key, sub in subs.items()}


def clone_sources(specs: dict[str, dict]) -> dict[str, list[Source]]:
    """Path -> the sources (one per split) of every configured clone (`clone_of`): what the
    workflow fetches where the path is missing."""
    clones: dict[str, list[Source]] = {}
    for spec in specs.values():
        for source in _sub_sources(spec, Source.from_spec(spec).split).values():
            if source.clone_of is not None:
                clones.setdefault(source.path, []).append(source)
    for path, sources in clones.items():
        if len({s.clone_of for s in sources}) > 1:
            raise DataSourceError(f"{path} is named as a clone of several repositories: "
                                  f"{sorted({s.clone_of for s in sources})}")
    return clones


def _open(name: str, spec: dict, source: Source, languages: Sequence[str]) -> EvalDataset:
    subs = _sub_sources(spec, source.split)
    if name == "sts17":
        return STS17(name, source, languages, subs.get("hercig_kral"))
    if name in ("stsb", "stsb_multi_mt"):
        return STSB(name, source, languages, korsts=subs.get("korsts"), kardes=subs.get("kardes"))
    if name == "sick":
        translations = {key.removeprefix("translations."): sub for key, sub in subs.items()
                        if key.startswith("translations.")}
        return SICK(name, source, languages, translations)
    return DATASETS[name](name, source, languages)
