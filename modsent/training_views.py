"""Training views: the per-language files SE, CLA and the full baselines read.

Per language X (pivot = English in the paper), under ``results/train/X/``:

mono.tsv, cross.tsv and parallel.tsv, in the project's TSV format (modsent/tsv.py). Every
language built from the same source has the same ids in the same order (multi-parallel).
The pivot's views exist too: its cross/parallel sides are both English.

Rows come either from the MT stage (``results/mt/source/{dataset}.tsv`` + the gathered
``results/mt/{dataset}/{lang}.tsv``) or from provided translations (NLI files such as XNLI,
line-parallel across languages: entailment pairs are paraphrases, contradiction
hypotheses hard negatives, the same line in two languages a translation pair).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Sequence

from modsent.tsv import (
    CROSS_COLUMNS, PAIR_COLUMNS, VIEW_NAMES, Example, FormatError, clean_text, read_examples, read_lines,
    write_examples, write_table,
)
from modsent.utils import setup_logging

log = logging.getLogger("modsent.training_views")

NLI_LABELS = ("entailment", "neutral", "contradiction")  # XNLI / MNLI ClassLabel order


def check_aligned(pivot_examples: Sequence[Example], lang_examples: Sequence[Example], *,
                  pivot_name: str, lang_name: str) -> None:
    """Two example lists are the same rows: same count, same id on every line."""
    if len(pivot_examples) != len(lang_examples):
        raise FormatError(f"{lang_name}: {len(lang_examples)} rows but {pivot_name} has {len(pivot_examples)}")
    for number, (p, x) in enumerate(zip(pivot_examples, lang_examples), start=2):
        if p.id != x.id:
            raise FormatError(f"{lang_name}:{number}: id {x.id!r} but {pivot_name}:{number} has {p.id!r}")


# --- NLI triplets and provided translations (NLI files such as XNLI dev/test) ----------------


def entailment_triplets(group: Sequence[int], labels: Sequence[str]) -> list[tuple[int, int | None]]:
    """(entailment row, contradiction row or None) for each entailment hypothesis of one
    premise's rows: the k-th entailment is completed by the k-th contradiction."""
    entailments = [i for i in group if labels[i] == "entailment"]
    contradictions = [i for i in group if labels[i] == "contradiction"]
    return [(e, contradictions[k] if k < len(contradictions) else None) for k, e in enumerate(entailments)]


