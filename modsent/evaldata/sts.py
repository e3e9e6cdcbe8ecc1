"""STS and STR sets: sentence pairs with gold scores, per directed language pair.

A direction (l1, l2) means: the first sentences are in l1, the second ones in l2. The
multi-parallel sets (STS-B with its translations, SICK) give cross-lingual pairs by taking
the first sentence of a row in one language and the second sentence of the same row in
another.

Hub routes (`format: hub`; ids, configs and columns as published; the configs of each id
are static facts in resources/eval_hub_sources.yaml):

- sts17: ``mteb/sts17-crosslingual-sts`` on refs/convert/parquet (main holds a loading
  script), configs ar-ar en-ar en-de en-en en-tr es-en es-es fr-en it-en ko-ko nl-en (the
  config name gives the column languages in order: en-ar has English in sentence1), split
  test, columns sentence1 sentence2 score (0-5). Hercig & Kral's data: raw only.
- stsb: ``mteb/stsbenchmark-sts`` (English, one config, splits test/validation, column
  score) or ``PhilipMay/stsb_multi_mt`` (a config per language, splits test/dev, column
  similarity_score). KorSTS: KakaoBrain's files (raw); ``dkoterwa/kor-sts`` dropped rows.
  Kardeş-NLU is published on GitHub only (lksenel/Kardes-NLU): raw files.
- sick: English ``RobZamp/sick`` on refs/convert/parquet (main: README.md and sick.py),
  columns id sentence_A sentence_B relatedness_score, splits test/validation; the
  translations (es nl pl) are published on GitHub: raw clones.
- str24: ``SemRel/SemRel2024``, one config per ISO 639-3 code (eng amh hau kin mar tel
  ...; esp = Spanish, whose test labels are all -1), splits test/dev, columns sentence1
  sentence2 label (0-1).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from modsent.evaldata.base import (
    DataFormatError, DataSourceError, EvalDataset, FilePerLanguage, Source, Unit, language_codes,
)
from modsent.evaldata.readers import (
    Row, clone_languages, facts_of, hub_configs, hub_language, load_hub, nonempty, number, read_delimited,
    nonempty_lines, read_table, text, unlabelled_configs,
)
from modsent.evaldata.uyghur import cyrillic_to_arabic
from modsent.languages import get_language
from modsent.tsv import split_lines

Direction = tuple[str, str]
Scale = tuple[float, float]


def _score(value, where: str, scale: Scale) -> float:
    """A gold score, which must lie on the set's scale (NaN does not)."""
    x = number(value, where)
    low, high = scale
    if not low <= x <= high:
        raise DataFormatError(f"{where}: score {x} outside the set's scale {low:g}-{high:g}")
    return x


@dataclass(frozen=True)
class STSData:
    s1: list[str]
    s2: list[str]
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.s1)


class PairScoreDataset(EvalDataset):
    """Sentence pairs scored by cosine; units are languages and language pairs."""

    multi_parallel = False
    scale: Scale = (0.0, 5.0)  # the gold scores' range

    def __init__(self, name: str, languages: Sequence[str]):
        super().__init__(name, languages)
        self._cache: dict[Direction, STSData] = {}

    # -- provided by each dataset
    def source_directions(self) -> list[Direction]:
        raise NotImplementedError

    def read_direction(self, l1: str, l2: str) -> STSData:
        raise NotImplementedError

    def parallel_languages(self) -> set[str]:
        """The languages of the multi-parallel group (language bias is defined over it)."""
        return set(self.source_languages()) if self.multi_parallel else set()

    # -- common
    def source_languages(self) -> list[str]:
        return sorted({lang for d in self.source_directions() for lang in d})

    def source_units(self) -> list[Unit]:
        return [Unit.of(self.name, self.task, *d) for d in self.source_directions()]

    def directions(self, unit: Unit) -> list[Direction]:
        """The directed pairs that exist for `unit`, e.g. [("de", "fr"), ("fr", "de")]."""
        return sorted(d for d in self.source_directions()
                      if Unit.of(self.name, self.task, *d) == unit and self._is_configured(*d))

    def bilingual_directions(self) -> list[Direction]:
        """Cross-lingual directions of the multi-parallel group among the configured languages."""
        group = self.parallel_languages()
        return sorted(d for d in self.source_directions()
                      if d[0] != d[1] and set(d) <= group and self._is_configured(*d))

    def load(self, l1: str, l2: str) -> STSData:
        d = (l1, l2)
        if d not in self.source_directions() or not self._is_configured(*d):
            raise KeyError(f"{self.name} has no pairs {l1}-{l2} among the configured languages")
        if d not in self._cache:
            self._cache[d] = self.read_direction(l1, l2)
        return self._cache[d]

    def unit_texts(self, unit: Unit, lang: str) -> list[str]:
        texts = []
        for l1, l2 in self.directions(unit):
            data = self.load(l1, l2)
            texts += (data.s1 if l1 == lang else []) + (data.s2 if l2 == lang else [])
        return texts


