"""Monolingual text per language: the training text of the tokenizer, FOCUS and LA.

The tokenizer and FOCUS read one file of up to ``max_sentences`` lines
(results/corpus/{lang}.txt); LA streams the same sources itself under its own cap,
``la_max_sentences`` (see modsent.adapt).

A language's text comes from one or more sources, read in order until a sentence cap:
local text files (plain or .gz/.xz/.bz2, one sentence or paragraph a line) or datasets
on the HF hub, streamed (CC100: ``statmt/cc100``, parquet branch, where a language over
~5 GB lies under ``<lang>/partial-train/`` instead of ``<lang>/train/``; MADLAD-400:
``allenai/MADLAD-400``, jsonl files) or a local copy of such a repository. A source naming
a hub id of resources/train_hub_sources.yaml is checked against what that repository
publishes before anything is streamed. The output is one line of text per sentence, blank
lines dropped.
"""

from __future__ import annotations

import argparse
import bz2
import functools
import gzip
import json
import logging
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from modsent.config import ConfigError
from modsent.languages import get_language
from modsent.utils import atomic_output, setup_logging

log = logging.getLogger("modsent.corpus")

_OPENERS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}


@dataclass(frozen=True)
class TextSource:
    """One source of monolingual text (``data.monolingual.<lang>.sources[i]`` in the config)."""

    path: str
    format: str = "text"  # text = a local file; hub = datasets.load_dataset (hub id or local repo copy)
    subset: str | None = None
    data_files: str | list[str] | None = None  # a list: files matching any of the patterns
    revision: str | None = None
    split: str = "train"
    column: str = "text"
    max_sentences: int | None = None

    def describe(self) -> str:
        parts = [self.path] + [f"{k}={v}" for k, v in (("subset", self.subset), ("data_files", self.data_files),
                                                    ("revision", self.revision)) if v]
        return " ".join(parts)


def monolingual_spec(config: dict, lang: str) -> dict:
    """The monolingual-text entry of `lang` (its own, else "default"), placeholders filled.

    ``{lang}`` becomes the configured code, ``{iso3}`` and ``{nllb}`` its ISO 639-3 and
    NLLB codes, in every string of every source.
    """
    entries = config["data"]["monolingual"]
    entry = entries.get(lang, entries.get("default"))
    if entry is None:
        raise ConfigError(
            f"config['data']['monolingual'] has no entry for language {lang!r} and no 'default' entry"
        )
    language = get_language(lang)
    codes = {"lang": lang, "iso3": language.iso3, "nllb": language.nllb}
    sources = [{key: _fill(value, codes) for key, value in source.items()} for source in entry["sources"]]
    check_hub_sources(sources)
    return {"sources": sources, "max_sentences": entry["max_sentences"]}


def _fill(value, codes: dict):
    if isinstance(value, str):
        return value.format(**codes)
    if isinstance(value, list):
        return [_fill(item, codes) for item in value]
    return value


@functools.cache
def train_hub_facts() -> dict[str, dict]:
    """What the supported training-data hub ids publish (resources/train_hub_sources.yaml)."""
    import yaml

    return yaml.safe_load(resources.files("modsent.resources").joinpath("train_hub_sources.yaml").read_text("utf-8"))


def _patterns(data_files) -> list[str]:
    return [data_files] if isinstance(data_files, str) else list(data_files or [])


def check_hub_sources(sources: list[dict | TextSource]) -> None:
    """Refuse a source naming a hub id of train_hub_sources.yaml that would not load the
    language's text as that repository publishes it: another revision, other data_files
    than its pattern(s) for one config, or a config it does not publish. No network."""
    for source in sources:
        source = source if isinstance(source, TextSource) else TextSource(**source)
        facts = train_hub_facts().get(source.path)
        if source.format != "hub" or facts is None or Path(source.path).is_dir():
            continue
        if facts.get("revision") and source.revision != facts["revision"]:
            raise ConfigError(f"monolingual source {source.describe()}: {source.path} loads only with revision "
                              f"{facts['revision']!r} (its main branch holds only a loading script); "
                              f"the source has {source.revision!r}")
        templates, given = _patterns(facts["data_files"]), _patterns(source.data_files)
        first = re.escape(templates[0]).replace(re.escape("{config}"), "(?P<config>[^/]+)", 1)
        first = first.replace(re.escape("{config}"), "(?P=config)")
        match = re.fullmatch(first, given[0]) if given else None
        config = match.group("config") if match else None
        if config is None or given != [t.format(config=config) for t in templates]:
            raise ConfigError(f"monolingual source {source.describe()}: {source.path} publishes a language's "
                              f"text as data_files {templates} ({{config}} = the language's config); "
                              f"the source has {source.data_files!r}")
        if "configs" in facts and config not in facts["configs"]:
            raise ConfigError(f"monolingual source {source.describe()}: {source.path} has no config {config!r} "
                              f"(its configs: {', '.join(facts['configs'])})")


