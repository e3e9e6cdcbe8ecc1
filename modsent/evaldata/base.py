"""What every evaluation dataset shares: the source spec, scoring units, language
restriction and the skipped-items report.

A dataset is opened cheaply: no model, and for raw sources only directory listings (and
at most a header line), so the workflow can open every configured dataset while parsing
the config and fail on a missing file before any job runs. Data are read on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from modsent.languages import UnknownLanguageError, get_language
from modsent.tsv import clean_text

SPLITS = ("test", "dev")
FORMATS = ("raw", "hub")


class DataSourceError(ValueError):
    """A configured data source is missing or cannot provide what is asked."""


class DataFormatError(ValueError):
    """A malformed row; the message starts with "<file>:<line>:" (or the hub row)."""


@dataclass(frozen=True)
class Source:
    """One configured location: raw files as published, or a hub dataset (id or local copy)."""

    format: str
    path: str
    split: str
    # Hub only: the branch or commit to load, and a data_files pattern with {config} and
    # {split} (for a repository whose main branch holds only a loading script)
    revision: str | None = None
    data_files: str | None = None
    # Raw only: the repository `path` is a clone of (resources/eval_clone_sources.yaml).
    # Until the workflow has fetched it, its languages come from those facts.
    clone_of: str | None = None

    def __post_init__(self):
        if self.format not in FORMATS:
            raise DataSourceError(f"{self.path}: unknown format {self.format!r}; use one of {FORMATS}")
        if self.split not in SPLITS:
            raise DataSourceError(f"{self.path}: unknown split {self.split!r}; use one of {SPLITS}")
        if self.clone_of is not None and not self.is_raw:
            raise DataSourceError(f"{self.path}: clone_of is for a raw source (a clone of the repository "
                                  "that publishes the set), not a hub one")

    @classmethod
    def from_spec(cls, spec: dict, default_split: str = "test") -> Source:
        if "path" not in spec:
            raise DataSourceError(f"an evaluation data source needs a 'path': {spec!r}")
        return cls(spec.get("format", "raw"), str(spec["path"]), spec.get("split") or default_split,
                   spec.get("revision"), spec.get("data_files"), spec.get("clone_of"))

    def require_test_split(self, name: str, family: str) -> None:
        """For a set published with a test split only."""
        if self.split != "test":
            raise DataSourceError(f"{name}: {family} has only a test split, not {self.split!r}")

    @property
    def is_raw(self) -> bool:
        return self.format == "raw"

    @property
    def awaiting_fetch(self) -> bool:
        """A clone the workflow has yet to fetch: planned from its repository's facts."""
        return self.clone_of is not None and not Path(self.path).exists()

    def tracked(self, files: Callable[[], list[Path]]) -> list[Path]:
        """What jobs reading this source's `files()` depend on: a clone as a whole (the
        fetch rule's output, the same before and after fetching), else the files."""
        return [Path(self.path)] if self.clone_of is not None else files()

    @property
    def is_local(self) -> bool:
        """A raw folder, or a local copy of a hub repository (not a hub id)."""
        return self.is_raw or Path(self.path).is_dir()

    def directory(self) -> Path:
        """The raw source's folder; raises DataSourceError naming it when it is missing."""
        root = Path(self.path)
        if not root.is_dir():
            raise DataSourceError(f"data folder not found: {root}")
        return root

    def file(self, name: str) -> Path:
        path = self.directory() / name
        if not path.is_file():
            raise DataSourceError(f"data file not found: {path}")
        return path

    def hub_copy(self) -> list[Path]:
        """A hub source's local directory (a hub id has no file): what its readers depend on."""
        return [Path(self.path)] if not self.is_raw and Path(self.path).is_dir() else []


@dataclass(frozen=True)
class Unit:
    """One scoring unit: a language ("de", mono) or a language pair ("de-en", cross, sorted).

    A cross unit stands for both directions where both exist; they are averaged later.
    """

    dataset: str
    task: str
    langs: tuple[str, ...]

    @classmethod
    def of(cls, dataset: str, task: str, *langs: str) -> Unit:
        return cls(dataset, task, tuple(sorted(set(langs))))

    @property
    def name(self) -> str:
        return "-".join(self.langs)

    @property
    def setting(self) -> str:
        return "mono" if len(self.langs) == 1 else "cross"


def distinct(texts: Iterable[str]) -> list[str]:
    """Texts in first-seen order without repeats."""
    return list(dict.fromkeys(texts))