def _pairs_from_rows(rows: list[Row], s1: str, s2: str, score: str, scale: Scale) -> STSData:
    return STSData(
        [text(v[s1], w) for w, v in rows],
        [text(v[s2], w) for w, v in rows],
        np.array([_score(v[score], w, scale) for w, v in rows], dtype=np.float64),
    )


# --------------------------------------------------------------------------- STS17
@dataclass(frozen=True)
class _Track:
    config: str  # hub config, also the column languages in order: en-ar = English first
    input_file: str | None  # raw layout (jcyk/MSE-AMR STS17-test); None: hub only
    gold_file: str | None  # None: the gold score is the input's third column
    # The published tr-en input ends in pairs with an empty score column that the gold does
    # not cover (500 inputs, 250 scores); every other track's gold has a score per pair.
    unscored_tail: bool = False

    @property
    def columns(self) -> Direction:
        a, b = self.config.split("-")
        return get_language(a).code, get_language(b).code


# The original SemEval-2017 tracks, Reimers & Gurevych's extended files (row-parallel with
# en-en) and the Korean set MTEB ships beside them (KorSTS, App. C.2's 2850 ko pairs).
_STS17_TRACKS = (
    _Track("ar-ar", "STS.input.track1.ar-ar.txt", "STS.gs.track1.ar-ar.txt"),
    _Track("en-ar", "STS.input.track2.ar-en.txt", "STS.gs.track2.ar-en.txt"),
    _Track("es-es", "STS.input.track3.es-es.txt", "STS.gs.track3.es-es.txt"),
    _Track("es-en", "STS.input.track4a.es-en.txt", "STS.gs.track4a.es-en.txt"),
    _Track("en-en", "STS.input.track5.en-en.txt", "STS.gs.track5.en-en.txt"),
    _Track("en-tr", "STS.input.track6.tr-en.txt", "STS.gs.track6.tr-en.txt", unscored_tail=True),
    _Track("en-de", "STS.input.extended.de-en.txt", None),
    _Track("fr-en", "STS.input.extended.fr-en.txt", None),
    _Track("it-en", "STS.input.extended.it-en.txt", None),
    _Track("nl-en", "STS.input.extended.nl-en.txt", None),
    _Track("ko-ko", None, None),
)
# Hercig & Kral (2021): track 5 (en-en) translated into cs, de and fr, one file per
# language and side, row-parallel with one gold file. App. C.2 takes from it:
_HK_LANGS = {"en": "EN", "cs": "CS", "de": "DE", "fr": "FR"}
_HK_DIRECTIONS = (
    ("cs", "cs"), ("de", "de"), ("fr", "fr"), ("de", "en"), ("en", "fr"), ("en", "cs"), ("cs", "en"),
    ("de", "fr"), ("fr", "de"), ("cs", "de"), ("de", "cs"), ("cs", "fr"), ("fr", "cs"),
)
# ... and combines Reimers & Gurevych's nl and it first sentences with Hercig & Kral's
# second sentences (both families translate the same 250 en-en pairs).
_COMBINED_DIRECTIONS = tuple((a, b) for a in ("nl", "it") for b in ("de", "fr", "cs"))
_HK_DIR = "dataset"
_HK_GOLD = "STS.2017.gs.track5.first-second.txt"


def _hk_name(lang: str, side: str) -> str:
    return f"STS.2017.input.track5.{_HK_LANGS[lang]}.{side}.txt"


