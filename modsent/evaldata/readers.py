"""Readers shared by every dataset: delimited text files, JSON lines, plain line files and
the hub route (`datasets.load_dataset`). Each returns rows as (where, values) so that a
malformed value is reported as "<file>:<line>: ..." whatever the source was.

Raw files are read as UTF-8 with an optional byte-order mark and any line ending; rows
with the wrong number of columns are errors, never silently padded or dropped, and so is a
source without a single row (a score over no pairs is NaN, not a number to report).
"""

from __future__ import annotations

import csv
import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Sequence

from modsent.evaldata.base import DataFormatError, DataSourceError, Source
from modsent.tsv import clean_text, read_lines

# (where, values): where is "<file>:<line>" or "<hub id>[<config>/<split>] row <i>"
Row = tuple[str, dict]
# A wanted column: one name, or alternative names (the first is the name rows use).
Column = str | tuple[str, ...]

csv.field_size_limit(1 << 24)


def nonempty(rows: list, where, problem: str = "empty file (no rows)") -> list:
    """`rows`, or a DataFormatError naming the source when it has none."""
    if not rows:
        raise DataFormatError(f"{where}: {problem}")
    return rows


def nonempty_lines(path: Path) -> list[str]:
    """One text per line (line-aligned bitext files), at least one."""
    return nonempty(read_lines(path), path)


def read_delimited(path: Path, *, delimiter: str, quoted: bool) -> list[tuple[int, list[str]]]:
    """(first line number, fields) per record; empty records at the end of the file dropped.

    quoted=False reads every quote character as text (STS17, SICK, KorSTS, XNLI files);
    quoted=True follows CSV quoting, where a record may span several lines.
    """
    records = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE)
        line = 1
        try:
            for fields in reader:
                records.append((line, fields))
                line = reader.line_num + 1
        except csv.Error as e:
            raise DataFormatError(f"{path}:{reader.line_num}: {e}") from None
    while records and records[-1][1] == []:
        records.pop()
    return nonempty(records, path)


def _column_names(available: Sequence[str], wanted: Sequence[Column], where: str) -> dict[str, str]:
    """{name rows use: name in the source} for the wanted columns, or a clear error."""
    names = {}
    for column in wanted:
        options = (column,) if isinstance(column, str) else column
        found = next((c for c in options if c in available), None)
        if found is None:
            raise DataFormatError(f"{where}: no column {' or '.join(map(repr, options))}; columns: {list(available)}")
        names[options[0]] = found
    return names


def read_table(path: Path, *, delimiter: str, quoted: bool, wanted: Sequence[Column],
               columns: Sequence[str] | None = None) -> list[Row]:
    """Rows of a delimited file as dicts of the wanted columns.

    With `columns` the file has no header and every row has exactly those columns;
    without, the first line is the header and every row has as many fields as it.
    """
    records = read_delimited(path, delimiter=delimiter, quoted=quoted)
    if columns is None:
        (_, header), records = records[0], nonempty(records[1:], path, "no rows under the header line")
    else:
        header = list(columns)
    names = _column_names(header, wanted, f"{path}:1" if columns is None else str(path))
    index = {name: header.index(source) for name, source in names.items()}
    rows = []
    for line, fields in records:
        if len(fields) != len(header):
            raise DataFormatError(f"{path}:{line}: expected {len(header)} columns, found {len(fields)}")
        rows.append((f"{path}:{line}", {name: fields[i] for name, i in index.items()}))
    return rows


def read_jsonl(path: Path, wanted: Sequence[Column]) -> list[Row]:
    rows = []
    with open(path, encoding="utf-8-sig") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataFormatError(f"{where}: not a JSON object ({e.msg})") from None
            if not isinstance(record, dict):
                raise DataFormatError(f"{where}: not a JSON object")
            names = _column_names(list(record), wanted, where)
            rows.append((where, {name: record[source] for name, source in names.items()}))
    return nonempty(rows, path)


def number(value, where: str, what: str = "score") -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DataFormatError(f"{where}: {what} {value!r} is not a number") from None


def text(value, where: str, what: str = "text") -> str:
    if not isinstance(value, str):
        raise DataFormatError(f"{where}: {what} {value!r} is not a string")
    return clean_text(value)


# --------------------------------------------------------------------------- static facts
def _resource_yaml(name: str) -> dict:
    import yaml

    return yaml.safe_load(resources.files("modsent.resources").joinpath(name).read_text("utf-8"))


@functools.cache
def hub_facts() -> dict[str, dict]:
    """The supported hub sets' published configs etc. (resources/eval_hub_sources.yaml)."""
    return _resource_yaml("eval_hub_sources.yaml")


@functools.cache
def clone_facts() -> dict[str, dict]:
    """The supported repositories publishing sets outside the hub (resources/eval_clone_sources.yaml)."""
    return _resource_yaml("eval_clone_sources.yaml")


