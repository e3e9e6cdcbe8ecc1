"""Bitext mining sets: line-aligned sentences in two languages.

Hub routes:

- flores: ``facebook/flores`` (FLORES-200, the paper's), one config per language (eng_Latn ...,
  Chinese zho_Hans), splits devtest/dev, column sentence; or ``openlanguagedata/flores_plus``
  (FLORES+, gated: corrected text), the same with column text and Chinese cmn_Hans.
- tatoeba: ``mteb/tatoeba-bitext-mining``, configs <iso3>-eng (deu-eng, cmn-eng ...),
  split test, columns sentence1 (the non-English side) and sentence2 (English).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Sequence

from modsent.evaldata.base import (
    DataFormatError, DataSourceError, EvalDataset, FilePerLanguage, Source, Unit, language_codes,
)
from modsent.evaldata.readers import hub_configs, load_hub, nonempty_lines, text

PIVOT = "en"


def _line_texts(path: Path) -> list[str]:
    return [text(t, f"{path}:{i}") for i, t in enumerate(nonempty_lines(path), start=1)]


class BitextDataset(EvalDataset):
    task = "bitext"
    reports_rsim = False  # RSIM (docs/METHOD.md) is reported where every language has the same sentences

    def __init__(self, name: str, languages: Sequence[str]):
        super().__init__(name, languages)
        self._cache: dict[tuple[str, str], tuple[str, list[str]]] = {}

    def read_side(self, lang: str, partner: str) -> tuple[str, list[str]]:
        """(the file or hub rows it comes from, the sentences of `lang` in its bitext with `partner`)."""
        raise NotImplementedError

    def side(self, lang: str, partner: str) -> tuple[str, list[str]]:
        if (lang, partner) not in self._cache:
            self._cache[lang, partner] = self.read_side(lang, partner)
        return self._cache[lang, partner]

    def _aligned(self, lang1: str, lang2: str) -> tuple[list[str], list[str]]:
        (where1, texts1), (where2, texts2) = self.side(lang1, lang2), self.side(lang2, lang1)
        if len(texts1) != len(texts2):
            (a, n_a), (b, n_b) = sorted([(where1, len(texts1)), (where2, len(texts2))])
            raise DataFormatError(f"{self.name}: {a} has {n_a} lines but {b} has {n_b}; "
                                  "bitext files must be line-aligned")
        return texts1, texts2

    def load(self, lang1: str, lang2: str) -> tuple[list[str], list[str]]:
        """Line-aligned texts: texts1[i] (in lang1) translates texts2[i] (in lang2)."""
        if Unit.of(self.name, self.task, lang1, lang2) not in self.units():
            raise KeyError(f"{self.name} has no bitext {lang1}-{lang2} among the configured languages")
        return self._aligned(lang1, lang2)

    def unit_texts(self, unit: Unit, lang: str) -> list[str]:
        # Checked here too, so the texts job (before any training) fails on unaligned files.
        (partner,) = [other for other in unit.langs if other != lang]
        return self._aligned(lang, partner)[0]


class Flores(FilePerLanguage, BitextDataset):
    """FLORES-200, multi-parallel: every pair of languages is a unit.
    Raw: <code>_<Script>.devtest (split test) or .dev (split dev), one sentence a line."""

    reports_rsim = True
    _SUFFIX = {"test": "devtest", "dev": "dev"}
    _ALIASES = {"cmn_Hans": "zho_Hans"}  # FLORES+'s code for Chinese (Simplified)

    def __init__(self, name: str, source: Source, languages: Sequence[str]):
        super().__init__(name, languages)
        self.source = source
        suffix = self._SUFFIX[source.split]
        if source.is_raw:
            codes = [p.name[: -len(suffix) - 1] for p in source.directory().glob(f"*.{suffix}")]
        else:
            codes = hub_configs(source)
        self._codes, left_out = language_codes(codes, self._ALIASES)
        self.notes += left_out
        if not self._codes:
            raise DataSourceError(f"{name}: no FLORES *.{suffix} files in {source.path}")

    def source_units(self) -> list[Unit]:
        return [Unit.of(self.name, self.task, a, b) for a, b in itertools.combinations(self.source_languages(), 2)]

    def _file(self, lang: str) -> Path:
        return self.source.file(f"{self._codes[lang]}.{self._SUFFIX[self.source.split]}")

    def side(self, lang: str, partner: str) -> tuple[str, list[str]]:
        return super().side(lang, "")  # multi-parallel: a language has one side for every partner

    def read_side(self, lang: str, partner: str) -> tuple[str, list[str]]:
        if self.source.is_raw:
            path = self._file(lang)
            return str(path), _line_texts(path)
        code = self._codes[lang]
        rows = load_hub(self.source, code, self._SUFFIX[self.source.split], [("sentence", "text")])
        return f"{self.source.path}[{code}]", [text(v["sentence"], w) for w, v in rows]


class Tatoeba(BitextDataset):
    """LASER Tatoeba v1: X-English bitexts only (both directions are scored later).
    Raw: tatoeba.<xxx>-eng.<xxx> and tatoeba.<xxx>-eng.eng, line-aligned."""

    def __init__(self, name: str, source: Source, languages: Sequence[str]):
        super().__init__(name, languages)
        source.require_test_split(name, "Tatoeba")
        self.source = source
        if source.is_raw:
            pattern = re.compile(r"tatoeba\.([a-z]+)-eng\.\1")
            codes = [m.group(1) for p in source.directory().iterdir() if (m := pattern.fullmatch(p.name))]
            for code in codes:
                source.file(f"tatoeba.{code}-eng.eng")
        else:
            codes = [c.removesuffix("-eng") for c in hub_configs(source) if c.endswith("-eng")]
        self._codes, left_out = language_codes(codes)
        self._codes.pop(PIVOT, None)
        self.notes += left_out
        if not self._codes:
            raise DataSourceError(f"{name}: no Tatoeba tatoeba.<xxx>-eng.<xxx> files in {source.path}")

    def source_languages(self) -> list[str]:
        return sorted(self._codes) + [PIVOT]

    def source_units(self) -> list[Unit]:
        return [Unit.of(self.name, self.task, lang, PIVOT) for lang in sorted(self._codes)]

    def _file(self, lang: str, partner: str) -> Path:
        code = self._codes[partner if lang == PIVOT else lang]
        return self.source.file(f"tatoeba.{code}-eng.{'eng' if lang == PIVOT else code}")

    def language_files(self, lang: str) -> list[Path]:
        if not self.source.is_raw:
            return self.source.hub_copy()
        others = sorted(self._codes) if lang == PIVOT else [lang] if lang in self._codes else []
        return [self._file(side, other) for other in others for side in (other, PIVOT)]

    def read_side(self, lang: str, partner: str) -> tuple[str, list[str]]:
        if self.source.is_raw:
            path = self._file(lang, partner)
            return str(path), _line_texts(path)
        code = self._codes[partner if lang == PIVOT else lang]
        column = "sentence2" if lang == PIVOT else "sentence1"
        rows = load_hub(self.source, f"{code}-eng", "test", [column])
        return f"{self.source.path}[{code}-eng {column}]", [text(v[column], w) for w, v in rows]