def _nli_lines(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise FormatError(f"{path}:{number}: expected premise<TAB>hypothesis<TAB>label, got {len(fields)} fields")
        if fields[2] not in NLI_LABELS:
            raise FormatError(f"{path}:{number}: unknown NLI label {fields[2]!r} (expected one of {NLI_LABELS})")
        rows.append((fields[0], fields[1], fields[2]))
    return rows


def hub_nli_rows(path: str, subset: str | None, split: str) -> list[tuple[str, str, str]]:
    """(premise, hypothesis, label name) rows of an NLI set through datasets.load_dataset; the
    label is a ClassLabel (XNLI, MultiNLI: entailment, neutral, contradiction), -1 = unlabelled."""
    import datasets

    data = datasets.load_dataset(path, subset, split=split)
    missing = {"premise", "hypothesis", "label"} - set(data.column_names)
    if missing:
        raise FormatError(f"{path} ({subset}, {split}): missing columns {sorted(missing)} in {data.column_names}")
    label = data.features["label"]
    names = label.names if hasattr(label, "names") else None
    return [(p, h, names[y] if names and y >= 0 else str(y))
            for p, h, y in zip(data["premise"], data["hypothesis"], data["label"])]


def provided_sources(spec: dict, code: str) -> list[tuple[str, str]]:
    """(where, split) for each split of a provided set in language `code` (file path or hub id)."""
    if spec.get("format", "nli") == "hub":
        return [(spec["path"], split) for split in spec["splits"]]
    pattern = spec.get("pattern", "{split}-{code}.tsv")
    return [(str(Path(spec["path"]) / pattern.format(split=split, code=code)), split) for split in spec["splits"]]


def _nli_rows(spec: dict, code: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    if spec.get("format", "nli") == "hub":
        return [(f"{where} ({code}, {split})", hub_nli_rows(where, code, split))
                for where, split in provided_sources(spec, code)]
    return [(where, _nli_lines(Path(where))) for where, _ in provided_sources(spec, code)]


def provided_examples(spec: dict, *, code: str, pivot_code: str) -> tuple[list[Example], list[Example]]:
    """(pivot examples, language examples) of a provided NLI set, the same rows in both.

    Rows are grouped by the pivot premise (consecutive lines); each entailment hypothesis
    gives a pair, completed to a triplet by the group's next unused contradiction. Ids are
    "<split>:<line of the entailment hypothesis>", identical in every language.
    """
    pivot_files = _nli_rows(spec, pivot_code)
    lang_files = pivot_files if code == pivot_code else _nli_rows(spec, code)
    pivot_out, lang_out = [], []
    for (pivot_name, pivot_rows), (lang_name, lang_rows), split in zip(pivot_files, lang_files, spec["splits"]):
        if len(pivot_rows) != len(lang_rows):
            raise FormatError(f"{lang_name}: {len(lang_rows)} lines but {pivot_name} has {len(pivot_rows)}: "
                              "provided translations must be line-parallel")
        for i, (p, x) in enumerate(zip(pivot_rows, lang_rows)):
            if p[2] != x[2]:
                raise FormatError(f"{lang_name}:{i + 1}: label {x[2]!r} but {pivot_name}:{i + 1} has {p[2]!r}: "
                                  "the files are not line-parallel")
        labels = [row[2] for row in pivot_rows]
        start = 0
        while start < len(pivot_rows):
            end = start
            while end < len(pivot_rows) and pivot_rows[end][0] == pivot_rows[start][0]:
                end += 1
            for e, c in entailment_triplets(range(start, end), labels):
                for rows, out in ((pivot_rows, pivot_out), (lang_rows, lang_out)):
                    out.append(Example(f"{split}:{e + 1}", clean_text(rows[e][0]), clean_text(rows[e][1]),
                                       clean_text(rows[c][1]) if c is not None else ""))
            start = end
    return pivot_out, lang_out


# --- views --------------------------------------------------------------------------------


def cross_pairs(pivot_examples: Sequence[Example],
                lang_examples: Sequence[Example]) -> list[tuple[str, str, str, str]]:
    """(id, English anchor, the language's translation of its positive and of its negative).

    The hard negative stays on the language's side, beside the positive it competes with:
    CLA trains the same MNRL on these as SE on the mono view.
    """
    return [(p.id, p.anchor, x.positive, x.negative) for p, x in zip(pivot_examples, lang_examples)]


def parallel_pairs(pivot_examples: Sequence[Example], lang_examples: Sequence[Example]) -> list[tuple[str, str, str]]:
    """(id, English sentence, its translation) for each distinct English anchor and positive.

    NLI premises repeat across rows; each English sentence appears once, with the id of
    its first row and the column ("<id>/anchor", "<id>/positive").
    """
    seen, pairs = set(), []
    for p, x in zip(pivot_examples, lang_examples):
        for column in ("anchor", "positive"):
            english = getattr(p, column)
            if english and english not in seen:
                seen.add(english)
                pairs.append((f"{p.id}/{column}", english, getattr(x, column)))
    return pairs


def build_training_views(
    out_dir: str | Path,
    *,
    lang: str,
    pivot: str = "en",
    sources: Sequence[str | Path] = (),
    translations: Sequence[str | Path] = (),
    provided: dict | None = None,
) -> dict[str, Path]:
    """Write mono.tsv, cross.tsv and parallel.tsv of `lang` into `out_dir`.

    sources: normalised English paraphrase files (results/mt/source/*.tsv);
    translations: the gathered MT files of `lang`, one per source in the same order
    (not needed for the pivot, whose own data is the English source);
    provided: a data.provided_translations spec (format nli|hub, path, splits, pattern,
    code, pivot_code) used instead of sources/translations.
    """
    if provided is not None:
        pivot_examples, lang_examples = provided_examples(
            provided, code=provided.get("code") or lang, pivot_code=provided.get("pivot_code") or pivot)
    else:
        if not sources:
            raise ValueError(f"{lang}: no English sources and no provided translations to build views from")
        if lang != pivot and len(translations) != len(sources):
            raise ValueError(f"{lang}: {len(translations)} translation files for {len(sources)} sources")
        pivot_examples, lang_examples = [], []
        for i, source in enumerate(sources):
            english = read_examples(source)
            translated = english if lang == pivot else read_examples(translations[i])
            if lang != pivot:
                check_aligned(english, translated, pivot_name=str(source), lang_name=str(translations[i]))
            pivot_examples += english
            lang_examples += translated
    if not lang_examples:
        raise ValueError(f"{lang}: the training data is empty")
    out_dir = Path(out_dir)
    paths = {name: out_dir / f"{name}.tsv" for name in VIEW_NAMES}
    write_examples(paths["mono"], lang_examples)
    write_table(paths["cross"], CROSS_COLUMNS, cross_pairs(pivot_examples, lang_examples))
    n_parallel = write_table(paths["parallel"], PAIR_COLUMNS, parallel_pairs(pivot_examples, lang_examples))
    n_triplets = sum(bool(e.negative) for e in lang_examples)
    log.info("%s: %d mono rows and %d cross rows (%d triplets each), %d parallel pairs -> %s",
             lang, len(lang_examples), len(lang_examples), n_triplets, n_parallel, out_dir)
    return paths


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=build_training_views.__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", required=True)
    p.add_argument("--pivot", default="en")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--source", nargs="*", default=[], help="normalised English paraphrase files")
    p.add_argument("--translated", nargs="*", default=[], help="gathered MT files, same order as --source")
    g = p.add_argument_group("provided translations (instead of --source/--translated)")
    g.add_argument("--provided-format", choices=["nli", "hub"])
    g.add_argument("--provided-path")
    g.add_argument("--splits", nargs="+", default=["dev", "test"])
    g.add_argument("--pattern", default="{split}-{code}.tsv", help="file name of a split in a language")
    g.add_argument("--code", help="the language's code in file names / hub subsets (default: --lang)")
    g.add_argument("--pivot-code", help="the pivot's code in file names / hub subsets (default: --pivot)")
    a = p.parse_args(argv)
    setup_logging()
    provided = None
    if a.provided_format:
        if not a.provided_path:
            p.error("--provided-format needs --provided-path")
        provided = {"format": a.provided_format, "path": a.provided_path, "splits": a.splits,
                    "pattern": a.pattern, "code": a.code, "pivot_code": a.pivot_code}
    build_training_views(a.out_dir, lang=a.lang, pivot=a.pivot, sources=a.source, translations=a.translated,
                         provided=provided)


if __name__ == "__main__":
    main()
