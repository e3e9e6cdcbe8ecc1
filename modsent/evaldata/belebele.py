"""Belebele multiple-choice reading comprehension, scored as the authors' code does: each
"question option" string is compared with the passage by cosine.

Raw = the hub repository's own files: ``<code>_<Script>.jsonl`` per language with
flores_passage, question, mc_answer1..4, correct_answer_num (1-4). Hub:
``facebook/belebele``, one config per FLORES-200 code, split test, same columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from modsent.evaldata.base import (
    DataFormatError, DataSourceError, EvalDataset, FilePerLanguage, Source, Unit, language_codes,
)
from modsent.evaldata.readers import hub_configs, load_hub, read_jsonl, text

OPTIONS = 4
_WANTED = ["flores_passage", "question", *(f"mc_answer{i}" for i in range(1, OPTIONS + 1)), "correct_answer_num"]


class Belebele(FilePerLanguage, EvalDataset):
    task = "mcqa"

    def __init__(self, name: str, source: Source, languages: Sequence[str]):
        super().__init__(name, languages)
        source.require_test_split(name, "Belebele")
        self.source = source
        if source.is_raw:
            codes = [p.name.removesuffix(".jsonl") for p in source.directory().glob("*.jsonl")]
        else:
            codes = hub_configs(source)
        self._codes, left_out = language_codes(codes)
        self.notes += left_out
        if not self._codes:
            raise DataSourceError(f"{name}: no Belebele <code>.jsonl files in {source.path}")
        self._cache: dict[str, tuple[list[str], list[str], list[list[str]], np.ndarray]] = {}

    def source_units(self) -> list[Unit]:
        return [Unit.of(self.name, self.task, lang) for lang in self.source_languages()]

    def _file(self, lang: str) -> Path:
        return self.source.file(f"{self._codes[lang]}.jsonl")

    def load(self, lang: str) -> tuple[list[str], list[str], list[list[str]], np.ndarray]:
        """(passages, questions, options (n x 4), index of the correct option, 0-based)."""
        if lang not in self.languages():
            raise KeyError(f"{self.name} has no configured language {lang!r}")
        if lang not in self._cache:
            code = self._codes[lang]
            if self.source.is_raw:
                rows = read_jsonl(self._file(lang), _WANTED)
            else:
                rows = load_hub(self.source, code, "test", _WANTED)
            correct = []
            for where, v in rows:
                answer = str(v["correct_answer_num"]).strip()
                if answer not in {str(i) for i in range(1, OPTIONS + 1)}:
                    raise DataFormatError(f"{where}: correct_answer_num {v['correct_answer_num']!r} is not 1-{OPTIONS}")
                correct.append(int(answer) - 1)
            self._cache[lang] = (
                [text(v["flores_passage"], w) for w, v in rows],
                [text(v["question"], w) for w, v in rows],
                [[text(v[f"mc_answer{i}"], w) for i in range(1, OPTIONS + 1)] for w, v in rows],
                np.array(correct, dtype=np.int64),
            )
        return self._cache[lang]

    def mcqa_texts(self, lang: str) -> tuple[list[str], list[list[str]], np.ndarray]:
        """(passages, "question option" strings (n x 4), correct option index)."""
        passages, questions, options, correct = self.load(lang)
        return passages, [[f"{q} {o}" for o in row] for q, row in zip(questions, options)], correct

    def unit_texts(self, unit: Unit, lang: str) -> list[str]:
        passages, option_texts, _ = self.mcqa_texts(lang)
        return passages + [t for row in option_texts for t in row]