def language_codes(source_codes: Iterable[str], aliases: dict[str, str] | None = None
                   ) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Map a source's own language codes (cmn, deu_Latn, amh ...) to modsent codes.

    Returns {modsent code: source code} and (source code, reason) for codes left out:
    unknown ones, and a second code for a language already mapped.
    """
    aliases = aliases or {}
    mapped: dict[str, str] = {}
    left_out: list[tuple[str, str]] = []
    for source_code in sorted(source_codes):
        try:
            code = get_language(aliases.get(source_code, source_code)).code
        except UnknownLanguageError:
            left_out.append((source_code, "unknown language code in the source"))
            continue
        if code in mapped:
            left_out.append((source_code, f"a second source for {code} (using {mapped[code]})"))
        else:
            mapped[code] = source_code
    return mapped, left_out


class FilePerLanguage:
    """A source published as one file (or hub config) per language under its own codes:
    `_codes` maps modsent codes to them and `_file(lang)` names the raw file."""

    source: Source
    _codes: dict[str, str]

    def _file(self, lang: str) -> Path:
        raise NotImplementedError

    def source_languages(self) -> list[str]:
        return sorted(self._codes)

    def language_files(self, lang: str) -> list[Path]:
        if lang not in self._codes:
            return []
        return [self._file(lang)] if self.source.is_raw else self.source.hub_copy()


class EvalDataset:
    """Base of every dataset: subclasses say which languages the source has and which
    units exist among them; this class restricts them to the configured languages."""

    name: str
    task: str

    def __init__(self, name: str, languages: Sequence[str]):
        self.name = name
        self.configured = [get_language(lang).code for lang in languages]
        self._configured_set = set(self.configured)
        # (item, reason) pairs the source itself reports: unknown codes, unmatched rows ...
        self.notes: list[tuple[str, str]] = []
        self.own_languages: set[str] | None = None  # the config's `languages` of this set, if any

    # -- provided by each dataset
    def source_languages(self) -> list[str]:
        """Every language the source has (modsent codes), configured or not."""
        raise NotImplementedError

    def source_units(self) -> list[Unit]:
        """Every unit the source supports among the languages it has."""
        raise NotImplementedError

    def unit_texts(self, unit: Unit, lang: str) -> list[str]:
        """The texts of `lang` that scoring `unit` embeds."""
        raise NotImplementedError

    def language_files(self, lang: str) -> list[Path]:
        """The local files read for `lang`'s texts and for scoring units that involve it,
        including what a count check compares it with (raw files, or a hub source's local copy)."""
        raise NotImplementedError

    # -- common
    def local_files(self, langs: Iterable[str]) -> list[str]:
        """The local files the jobs of `langs` read (a texts job: one language; a score job:
        the unit's languages), so that editing one reruns them."""
        return sorted({str(path) for lang in langs for path in self.language_files(get_language(lang).code)})

    def _is_configured(self, *langs: str) -> bool:
        return all(lang in self._configured_set for lang in langs)

    def units(self) -> list[Unit]:
        units = {u for u in self.source_units() if self._is_configured(*u.langs)}
        return sorted(units, key=lambda u: (len(u.langs), u.name))

    def unit(self, name: str) -> Unit:
        for unit in self.units():
            if unit.name == name:
                return unit
        raise KeyError(f"{self.name} has no unit {name!r} among the configured languages; "
                       f"units: {[u.name for u in self.units()]}")

    def languages(self) -> list[str]:
        """The configured languages some unit of this dataset covers."""
        covered = {lang for unit in self.units() for lang in unit.langs}
        return [lang for lang in self.configured if lang in covered]

    def skipped(self) -> list[tuple[str, str]]:
        """(language, reason) for configured languages not covered and source languages
        not configured, plus what the source itself left out."""
        have = set(self.source_languages())
        covered = set(self.languages())
        items = []
        for lang in self.configured:
            if lang not in have:
                items.append((lang, f"not in {self.name}"))
            elif lang not in covered:
                items.append((lang, f"no {self.name} unit among the configured languages"))
        items += [(lang, "not configured" if self.own_languages is None or lang in self.own_languages
                   else f"not among {self.name}'s languages in the config") for lang in sorted(have - self._configured_set)]
        return items + self.notes

    def texts(self, lang: str) -> list[str]:
        """Every distinct text of `lang` any unit needs, in a fixed order, one line each."""
        units = [u for u in self.units() if lang in u.langs]
        if not units:
            raise KeyError(f"{self.name} has no unit with language {lang!r}")
        return distinct(clean_text(t) for unit in units for t in self.unit_texts(unit, lang))
