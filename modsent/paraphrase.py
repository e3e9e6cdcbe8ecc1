"""English paraphrase sets: load from the hub or a local file, normalise, cap, write.

The paper's five sets (App. C.1 Table 7):

    nli                   nyu-mll/multi_nli, split train, format nli: 128K (premise, entailment,
                          contradiction) triplets built from MultiNLI (sentence-transformers/all-nli
                          would be mostly SNLI)
    sentence_compression  sentence-transformers/sentence-compression, pair (text, simplified)
    simple_wiki           sentence-transformers/simple-wiki, pair          (text, simplified)
    altlex                sentence-transformers/altlex, pair               (text, simplified)
    quora_duplicates      sentence-transformers/quora-duplicates, triplet  (anchor, positive, negative)

``format: hub`` goes through ``datasets.load_dataset(path, subset, split=...)``, so `path`
is a hub id or a local copy of the hub repository. ``format: nli`` does too, for an NLI set
with premise, hypothesis and a ClassLabel label (MultiNLI's layout): each premise's
entailment hypothesis is the positive and its contradiction hypothesis the negative; an
entailment without a contradiction is left out. ``format: raw`` reads a local UTF-8
TSV file with a header line naming its columns, no quoting (the layout of
``modsent/resources/tiny/train/paraphrase``). The output is ``id anchor positive negative``
(negative empty for pairs), ids "<name>-<row index in the source>" (nli: the row of the
entailment hypothesis), stable under caps.
"""

from __future__ import annotations

import argparse
import logging
import random
from pathlib import Path
from typing import Sequence

from modsent.tsv import Example, FormatError, clean_text, read_table, write_examples

from modsent.training_views import NLI_LABELS, entailment_triplets, hub_nli_rows
from modsent.utils import setup_logging

log = logging.getLogger("modsent.paraphrase")

# Column layouts recognised when the config names none: (anchor, positive[, negative]).
KNOWN_LAYOUTS = (
    ("anchor", "positive", "negative"),
    ("anchor", "positive"),
    ("text", "simplified"),
    ("sentence1", "sentence2"),
)


def choose_columns(available: Sequence[str], columns: Sequence[str] | None, where: str) -> tuple[str, ...]:
    """The (anchor, positive[, negative]) column names to read, checked against `available`."""
    if columns:
        if len(columns) not in (2, 3):
            raise ValueError(f"{where}: columns must name 2 or 3 columns (anchor, positive[, negative]), got {columns}")
        missing = [c for c in columns if c not in available]
        if missing:
            raise FormatError(f"{where}: no column(s) {missing}; available: {list(available)}")
        return tuple(columns)
    for layout in KNOWN_LAYOUTS:
        if all(c in available for c in layout):
            return layout
    raise FormatError(f"{where}: columns {list(available)} match no known layout {KNOWN_LAYOUTS}; "
                      "name them with `columns: [anchor, positive, negative]`")


def _hub_table(path: str, subset: str | None, split: str) -> tuple[list[str], list[list[str]]]:
    import datasets

    data = datasets.load_dataset(path, subset, split=split)
    header = list(data.column_names)
    columns = [data[name] for name in header]
    return header, [list(row) for row in zip(*columns)]


def _nli_triplet_table(path: str, subset: str | None, split: str) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, source row of each) of the (premise, entailment, contradiction) triplets of an NLI set."""
    where = f"{path} ({subset or 'default'}, {split})"
    rows = hub_nli_rows(path, subset, split)
    unknown = sorted({label for _, _, label in rows} - set(NLI_LABELS) - {"-1"})
    if unknown:
        raise FormatError(f"{where}: labels {unknown} are not NLI class names {NLI_LABELS} "
                          "(the label column must be a ClassLabel)")
    groups: dict[str, list[int]] = {}
    for i, (premise, _, _) in enumerate(rows):
        groups.setdefault(premise, []).append(i)
    labels = [label for _, _, label in rows]
    triplets = [(e, c) for group in groups.values() for e, c in entailment_triplets(group, labels) if c is not None]
    triplets.sort()
    log.info("%s: %d rows, %d premises -> %d (premise, entailment, contradiction) triplets",
             where, len(rows), len(groups), len(triplets))
    return (["anchor", "positive", "negative"], [[rows[e][0], rows[e][1], rows[c][1]] for e, c in triplets],
            [e for e, _ in triplets])


def load_paraphrase_set(
    name: str,
    *,
    format: str = "hub",
    path: str,
    subset: str | None = None,
    split: str = "train",
    columns: Sequence[str] | None = None,
    max_rows: int | None = None,
    seed: int = 0,
) -> list[Example]:
    """Normalised examples of one set; rows without anchor or positive are dropped (and counted).

    With `max_rows`, a seeded random subset of that size is kept, in source order.
    """
    source_rows = None
    if format == "raw":
        if not Path(path).is_file():
            raise FileNotFoundError(f"paraphrase set {name!r}: local file not found: {path}")
        header, rows = read_table(path)
        where = path
    elif format in ("hub", "nli"):
        where = f"{path} ({subset or 'default'}, {split})"
        if format == "hub":
            header, rows = _hub_table(path, subset, split)
        else:
            header, rows, source_rows = _nli_triplet_table(path, subset, split)
    else:
        raise ValueError(f"paraphrase set {name!r}: unknown format {format!r} (expected hub, nli or raw)")
    chosen = choose_columns(header, columns, where)
    index = [header.index(c) for c in chosen]
    examples, dropped = [], 0
    for row_number, row in enumerate(rows):
        texts = [clean_text(None if row[i] is None else str(row[i])) for i in index]
        if not texts[0] or not texts[1]:
            dropped += 1
            continue
        source_row = row_number if source_rows is None else source_rows[row_number]
        examples.append(Example(f"{name}-{source_row}", texts[0], texts[1], texts[2] if len(texts) == 3 else ""))
    if dropped:
        log.warning("%s: dropped %d of %d rows without an anchor or a positive", where, dropped, len(rows))
    if max_rows is not None and len(examples) > max_rows:
        keep = sorted(random.Random(seed).sample(range(len(examples)), max_rows))
        examples = [examples[i] for i in keep]
    if not examples:
        raise ValueError(f"paraphrase set {name!r}: no usable rows in {where}")
    return examples


def prepare_paraphrase_set(name: str, out_path: str | Path, **source) -> Path:
    """Load one English paraphrase set (see `load_paraphrase_set`) and write it normalised."""
    examples = load_paraphrase_set(name, **source)
    write_examples(out_path, examples)
    triplets = sum(bool(e.negative) for e in examples)
    log.info("%s: %d examples (%d triplets) -> %s", name, len(examples), triplets, out_path)
    return Path(out_path)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=prepare_paraphrase_set.__doc__)
    p.add_argument("--name", required=True, help="set name; ids are <name>-<row>")
    p.add_argument("--format", choices=["hub", "nli", "raw"], default="hub")
    p.add_argument("--path", required=True, help="hub id or local copy (hub, nli); local TSV file (raw)")
    p.add_argument("--subset")
    p.add_argument("--split", default="train")
    p.add_argument("--columns", nargs="+", help="anchor, positive[, negative] column names")
    p.add_argument("--max-rows", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    setup_logging()
    prepare_paraphrase_set(a.name, a.out, format=a.format, path=a.path, subset=a.subset, split=a.split,
                           columns=a.columns, max_rows=a.max_rows, seed=a.seed)


if __name__ == "__main__":
    main()
