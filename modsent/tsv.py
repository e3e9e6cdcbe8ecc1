"""The project's TSV format: UTF-8, a header line, no quoting, one record a line; tabs and
line breaks inside texts are spaces (`clean_text`). Training views, MT sources and shards,
and the evaluation's text files are all written and read here.

The training views, per language X under ``results/train/X/``:

    mono.tsv      id  anchor  positive  negative   pairs/triplets in X (negative may be empty)
    cross.tsv     id  pivot   target   negative    (English anchor, X translation of its positive
                                                    and of its hard negative, which may be empty)
    parallel.tsv  id  pivot   target               (English sentence, its X translation)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

from modsent.utils import atomic_output


EXAMPLE_COLUMNS = ("id", "anchor", "positive", "negative")  # sources, gathered MT, mono view


PAIR_COLUMNS = ("id", "pivot", "target")  # parallel view


CROSS_COLUMNS = PAIR_COLUMNS + ("negative",)  # cross view: MNRL triplets across languages


VIEW_NAMES = ("mono", "cross", "parallel")


# Every character str.splitlines() breaks on, plus the tab: none may survive inside a cell.
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


class FormatError(ValueError):
    """A data file does not have the expected layout; the message names the file and line."""


class Example(NamedTuple):
    """One paraphrase pair or triplet (negative "" for a pair)."""

    id: str
    anchor: str
    positive: str
    negative: str = ""


def clean_text(text: str | None) -> str:
    """One line of text: tabs and line breaks become spaces, outer whitespace goes."""
    return _BREAKS.sub(" ", text or "").strip()


def write_table(path: str | Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a header + rows TSV atomically; return the number of rows."""
    count = 0
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(columns) + "\n")
        for row in rows:
            if len(row) != len(columns):
                raise ValueError(f"{path}: row {row!r} has {len(row)} fields, expected {len(columns)}")
            f.write("\t".join(clean_text(cell) for cell in row) + "\n")
            count += 1
    return count


def split_lines(text: str) -> list[str]:
    """Lines split on "\\n" only: a "\\r" before it goes, one elsewhere stays text (row-parallel
    files must not gain rows); a trailing newline ends the last line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_lines(path: str | Path) -> list[str]:
    """The lines (`split_lines`) of a UTF-8 text file; a byte-order mark is dropped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    with open(path, encoding="utf-8-sig", newline="") as f:
        return split_lines(f.read())


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """Read a header + rows TSV; check the header (when given) and the field count of every line."""
    lines = read_lines(path)
    if not lines:
        raise FormatError(f"{path}: empty file (expected a header line)")
    header = lines[0].split("\t")
    if columns is not None and header != list(columns):
        raise FormatError(f"{path}:1: header {header} != expected {list(columns)}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise FormatError(f"{path}:{number}: {len(fields)} tab-separated fields, expected {len(header)}")
        rows.append(fields)
    return header, rows


def read_examples(path: str | Path) -> list[Example]:
    """Read a source / gathered-translation / mono file as Examples."""
    return [Example(*row) for row in read_table(path, EXAMPLE_COLUMNS)[1]]


def write_examples(path: str | Path, examples: Iterable[Example]) -> int:
    return write_table(path, EXAMPLE_COLUMNS, examples)


def read_view(path: str | Path) -> list[tuple[str, ...]]:
    """The text columns of a training view, without the id.

    mono rows are (anchor, positive) and cross rows (pivot, target), each with the negative
    as a third text where it is non-empty; parallel rows are (pivot, target).
    """
    lines = read_lines(path)
    header = lines[0].split("\t") if lines else []
    for columns in (EXAMPLE_COLUMNS, CROSS_COLUMNS, PAIR_COLUMNS):
        if header == list(columns):
            return [tuple(row[1:-1]) if len(row) == 4 and not row[-1] else tuple(row[1:])
                    for row in read_table(path, columns)[1]]
    raise FormatError(f"{path}:1: not a training view: header {header}, expected {list(EXAMPLE_COLUMNS)}, "
                      f"{list(CROSS_COLUMNS)} or {list(PAIR_COLUMNS)}")


def read_training_view(path: str | Path, what: str, *, min_rows: int = 1) -> list[tuple[str, ...]]:
    """`read_view` of a training stage's input; the errors name the stage's view."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} view {path} does not exist")
    rows = read_view(path)
    if len(rows) < min_rows:
        raise ValueError(f"{path}: {len(rows)} pair(s); {what} needs at least {min_rows} (MNRL's in-batch negatives)")
    return rows