def language_adaptation_spec(config: dict, lang: str) -> dict:
    """What LA streams: the language's sources under LA's own line cap, `la_max_sentences`
    (None: no cap; LA then stops once it has the sequences its steps use), not max_sentences."""
    entries = config["data"]["monolingual"]
    cap = entries.get(lang, entries.get("default", {})).get("la_max_sentences")
    return {"sources": monolingual_spec(config, lang)["sources"], "max_sentences": cap}


def _lines_of_text(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.strip()
        if line:
            yield line


def _read_local(source: TextSource) -> Iterator[str]:
    path = Path(source.path)
    if not path.is_file():
        raise FileNotFoundError(f"monolingual text file not found: {path}")
    opener = _OPENERS.get(path.suffix, open)
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield from _lines_of_text(line)


def _read_hub(source: TextSource) -> Iterator[str]:
    from datasets import load_dataset

    try:
        dataset = load_dataset(
            source.path, name=source.subset, data_files=source.data_files, revision=source.revision,
            split=source.split, streaming=True,
        )
    except Exception as e:  # datasets raises many types (no files, not found, offline ...)
        raise RuntimeError(f"monolingual source {source.describe()}: cannot load it: {e}") from e
    for row in dataset:
        if source.column not in row:
            raise KeyError(f"{source.describe()}: no column {source.column!r} (columns: {sorted(row)})")
        # MADLAD-400 jsonl documents may hold line breaks escaped as backslash-n: split on both.
        yield from _lines_of_text((row[source.column] or "").replace("\\n", "\n"))


def iter_sentences(source: TextSource) -> Iterator[str]:
    """The non-blank lines of one source, up to its own cap."""
    if source.format not in ("text", "hub"):
        raise ValueError(f"{source.describe()}: unknown format {source.format!r} (text or hub)")
    lines = _read_local(source) if source.format == "text" else _read_hub(source)
    for count, line in enumerate(lines, start=1):
        yield line
        if source.max_sentences is not None and count >= source.max_sentences:
            return


def text_sources(sources: list[dict | TextSource]) -> list[TextSource]:
    """The sources as TextSource, checked before any streaming: at least one, local files exist."""
    sources = [s if isinstance(s, TextSource) else TextSource(**s) for s in sources]
    if not sources:
        raise ValueError("no monolingual text source given")
    check_hub_sources(sources)
    for source in sources:
        if source.format == "text" and not Path(source.path).is_file():
            raise FileNotFoundError(f"monolingual text file not found: {source.path}")
    return sources


def monolingual_lines(sources: list[dict | TextSource], max_sentences: int | None = None) -> Iterator[str]:
    """The lines of `sources`, in order, each source up to its own cap, all up to `max_sentences`
    (None: every line); streamed, nothing is held. Logs each source's count as it ends."""
    sources = text_sources(sources)
    taken = 0
    for source in sources:
        before = taken
        for line in iter_sentences(source):
            if max_sentences is not None and taken >= max_sentences:
                break
            yield line
            taken += 1
        log.info("%s: %d lines", source.describe(), taken - before)
        if max_sentences is not None and taken >= max_sentences:
            return


def write_monolingual_corpus(sources: list[dict | TextSource], out_path: str | Path, *, max_sentences: int) -> int:
    """Write up to `max_sentences` lines from `sources` (in order) to `out_path`; return the count.

    Raises ValueError when the sources hold no text at all: every later stage needs some.
    """
    sources = text_sources(sources)  # fail on a missing local file before streaming anything
    written = 0
    with atomic_output(out_path) as tmp, tmp.open("w", encoding="utf-8") as out:
        for line in monolingual_lines(sources, max_sentences):
            out.write(line + "\n")
            written += 1
        if written == 0:
            raise ValueError(
                f"empty monolingual corpus for {out_path}: the sources "
                f"{[s.describe() for s in sources]} hold no non-blank line"
            )
    log.info("wrote %d lines to %s", written, out_path)
    return written


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=write_monolingual_corpus.__doc__)
    p.add_argument("--spec", required=True, help='JSON: {"sources": [...], "max_sentences": N} (see monolingual_spec)')
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    setup_logging()
    spec = json.loads(a.spec)
    write_monolingual_corpus(spec["sources"], a.out, max_sentences=spec["max_sentences"])


if __name__ == "__main__":
    main()
