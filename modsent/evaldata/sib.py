"""SIB-200 topic classification (logistic regression on frozen embeddings).

Raw (dadelani/sib-200 data/annotated): <code>_<Script>/{train,dev,test}.tsv with header
index_id, category, text and CSV quoting. Hub: ``Davlan/sib200``, one config per FLORES-200
code, splits train/validation/test, columns index_id category text.
"""

from __future__ import annotations

from typing import Sequence

from modsent.evaldata.base import DataSourceError, EvalDataset, Source, Unit, language_codes
from modsent.evaldata.readers import hub_configs, load_hub, read_table, text

TRAIN_LANGUAGE = "en"  # zero-shot cross-lingual transfer trains on English


class SIB(EvalDataset):
    """Units: one mono unit per language (train and test in it) and, for every other
    language x, a cross unit "en-x" sorted (train English, test x)."""

    task = "cls"
    _HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}

    def __init__(self, name: str, source: Source, languages: Sequence[str]):
        super().__init__(name, languages)
        self.source = source
        self.eval_split = source.split  # the split accuracy is measured on
        if source.is_raw:
            folders = [p.name for p in source.directory().iterdir() if p.is_dir()]
            for folder in folders:
                for split in ("train", source.split):
                    source.file(f"{folder}/{split}.tsv")
        else:
            folders = hub_configs(source)
        self._codes, left_out = language_codes(folders)
        self.notes += left_out
        if not self._codes:
            raise DataSourceError(f"{name}: no SIB-200 language folders in {source.path}")
        self._cache: dict[tuple[str, str], tuple[list[str], list[str]]] = {}

    def source_languages(self) -> list[str]:
        return sorted(self._codes)

    def source_units(self) -> list[Unit]:
        units = [Unit.of(self.name, self.task, lang) for lang in self.source_languages()]
        if TRAIN_LANGUAGE in self._codes:
            units += [Unit.of(self.name, self.task, TRAIN_LANGUAGE, lang)
                      for lang in self.source_languages() if lang != TRAIN_LANGUAGE]
        return units

    def load(self, lang: str, split: str) -> tuple[list[str], list[str]]:
        """(texts, topic labels) of one language and split (train, dev or test)."""
        if split not in self._HUB_SPLITS:
            raise KeyError(f"{self.name}: unknown split {split!r}; use train, dev or test")
        if lang not in self.languages():
            raise KeyError(f"{self.name} has no configured language {lang!r}")
        if (lang, split) not in self._cache:
            code = self._codes[lang]
            wanted = ["text", "category"]
            if self.source.is_raw:
                rows = read_table(self.source.file(f"{code}/{split}.tsv"), delimiter="\t", quoted=True, wanted=wanted)
            else:
                rows = load_hub(self.source, code, self._HUB_SPLITS[split], wanted)
            self._cache[lang, split] = ([text(v["text"], w) for w, v in rows],
                                        [text(v["category"], w, "category") for w, v in rows])
        return self._cache[lang, split]

    def unit_texts(self, unit: Unit, lang: str) -> list[str]:
        if unit.setting == "mono":
            return self.load(lang, "train")[0] + self.load(lang, self.eval_split)[0]
        split = "train" if lang == TRAIN_LANGUAGE else self.eval_split
        return self.load(lang, split)[0]