class HercigKral:
    """Hercig & Kral's dataset.zip as published (dataset/STS.2017.input.track5.<L>.<side>.txt
    and dataset/STS.2017.gs.track5.first-second.txt), a clone of the repository holding it
    (gitlab.com/tigi.cz/cross-lingual-sts), or the folder the zip unpacks to."""

    _ARCHIVE = "dataset.zip"

    def __init__(self, source: Source):
        if not source.is_raw:
            raise DataSourceError(f"{source.path}: Hercig & Kral's STS17 data is not on the hub; "
                                  "use format: raw with its dataset.zip or the folder it unpacks to")
        self.source = source
        self.archive: Path | None = None
        if source.awaiting_fetch:  # fetched by the workflow; its files are the published ones
            return
        path = Path(source.path)
        if not path.exists():
            raise DataSourceError(f"not found: {path} (Hercig & Kral's dataset.zip, or the folder it unpacks to)")
        if path.is_dir() and not (path / _HK_DIR).is_dir() and (path / self._ARCHIVE).is_file():
            path = path / self._ARCHIVE  # a clone of the repository: the zip at its root
        if path.is_file() and zipfile.is_zipfile(path):
            self.archive = path
            with zipfile.ZipFile(path) as z:
                members = set(z.namelist())
            missing = [n for n in self.names() if self._member(n) not in members]
        else:
            root = source.directory()
            self.root = root / _HK_DIR if (root / _HK_DIR).is_dir() else root
            missing = [n for n in self.names() if not (self.root / n).is_file()]
        if missing:
            raise DataSourceError(f"{source.path}: not Hercig & Kral's STS17 data; missing {missing}")

    @staticmethod
    def _member(name: str) -> str:
        return f"{_HK_DIR}/{name}"

    @staticmethod
    def names() -> list[str]:
        return [_HK_GOLD] + [_hk_name(lang, side) for lang in _HK_LANGS for side in ("first", "second")]

    def files(self) -> list[Path]:
        return self.source.tracked(
            lambda: [self.archive] if self.archive else [self.root / n for n in self.names()])

    def _lines(self, name: str) -> tuple[str, list[str]]:
        if not self.archive:
            return str(self.root / name), nonempty_lines(self.root / name)
        where = f"{self.archive}!{self._member(name)}"
        with zipfile.ZipFile(self.archive) as z:
            text = z.read(self._member(name)).decode("utf-8-sig")
        return where, nonempty(split_lines(text), where)

    def side(self, lang: str, side: str) -> list[str]:
        where, lines = self._lines(_hk_name(lang, side))
        self._check_count(where, lines)
        return [text(t, f"{where}:{i}") for i, t in enumerate(lines, start=1)]

    def gold(self, scale: Scale) -> np.ndarray:
        where, lines = self._lines(_HK_GOLD)
        return np.array([_score(v, f"{where}:{i}", scale) for i, v in enumerate(lines, start=1)])

    def _check_count(self, where: str, lines: list[str]) -> None:
        gold_where, gold = self._lines(_HK_GOLD)
        if len(lines) != len(gold):
            raise DataFormatError(f"{where} has {len(lines)} lines but {gold_where} has {len(gold)} scores; "
                                  "the files are row-parallel")


class STS17(PairScoreDataset):
    """SemEval-2017 STS as App. C.2 compiles it: the original tracks, Reimers & Gurevych's
    extended files, Hercig & Kral's cs/de/fr data (`hercig_kral`) and the pairs that
    combine the two translated families. de-en (say) has both directions: Hercig & Kral's
    de-en and Reimers & Gurevych's en-de."""

    task = "sts"  # no language bias: its families are not one multi-parallel set

    def __init__(self, name: str, source: Source, languages: Sequence[str], hercig_kral: Source | None = None):
        super().__init__(name, languages)
        source.require_test_split(name, "STS17")
        self.source = source
        if source.is_raw:
            root = source.directory()
            self.tracks = [t for t in _STS17_TRACKS if t.input_file and (root / t.input_file).is_file()]
        else:
            configs = set(hub_configs(source, "test"))
            self.tracks = [t for t in _STS17_TRACKS if t.config in configs]
        if not self.tracks:
            raise DataSourceError(f"{name}: no STS17 files in {source.path}")
        self.hk = HercigKral(hercig_kral) if hercig_kral is not None else None
        self._track_of = {t.columns: t for t in self.tracks}
        firsts = {t.columns[0]: t for t in self.tracks if t.columns[1] == "en" and t.columns[0] in ("nl", "it")}
        self._combined = {d: firsts[d[0]] for d in _COMBINED_DIRECTIONS if self.hk and d[0] in firsts}
        self._directions = sorted(set(self._track_of) | (set(_HK_DIRECTIONS) if self.hk else set())
                                  | set(self._combined))

    def source_directions(self) -> list[Direction]:
        return self._directions

    def _gold_path(self, track: _Track) -> Path | None:
        path = self.source.directory() / track.gold_file if track.gold_file else None
        return path if path is not None and path.is_file() else None

    def language_files(self, lang: str) -> list[Path]:
        own = self.source.hub_copy()
        if self.source.is_raw:
            tracks = [t for t in self.tracks if lang in t.columns]
            own = [self.source.file(t.input_file) for t in tracks] + [p for t in tracks if (p := self._gold_path(t))]
        if self.hk and any(lang in d for d in list(_HK_DIRECTIONS) + list(self._combined)):
            own += self.hk.files()
        return own

    def _read_track(self, track: _Track) -> STSData:
        if not self.source.is_raw:
            return _pairs_from_rows(load_hub(self.source, track.config, "test", ["sentence1", "sentence2", "score"]),
                                    "sentence1", "sentence2", "score", self.scale)
        path = self.source.file(track.input_file)
        records = read_delimited(path, delimiter="\t", quoted=False)
        for line, fields in records:
            if len(fields) not in (2, 3):
                raise DataFormatError(f"{path}:{line}: expected 2 or 3 tab-separated columns, found {len(fields)}")
        gold_path = self._gold_path(track)
        if gold_path is not None:
            gold = [_score(v, f"{gold_path}:{i}", self.scale) for i, v in enumerate(nonempty_lines(gold_path), start=1)]
            if len(gold) != len(records):
                problem = f"{gold_path}: {len(gold)} scores but {path} has {len(records)} pairs"
                if not track.unscored_tail or len(gold) > len(records):
                    raise DataFormatError(problem + "; a gold file has one score per pair")
                scored = [line for line, fields in records[len(gold):] if len(fields) == 3 and fields[2].strip()]
                if scored:
                    raise DataFormatError(f"{problem}: only unscored pairs may follow the gold's, but line "
                                          f"{scored[0]} has a score")
                records = records[:len(gold)]
        else:
            for line, fields in records:
                if len(fields) != 3:
                    raise DataFormatError(f"{path}:{line}: no gold file, so a third column (score) is needed")
            gold = [_score(fields[2], f"{path}:{line}", self.scale) for line, fields in records]
        return STSData([text(f[0], f"{path}:{n}") for n, f in records],
                       [text(f[1], f"{path}:{n}") for n, f in records],
                       np.array(gold, dtype=np.float64))

    def read_direction(self, l1: str, l2: str) -> STSData:
        if (l1, l2) in self._track_of:
            return self._read_track(self._track_of[l1, l2])
        second, gold = self.hk.side(l2, "second"), self.hk.gold(self.scale)
        if (l1, l2) in self._combined:
            track = self._combined[l1, l2]
            first = self._read_track(track)
            if len(first) != len(second):
                raise DataFormatError(
                    f"{self.name}: {track.config} has {len(first)} pairs but Hercig & Kral's {l2} files have "
                    f"{len(second)}; both translate the 250 en-en pairs row by row")
            return STSData(first.s1, second, first.scores)
        return STSData(self.hk.side(l1, "first"), second, gold)