def _supported(facts: dict[str, dict], key: str, problem: str, remedy: str) -> dict:
    """`facts[key]`, or a DataSourceError naming the supported keys and what to do instead."""
    if key not in facts:
        raise DataSourceError(f"{problem} ({', '.join(sorted(facts))}); {remedy}")
    return facts[key]


def clone_facts_of(source: Source) -> dict:
    """The static facts of the repository a raw source is a clone of; {} without clone_of."""
    if source.clone_of is None:
        return {}
    facts = _supported(clone_facts(), source.clone_of,
                       f"{source.path}: clone_of {source.clone_of!r} is not among the supported repositories",
                       "drop clone_of and fetch the files yourself, or add the repository to "
                       "modsent/resources/eval_clone_sources.yaml")
    if source.split not in facts["files"]:
        raise DataSourceError(f"{source.path}: {source.clone_of} publishes no {source.split} split "
                              f"(it has {sorted(facts['files'])})")
    return facts


def clone_languages(source: Source) -> list[str]:
    """The languages a clone yet to be fetched will give (facts `languages` of its split)."""
    return list(clone_facts_of(source)["languages"][source.split])


# --------------------------------------------------------------------------- hub route
def facts_of(source: Source) -> dict:
    """The static facts of a hub id; {} for a local copy."""
    if source.is_local:
        return {}
    facts = _supported(hub_facts(), source.path,
                       f"hub dataset {source.path!r} is not among the supported evaluation hub sets",
                       "point path at a local copy of it, or add its configs to "
                       "modsent/resources/eval_hub_sources.yaml")
    for key in ("revision", "data_files"):
        if facts.get(key) and getattr(source, key) != facts[key]:
            raise DataSourceError(
                f"hub dataset {source.path!r} loads only with {key}: {facts[key]!r} (its main branch holds "
                f"only a loading script, which datasets refuses); the source has {getattr(source, key)!r}")
    return facts


def _config_glob(source: Source, split: str) -> list[str]:
    """A local copy read with a data_files pattern: the configs its files match."""
    pattern = source.data_files
    regex = re.compile(re.escape(pattern).replace(re.escape("{config}"), "(?P<config>[^/]+)")
                       .replace(re.escape("{split}"), re.escape(split)).replace(re.escape("*"), "[^/]*"))
    root = Path(source.path)
    found = {m.group("config") for p in root.rglob("*")
             if p.is_file() and (m := regex.fullmatch(p.relative_to(root).as_posix()))}
    return sorted(found)


def hub_configs(source: Source, split: str | None = None) -> list[str]:
    """The config (subset) names of a hub dataset, without network: a hub id's from the
    static facts (less those unlabelled in `split`), a local copy's from its files (the
    data_files pattern, or README.md `configs:` metadata)."""
    facts = facts_of(source)
    if facts:
        unlabelled = set((facts.get("unlabelled") or {}).get(split, []))
        return [c for c in facts["configs"] if c not in unlabelled]
    if source.data_files and "{config}" in source.data_files:
        return _config_glob(source, split or "test")
    import datasets

    try:
        return list(datasets.get_dataset_config_names(source.path))
    except Exception as e:  # the hub client raises many types (not found, no metadata ...)
        raise DataSourceError(f"cannot list the configs of hub dataset {source.path!r}: {e}") from e


def unlabelled_configs(source: Source, split: str) -> list[str]:
    """Configs a hub id publishes with placeholder labels in `split` (left out, named)."""
    return list((facts_of(source).get("unlabelled") or {}).get(split, []))


def hub_language(source: Source) -> str | None:
    """The language of a one-config hub set (facts `language`), if the facts say."""
    return facts_of(source).get("language")


def load_hub(source: Source, config: str | None, split: str, wanted: Sequence[Column]) -> list[Row]:
    """Rows of one config and split through `datasets.load_dataset` (with the source's
    revision and data_files pattern where it has them)."""
    import datasets

    label = f"{source.path}[{config or 'default'}/{split}]"
    kwargs = {"split": split}
    if source.revision and not source.is_local:
        kwargs["revision"] = source.revision
    if source.data_files:
        kwargs["data_files"] = {split: source.data_files.format(config=config or "default", split=split)}
    else:
        kwargs["name"] = config
    try:
        table = datasets.load_dataset(source.path, **kwargs)
    except Exception as e:
        raise DataSourceError(f"cannot load hub dataset {label}: {e}") from e
    names = _column_names(table.column_names, wanted, label)
    data = table.select_columns(sorted(set(names.values()))).to_dict()
    columns = {name: data[source_name] for name, source_name in names.items()}
    return nonempty([(f"{label} row {i}", {name: values[i] for name, values in columns.items()})
                     for i in range(len(table))], label)
