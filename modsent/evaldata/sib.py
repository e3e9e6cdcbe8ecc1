"""SIB-200 topic classification (logistic regression on frozen embeddings).

Raw (dadelani/sib-200 data/annotated): <code>_<Script>/{train,dev,test}.tsv with header
index_id, category, text and CSV quoting; a labels.txt beside them lists the categories
(without one: the seven published topics). Hub: ``Davlan/sib200``, one config per FLORES-200
code, splits train/validation/test, columns index_id category text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from modsent.evaldata.base import DataFormatError, DataSourceError, EvalDataset, Source, Unit, language_codes
from modsent.evaldata.readers import hub_configs, load_hub, nonempty_lines, read_table, text

TRAIN_LANGUAGE = "en"  # zero-shot cross-lingual transfer trains on English
TOPICS = ("science/technology", "travel", "politics", "sports", "health", "entertainment", "geography")


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

    def _labels_file(self, lang: str) -> Path | None:
        path = self.source.directory() / self._codes[lang] / "labels.txt" if self.source.is_raw else None
        return path if path is not None and path.is_file() else None

    def language_files(self, lang: str) -> list[Path]:
        if lang not in self._codes:
            return []
        if not self.source.is_raw:
            return self.source.hub_copy()
        splits = dict.fromkeys(("train", self.eval_split))
        labels = self._labels_file(lang)
        return [self.source.file(f"{self._codes[lang]}/{split}.tsv") for split in splits] + ([labels] if labels else [])

    def _check_labels(self, lang: str, rows) -> list[str]:
        labels_file = self._labels_file(lang)
        known = set(nonempty_lines(labels_file)) if labels_file else set(TOPICS)
        categories = [text(v["category"], w, "category") for w, v in rows]
        for (where, _), category in zip(rows, categories):
            if category not in known:
                listed = f"listed in {labels_file}" if labels_file else "a SIB-200 topic"
                raise DataFormatError(f"{where}: category {category!r} is not {listed} ({', '.join(sorted(known))})")
        return categories

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
            self._cache[lang, split] = ([text(v["text"], w) for w, v in rows], self._check_labels(lang, rows))
        return self._cache[lang, split]

    def unit_texts(self, unit: Unit, lang: str) -> list[str]:
        if unit.setting == "mono":
            return self.load(lang, "train")[0] + self.load(lang, self.eval_split)[0]
        split = "train" if lang == TRAIN_LANGUAGE else self.eval_split
        return self.load(lang, split)[0]