# --------------------------------------------------------------------------- multi-parallel sets
class ParallelSTS(PairScoreDataset):
    """Every language has the same rows (keyed); any two languages give a cross-lingual set."""

    multi_parallel = True

    def __init__(self, name: str, languages: Sequence[str]):
        super().__init__(name, languages)
        self._rows: dict[str, dict[object, tuple[str, str, float]]] = {}

    def read_language(self, lang: str) -> dict[object, tuple[str, str, float]]:
        """Row key -> (first sentence, second sentence, gold score) in `lang`."""
        raise NotImplementedError

    def available_languages(self) -> list[str]:
        raise NotImplementedError

    def source_directions(self) -> list[Direction]:
        langs = self.available_languages()
        return [(a, b) for a in langs for b in langs]

    def language_rows(self, lang: str) -> dict[object, tuple[str, str, float]]:
        if lang not in self._rows:
            self._rows[lang] = self.read_language(lang)
        return self._rows[lang]

    def read_direction(self, l1: str, l2: str) -> STSData:
        rows1, rows2 = self.language_rows(l1), self.language_rows(l2)
        keys = [k for k in rows1 if k in rows2]  # cross pairs: the rows both languages have
        return STSData([rows1[k][0] for k in keys], [rows2[k][1] for k in keys],
                       np.array([rows1[k][2] for k in keys], dtype=np.float64))


def _rows_by_key(rows: list[Row], key: str | None, s1: str, s2: str, score: str, scale: Scale,
                 convert=lambda t: t) -> dict[object, tuple[str, str, float]]:
    """Row key (the `key` column, or the row position) -> (s1, s2, score)."""
    out = {}
    for i, (where, values) in enumerate(rows):
        k = str(values[key]).strip() if key else i
        if k in out:
            raise DataFormatError(f"{where}: row key {k!r} repeats")
        out[k] = (convert(text(values[s1], where)), convert(text(values[s2], where)),
                  _score(values[score], where, scale))
    return out


def _english_key(s1: str, s2: str) -> str:
    """Kardeş-NLU copies the English STS-B sentences with small quote and spacing edits."""
    def norm(t: str) -> str:
        return "".join(ch for ch in t.casefold() if ch.isalnum())
    return norm(s1) + "|" + norm(s2)


# Kardeş-NLU's repository keeps each language in Data/<name>/ (its flat copies work too).
_KARDES_FOLDERS = ("azeri", "kazakh", "kyrgyz", "uyghur", "uzbek")


def _kardes_files(root: Path, split: str) -> dict[str, Path]:
    """Source code (az, kk ...) -> its sts.<split>.<code>.csv, flat or in Data/<name>/."""
    pattern = re.compile(rf"sts\.{split}\.(.+)\.csv")
    candidates = [*root.iterdir()] + [p for name in _KARDES_FOLDERS if (root / "Data" / name).is_dir()
                                      for p in (root / "Data" / name).iterdir()]
    return {m.group(1): p for p in sorted(candidates) if (m := pattern.fullmatch(p.name))}


class STSB(ParallelSTS):
    """STS-B and its translations, multi-parallel by STS-B row.

    The paper's set (App. C.2): the English STS benchmark (`path`: the hub's
    mteb/stsbenchmark-sts, or a folder of stsb-<lang>-<split>.csv files), KorSTS (`korsts`,
    row order, checked against the gold scores) and Kardeş-NLU (`kardes`, az kk ky ug uz,
    paired by its idx column = the STS-B row; Uyghur converted from Cyrillic to Arabic
    script). The DeepL translations of stsb_multi_mt are not a paper set: the paper config
    does not name them; a config may add them as the dataset `stsb_multi_mt`.
    """

    task = "sts"
    # the hub's split names: stsb_multi_mt's (a config per language), the English STS
    # benchmark's (mteb/stsbenchmark-sts, one config), dkoterwa/kor-sts's
    _SPLITS = {"test": "test", "dev": "dev"}
    _ONE_CONFIG_SPLITS = {"test": "test", "dev": "validation"}
    _KORSTS_SPLITS = {"test": "test", "dev": "valid"}

    def __init__(self, name: str, source: Source, languages: Sequence[str],
                 korsts: Source | None = None, kardes: Source | None = None):
        super().__init__(name, languages)
        self.source, self.korsts, self.kardes = source, korsts, kardes
        self._origin: dict[str, str] = {}  # language -> "main" | "korsts" | "kardes"
        if source.is_raw:
            pattern = re.compile(rf"stsb-(.+)-{source.split}\.csv")
            codes = [m.group(1) for p in source.directory().iterdir() if (m := pattern.fullmatch(p.name))]
            self._main, left_out = language_codes(codes)
        else:
            configs = hub_configs(source, source.split)
            if configs == ["default"]:  # a one-language set: the English STS benchmark
                self._main, left_out = {hub_language(source) or "en": "default"}, []
            else:
                self._main, left_out = language_codes(c for c in configs if c != "default")
        self.notes += left_out
        self._origin.update({lang: "main" for lang in self._main})
        if not self._main:
            raise DataSourceError(f"{name}: no STS-B {source.split} files in {source.path}")
        if korsts is not None:
            if korsts.is_raw and not korsts.awaiting_fetch:
                self._korsts_file()
            elif facts_of(korsts).get("not_row_parallel"):
                raise DataSourceError(f"{name}: korsts {korsts.path}: {facts_of(korsts)['not_row_parallel']}")
            self._add_language("ko", "korsts")
        if kardes is not None:
            if not kardes.is_raw:
                raise DataSourceError(f"{name}: Kardeş-NLU is not on the hub (github.com/lksenel/Kardes-NLU); "
                                      "use format: raw with its files")
            if "en" not in self._main:
                raise DataSourceError(f"{name}: Kardeş-NLU rows pair with the English STS-B rows, "
                                      f"so English STS-B ({source.split}) is needed in {source.path}")
            found = ({code: None for code in clone_languages(kardes)} if kardes.awaiting_fetch
                     else _kardes_files(kardes.directory(), kardes.split))
            if not found:
                raise DataSourceError(f"{name}: no Kardeş-NLU sts.{kardes.split}.<lang>.csv files in {kardes.path} "
                                      f"(nor in its Data/<{'|'.join(_KARDES_FOLDERS)}>/)")
            mapped, left_out = language_codes(found)
            self.notes += left_out
            self._kardes_paths = {lang: found[code] for lang, code in mapped.items()}
            for lang in mapped:
                self._add_language(lang, "kardes")

    def _add_language(self, lang: str, origin: str) -> None:
        if lang in self._origin:
            self.notes.append((lang, f"also in {origin}; using {self._origin[lang]}"))
        else:
            self._origin[lang] = origin

    def available_languages(self) -> list[str]:
        return sorted(self._origin)

    def _reference_language(self) -> str:
        return "en" if "en" in self._main else sorted(self._main)[0]

    def _main_file(self, lang: str) -> Path:
        return self.source.file(f"stsb-{self._main[lang]}-{self.source.split}.csv")

    def _main_label(self, lang: str) -> str:
        return str(self._main_file(lang)) if self.source.is_raw else f"{self.source.path}[{self._main[lang]}]"

    def _main_files(self, lang: str) -> list[Path]:
        return [self._main_file(lang)] if self.source.is_raw else self.source.hub_copy()

    def _korsts_file(self) -> list[Path]:
        """sts-<split>.tsv in a KorSTS folder or a clone of kakaobrain/KorNLUDatasets."""
        name = f"sts-{self.korsts.split}.tsv"
        root = self.korsts.directory()
        return [root / "KorSTS" / name if (root / "KorSTS" / name).is_file() else self.korsts.file(name)]

    def language_files(self, lang: str) -> list[Path]:
        origin = self._origin.get(lang)
        if origin is None:
            return []
        if origin == "main":
            own = self._main_files(lang)
        elif origin == "korsts":
            own = self.korsts.tracked(self._korsts_file) if self.korsts.is_raw else self.korsts.hub_copy()
        else:
            own = self.kardes.tracked(lambda: [self._kardes_paths[lang]])
        # rows are checked against the reference language (Kardeş-NLU: English)
        return own + self._main_files("en" if origin == "kardes" else self._reference_language())

    def _check_row_order(self, rows: list[Row], keyed: dict, label: str, name: str) -> None:
        """Rows matched to STS-B rows by position: the counts and every row's gold score must agree
        with the reference language (the translations share the STS-B gold scores)."""
        reference_lang = self._reference_language()
        reference = self.language_rows(reference_lang)
        if len(keyed) != len(reference):
            raise DataFormatError(f"{label} has {len(keyed)} rows but {self._main_label(reference_lang)} has "
                                  f"{len(reference)}; {name} rows are matched to STS-B rows by position")
        for (where, _), k in zip(rows, keyed):
            if abs(keyed[k][2] - reference[k][2]) > 1e-3:
                raise DataFormatError(f"{where}: {name} score {keyed[k][2]} differs from STS-B row {k} "
                                      f"({reference[k][2]}); the rows must follow the STS-B order")

    def read_language(self, lang: str):
        origin = self._origin[lang]
        if origin == "main":
            return self._read_main(lang)
        if origin == "korsts":
            return self._read_korsts()
        return self._read_kardes(lang)

    def _read_main(self, lang: str):
        code = self._main[lang]
        columns = ["sentence1", "sentence2", ("similarity_score", "score")]
        if self.source.is_raw:
            rows = read_table(self._main_file(lang), delimiter=",", quoted=True,
                              columns=["sentence1", "sentence2", "similarity_score"], wanted=columns)
        else:
            splits = self._ONE_CONFIG_SPLITS if code == "default" else self._SPLITS
            rows = load_hub(self.source, code, splits[self.source.split], columns)
        keyed = _rows_by_key(rows, None, "sentence1", "sentence2", "similarity_score", self.scale)
        if lang != self._reference_language():
            self._check_row_order(rows, keyed, self._main_label(lang), "stsb_multi_mt")
        return keyed

    def _read_korsts(self):
        wanted = ["sentence1", "sentence2", "score"]
        if self.korsts.is_raw:
            path, = self._korsts_file()
            rows = read_table(path, delimiter="\t", quoted=False, wanted=wanted)
        else:
            rows = load_hub(self.korsts, None, self._KORSTS_SPLITS[self.korsts.split], wanted)
        korean = _rows_by_key(rows, None, "sentence1", "sentence2", "score", self.scale)
        label = str(path) if self.korsts.is_raw else self.korsts.path
        self._check_row_order(rows, korean, label, "KorSTS")
        return korean

    def _read_kardes(self, lang: str):
        """Rows keyed by Kardeş-NLU's idx column (its first, unnamed one): the STS-B row they
        translate. Every row's gold score must equal that STS-B row's; where a split's idx
        does not index this English source (scores differ), rows pair by their English text."""
        path = self._kardes_paths[lang]
        rows = read_table(path, delimiter=",", quoted=True,
                          wanted=[("", "Unnamed: 0", "idx"), "sentence1", "sentence2", "score",
                                  "s1_translation", "s2_translation"])
        convert = cyrillic_to_arabic if lang == "ug" else (lambda t: t)
        english = self.language_rows("en")
        scores = [(where, _score(v["score"], where, self.scale)) for where, v in rows]
        keys = []
        for (where, v), (_, score) in zip(rows, scores):
            idx = str(v[""]).strip()
            if not idx.isdigit():
                raise DataFormatError(f"{where}: idx {idx!r} is not a row number")
            keys.append(int(idx))
        by_idx = all(k in english and abs(english[k][2] - y) < 1e-3 for k, (_, y) in zip(keys, scores))
        if not by_idx:
            keys = self._english_text_keys(rows, scores, path, lang)
        out = {}
        for (where, v), (_, score), k in zip(rows, scores, keys):
            if k is None:
                continue
            if k in out:
                raise DataFormatError(f"{where}: STS-B row {k} appears twice in {path}")
            out[k] = (convert(text(v["s1_translation"], where)), convert(text(v["s2_translation"], where)), score)
        return out

    def _english_text_keys(self, rows, scores, path: Path, lang: str) -> list[int | None]:
        english = self.language_rows("en")
        candidates: dict[str, list[int]] = {}
        for k, (s1, s2, _) in english.items():
            candidates.setdefault(_english_key(s1, s2), []).append(k)
        keys, used = [], set()
        for (where, v), (_, score) in zip(rows, scores):
            options = candidates.get(_english_key(text(v["sentence1"], where), text(v["sentence2"], where)), [])
            k = next((k for k in options if k not in used and abs(english[k][2] - score) < 1e-3), None)
            used.add(k)
            keys.append(k)
        unmatched = keys.count(None)
        self.notes.append((lang, f"{path.name}: idx is not the row of {self._main_label('en')} (gold scores "
                                 f"differ); paired by the English text"
                                 + (f", {unmatched} of {len(rows)} rows not found and left out" if unmatched else "")))
        return keys


class SICK(ParallelSTS):
    """SICK relatedness in English and its translations, multi-parallel by pair_ID.

    Raw: one folder per language under `path`, each holding the SICK file of the split
    (name containing "test", or "trial"/"dev" for dev; or a full SICK.txt filtered on its
    SemEval_set column), or a clone of the translation's repository; both published
    layouts (12 and 5 columns) are read by header.
    """

    task = "str"
    scale = (1.0, 5.0)
    _HUB_SPLITS = {"test": "test", "dev": "validation"}
    _FILE_WORDS = {"test": ("test",), "dev": ("trial", "dev")}
    _SEMEVAL_SET = {"test": "TEST", "dev": "TRIAL"}
    # Where each translation's repository keeps its SICK files: sdadas/polish-sentence-evaluation,
    # OpenCENIA/Spanish-Sentence-Evaluation, gijswijnholds/sick_nl (also SICK_NL.txt at its root)
    _REPOSITORY_FOLDERS = ("resources/downstream/SICK", "data/senteval/SICK", "data/tasks/sick_nl")
    _WANTED = [("pair_ID", "id"), "sentence_A", "sentence_B", "relatedness_score"]

    def __init__(self, name: str, source: Source, languages: Sequence[str],
                 translations: dict[str, Source] | None = None):
        super().__init__(name, languages)
        self._sources: dict[str, Source] = {}
        self._files = {}  # language -> (file, SemEval_set value to keep or None)
        if source.is_raw:
            folders = [p for p in source.directory().iterdir() if p.is_dir()]
            mapped, left_out = language_codes(p.name for p in folders)
            self.notes += left_out
            for lang, folder in mapped.items():
                self._add_raw(lang, Source("raw", str(source.directory() / folder), source.split))
        else:
            self._sources["en"] = source
        for code, extra in (translations or {}).items():
            lang = get_language(code).code
            self._sources.pop(lang, None)
            self._files.pop(lang, None)
            if extra.awaiting_fetch:  # fetched by the workflow; its file is found then
                self._sources[lang] = extra
            elif extra.is_raw:
                self._add_raw(lang, extra)
            else:
                self._sources[lang] = extra
        if not self._sources:
            raise DataSourceError(f"{name}: no SICK language folders with a {source.split} file in {source.path}")

    def _add_raw(self, lang: str, folder: Source) -> None:
        files, keep = [], None
        for where in [folder.directory()] + [folder.directory() / sub for sub in self._REPOSITORY_FOLDERS]:
            texts = sorted(where.glob("*.txt")) if where.is_dir() else []
            files = [p for p in texts if any(w in p.name.lower() for w in self._FILE_WORDS[folder.split])]
            if not files:  # a full SICK.txt holds every split, told apart by SemEval_set
                files = [p for p in texts if "SemEval_set" in _header(p)]
                keep = self._SEMEVAL_SET[folder.split] if files else None
            if files:
                break
        if len(files) > 1:
            raise DataSourceError(f"{folder.path}: several SICK {folder.split} files: {[p.name for p in files]}")
        if not files:
            raise DataSourceError(f"{self.name}: no SICK {folder.split} file for {lang} in {folder.path} (nor in "
                                  f"{', '.join(self._REPOSITORY_FOLDERS)}): a file named *{self._FILE_WORDS[folder.split][0]}*.txt "
                                  "or a full SICK file with a SemEval_set column")
        self._sources[lang] = folder
        self._files[lang] = (files[0], keep)

    def read_direction(self, l1: str, l2: str) -> STSData:
        """Cross pairs by pair_ID; every translation has every pair of the split, so a
        pair_ID that one language lacks is an error, never a silently smaller set."""
        rows1, rows2 = self.language_rows(l1), self.language_rows(l2)
        for a, b, rows_a, rows_b in ((l1, l2, rows1, rows2), (l2, l1, rows2, rows1)):
            missing = [k for k in rows_a if k not in rows_b]
            if missing:
                raise DataFormatError(
                    f"{self.name}: {len(missing)} of {len(rows_a)} pair_IDs of {a} ({self._label(a)}) are not in "
                    f"{b} ({self._label(b)}), e.g. {missing[:3]}; the SICK translations must have the same pairs")
        return super().read_direction(l1, l2)

    def _label(self, lang: str) -> str:
        return str(self._files[lang][0]) if lang in self._files else self._sources[lang].path

    def available_languages(self) -> list[str]:
        return sorted(self._sources)

    def language_files(self, lang: str) -> list[Path]:
        if lang not in self._sources:
            return []
        source = self._sources[lang]
        return source.tracked(lambda: [self._files[lang][0]]) if source.is_raw else source.hub_copy()

    def read_language(self, lang: str):
        source = self._sources[lang]
        if not source.is_raw:
            rows = load_hub(source, None, self._HUB_SPLITS[source.split], self._WANTED)
        else:
            path, keep = self._files[lang]
            wanted = self._WANTED + (["SemEval_set"] if keep else [])
            rows = read_table(path, delimiter="\t", quoted=False, wanted=wanted)
            if keep:
                rows = nonempty([(w, v) for w, v in rows if v["SemEval_set"].strip() == keep], path,
                                f"no rows with SemEval_set {keep}")
        return _rows_by_key(rows, "pair_ID", "sentence_A", "sentence_B", "relatedness_score", self.scale)


def _header(path) -> str:
    with open(path, encoding="utf-8-sig") as f:
        return f.readline()


# --------------------------------------------------------------------------- STR 2024
class STR24(FilePerLanguage, PairScoreDataset):
    """SemEval-2024 STR Track A, monolingual. Raw: <iso3>_<split>_with_labels.csv with
    PairID,Text,Score where Text is "s1\\ns2" (Marathi and Telugu wrap each sentence in
    literal double quotes, which are removed when a whole file does so), in one folder or
    in a clone of the task repository (Track A/<iso3>/). A hub config whose labels are
    placeholders in the split (SemRel2024's Spanish test: all -1) is left out, named."""

    task = "str"
    scale = (0.0, 1.0)
    _ALIASES = {"esp": "es"}  # SemRel2024's code for Spanish
    _TRACK = "Track A"

    def __init__(self, name: str, source: Source, languages: Sequence[str]):
        super().__init__(name, languages)
        self.source = source
        if source.is_raw:
            root = source.directory()
            pattern = re.compile(rf"([a-z]+)_{source.split}_with_labels\.csv")
            candidates = [*root.iterdir()] + ([p for d in sorted((root / self._TRACK).iterdir()) if d.is_dir()
                                               for p in d.iterdir()] if (root / self._TRACK).is_dir() else [])
            self._paths = {m.group(1): p for p in sorted(candidates) if (m := pattern.fullmatch(p.name))}
            codes = list(self._paths)
        else:
            codes = hub_configs(source, source.split)
            self.notes += [(code, f"{source.split} labels are placeholders on the hub (all -1); left out")
                           for code in unlabelled_configs(source, source.split)]
        self._codes, left_out = language_codes(codes, self._ALIASES)
        self.notes += left_out
        if not self._codes:
            raise DataSourceError(f"{name}: no STR 2024 {source.split} files in {source.path} "
                                  f"(nor in its {self._TRACK}/<iso3>/)")

    def source_directions(self) -> list[Direction]:
        return [(lang, lang) for lang in sorted(self._codes)]

    def _file(self, lang: str) -> Path:
        return self._paths[self._codes[lang]]

    def read_direction(self, l1: str, l2: str) -> STSData:
        code = self._codes[l1]
        if not self.source.is_raw:
            rows = load_hub(self.source, code, self.source.split, ["sentence1", "sentence2", "label"])
            pairs = [(w, text(v["sentence1"], w), text(v["sentence2"], w), v["label"]) for w, v in rows]
        else:
            rows = read_table(self._file(l1), delimiter=",", quoted=True, wanted=["Text", "Score"])
            pairs = []
            for where, v in rows:
                parts = v["Text"].replace("\r\n", "\n").split("\n")
                if len(parts) != 2:
                    raise DataFormatError(f"{where}: Text must be two sentences on two lines, "
                                          f"found {len(parts)} lines")
                pairs.append((where, parts[0], parts[1], v["Score"]))
        if pairs and all(_quoted(s) for _, s1, s2, _ in pairs for s in (s1, s2)):
            pairs = [(w, s1[1:-1], s2[1:-1], y) for w, s1, s2, y in pairs]
        return STSData([p[1] for p in pairs], [p[2] for p in pairs],
                       np.array([_score(y, w, self.scale) for w, _, _, y in pairs], dtype=np.float64))


def _quoted(sentence: str) -> bool:
    return len(sentence) >= 2 and sentence[0] == sentence[-1] == '"'
