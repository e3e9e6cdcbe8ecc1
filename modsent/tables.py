"""Render `scores.csv` into the paper's tables: Table 1 (averages over the languages of each
dataset, Markdown and LaTeX, best of each group marked), Table 3 (English-centric against
all-pair alignment on STS-B), a Belebele table (not a paper column) and per-dataset detail
tables (one column per language or pair, the paper's Tables 8-21)."""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from modsent.aggregate import read_scores, read_skipped
from modsent.utils import atomic_output


@dataclass(frozen=True)
class Column:
    group: str  # Monolingual | Cross-lingual | Alignment
    task: str  # the label above the dataset name
    dataset: str
    setting: str
    metric: str
    lower_is_better: bool = False


# The paper's Table 1, its columns in its order. Language bias is measured on the
# multi-parallel sets STS-B and SICK (paper Section 4.3; its Table 1 header prints sts17,
# which is not multi-parallel).
TABLE1_COLUMNS = (
    Column("Monolingual", "STS", "sts17", "mono", "spearman"),
    Column("Monolingual", "STS", "stsb", "mono", "spearman"),
    Column("Monolingual", "STR", "sick", "mono", "spearman"),
    Column("Monolingual", "STR", "str24", "mono", "spearman"),
    Column("Monolingual", "CLS", "sib", "mono", "accuracy"),
    Column("Cross-lingual", "STS", "sts17", "cross", "spearman"),
    Column("Cross-lingual", "STS", "stsb", "cross", "spearman"),
    Column("Cross-lingual", "STR", "sick", "cross", "spearman"),
    Column("Cross-lingual", "CLS", "sib", "cross", "accuracy"),
    Column("Cross-lingual", "Bitext", "flores", "cross", "xsim", lower_is_better=True),
    Column("Cross-lingual", "Bitext", "tatoeba", "cross", "xsim", lower_is_better=True),
    Column("Alignment", "Lang. bias", "stsb", "cross", "language_bias", lower_is_better=True),
    Column("Alignment", "Lang. bias", "sick", "cross", "language_bias", lower_is_better=True),
    Column("Alignment", "RSIM", "flores", "cross", "rsim"),
)
BELEBELE_COLUMNS = (Column("Monolingual", "QA", "belebele", "mono", "accuracy"),)
TABLE3_COLUMNS = (
    Column("STS-B", "monoling.", "stsb", "mono", "spearman"),
    Column("STS-B", "cross-ling.", "stsb", "cross", "spearman"),
    Column("STS-B", "lang. bias", "stsb", "cross", "language_bias", lower_is_better=True),
)

# Row groups of the paper's Table 1; best-of-group is marked within Full and within Mod.
VARIANT_GROUPS = (
    ("Base", ("base",)),
    ("Full", ("full_en", "full_m", "full_c", "full_mc")),
    ("Mod", ("mod_en", "mod_m", "mod_mc_pp", "mod_mc_pl", "mod_mc_jt")),
    ("Ablations", ("mod_m_no_la", "mod_c_jt")),
)
# Table 3: each English-centric row beside its all-pair row; jt is an extra, not in the paper.
TABLE3_GROUPS = (
    ("English-centric vs. all-pair", ("mod_mc_pp", "mod_mc_pp_allpair", "mod_mc_pl", "mod_mc_pl_allpair")),
    ("Extra (not in the paper)", ("mod_mc_jt", "mod_mc_jt_allpair")),
)
ALLPAIR_VARIANTS = ("mod_mc_pp_allpair", "mod_mc_pl_allpair", "mod_mc_jt_allpair")
MARKED_GROUPS = ("Full", "Mod")
UNDERLINED_GROUPS = ("Mod",)

VARIANT_LABELS = {
    "base": "Base", "full_en": "Full_en", "full_m": "Full_m", "full_c": "Full_c", "full_mc": "Full_mc",
    "mod_en": "Mod_en", "mod_m": "Mod_m", "mod_mc_pp": "Mod_mc-pp", "mod_mc_pl": "Mod_mc-pl",
    "mod_mc_jt": "Mod_mc-jt", "mod_m_no_la": "Mod_m w/o LA", "mod_c_jt": "Mod_c-jt",
    "mod_mc_pp_allpair": "Mod_mc-pp all-pair", "mod_mc_pl_allpair": "Mod_mc-pl all-pair",
    "mod_mc_jt_allpair": "Mod_mc-jt all-pair",
}


@dataclass(frozen=True)
class Table:
    name: str  # file stem under the tables folder
    columns: tuple[Column, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    note: str
    # Variants in no group of any table get an "Other" group here; `hidden` ones are left out.
    other: bool = True
    hidden: tuple[str, ...] = ()


# Percent-like metrics get one decimal, the others two (as in the paper).
_DECIMALS = {"spearman": 1, "accuracy": 1, "xsim": 2, "language_bias": 2, "rsim": 2}


def variant_label(variant: str) -> str:
    return VARIANT_LABELS.get(variant, variant)


def table_values(rows, columns=TABLE1_COLUMNS) -> dict[tuple[str, Column], float]:
    """Average over the units (languages / pairs) of each dataset, per variant and column."""
    cells = defaultdict(list)
    for r in rows:
        cells[(r["variant"], r["dataset"], r["setting"], r["metric"])].append(r["value"])
    out = {}
    variants = {r["variant"] for r in rows}
    for v in variants:
        for col in columns:
            values = cells.get((v, col.dataset, col.setting, col.metric))
            if values:
                out[(v, col)] = mean(values)
    return out


# Every variant a table knows, in the order of the detail tables and plots.
ALL_GROUPS = VARIANT_GROUPS + (("All-pair alignment", ALLPAIR_VARIANTS),)


def ordered_variants(variants, groups=ALL_GROUPS, other=True, hidden=()) -> list[tuple[str, list[str]]]:
    present = set(variants) - set(hidden)
    out = [(name, [v for v in members if v in present]) for name, members in groups]
    if other:
        known = {v for _, members in ALL_GROUPS for v in members}
        rest = sorted(present - known)
        if rest:
            out.append(("Other", rest))
    return [(name, members) for name, members in out if members]


def _ranks(values: dict[str, float], lower_is_better: bool) -> dict[str, int]:
    """Rank 1 = best; ties share a rank."""
    distinct = sorted(set(values.values()), reverse=not lower_is_better)
    return {v: distinct.index(x) + 1 for v, x in values.items()}


def _marks(values, groups, columns) -> dict[tuple[str, Column], int]:
    marks = {}
    for name, members in groups:
        if name not in MARKED_GROUPS:
            continue
        for col in columns:
            vals = {v: values[(v, col)] for v in members if (v, col) in values}
            if len(vals) < 2:
                continue
            for v, rank in _ranks(vals, col.lower_is_better).items():
                if rank == 1 or (rank == 2 and name in UNDERLINED_GROUPS):
                    marks[(v, col)] = rank
    return marks


def _fmt(value: float, metric: str) -> str:
    return f"{value:.{_DECIMALS.get(metric, 2)}f}"


def render_table(table: Table, rows, skipped=(), fmt: str = "md") -> str:
    """`table` as Markdown ("md"), LaTeX ("tex") or an HTML fragment ("html"). Only the
    columns with a value are shown; a table without any says so."""
    values = table_values(rows, table.columns)
    groups = ordered_variants({r["variant"] for r in rows}, table.groups, table.other, table.hidden)
    columns = [c for c in table.columns if any((v, c) in values for _, m in groups for v in m)]
    groups = [(name, [v for v in m if any((v, c) in values for c in columns)]) for name, m in groups]
    groups = [(name, m) for name, m in groups if m]
    if not groups:
        empty = "No scores for this table's variants and datasets."
        return {"md": empty, "html": f"<p>{empty}</p>", "tex": f"% {empty}"}[fmt] + "\n"
    marks = _marks(values, groups, columns)
    bold, under, esc = _STYLES[fmt]

    def cell(v, col):
        if (v, col) not in values:
            return "–"
        text = _fmt(values[(v, col)], col.metric)
        rank = marks.get((v, col))
        return bold(text) if rank == 1 else under(text) if rank == 2 else text

    header = [
        [""] + [c.group for c in columns],
        ["task"] + [f"{c.task} {'↓' if c.lower_is_better else '↑'}" for c in columns],
        ["dataset"] + [c.dataset for c in columns],
    ]
    body = [(name, [[esc(variant_label(v))] + [cell(v, c) for c in columns] for v in members]) for name, members in groups]
    notes = [table.note] + _skipped_lines(skipped)
    if fmt == "md":
        lines = ["| " + " | ".join(header[0]) + " |", "|---|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in header[1:]]
        for name, members in body:
            lines.append(f"| *{name}* |" + " |" * len(columns))
            lines += ["| " + " | ".join(row) + " |" for row in members]
        return "\n".join(lines + [""] + notes) + "\n"
    if fmt == "html":
        th = lambda row: "<tr>" + "".join(f"<th>{x}</th>" for x in row) + "</tr>"  # noqa: E731
        td = lambda row: "<tr>" + "".join(f"<td>{x}</td>" for x in row) + "</tr>"  # noqa: E731
        lines = ["<table>"] + [th(row) for row in header]
        for name, members in body:
            lines.append(f'<tr><td colspan="{len(columns) + 1}"><i>{name}</i></td></tr>')
            lines += [td(row) for row in members]
        lines.append("</table>")
        lines += [f"<p>{n}</p>" for n in notes if n]
        return "\n".join(lines) + "\n"
    spans = []
    for c in columns:
        if spans and spans[-1][0] == c.group:
            spans[-1][1] += 1
        else:
            spans.append([c.group, 1])
    arrow = lambda c: "$\\downarrow$" if c.lower_is_better else "$\\uparrow$"  # noqa: E731
    lines = [
        "\\begin{tabular}{l" + "r" * len(columns) + "}",
        "\\toprule",
        " & " + " & ".join(f"\\multicolumn{{{n}}}{{c}}{{{g}}}" for g, n in spans) + " \\\\",
        " & " + " & ".join(f"{esc(c.task)} {arrow(c)}" for c in columns) + " \\\\",
        " & " + " & ".join(esc(c.dataset) for c in columns) + " \\\\",
    ]
    for name, members in body:
        lines.append("\\midrule")
        lines.append(f"\\multicolumn{{{len(columns) + 1}}}{{l}}{{\\textit{{{esc(name)}}}}} \\\\")
        lines += [" & ".join(row) + " \\\\" for row in members]
    return "\n".join(lines + ["\\bottomrule", "\\end{tabular}"]) + "\n"


_MARKS_NOTE = "Bold: best in the Full and in the Mod group; underlined: second best in the Mod group."
TABLE1 = Table(
    "table1", TABLE1_COLUMNS, VARIANT_GROUPS,
    "Averages over the languages (monolingual) or language pairs (cross-lingual) of each dataset; "
    "symmetric pairs averaged first. Bitext mining: xsim error rate (%). Language bias (on the "
    "multi-parallel STS-B and SICK): mean bilingual Spearman minus multilingual Spearman. "
    + _MARKS_NOTE + " All-pair rows are in table3.",
    hidden=ALLPAIR_VARIANTS,
)
BELEBELE = Table(
    "belebele", BELEBELE_COLUMNS, VARIANT_GROUPS,
    "Belebele (not in the paper): multiple-choice accuracy, averaged over the languages. " + _MARKS_NOTE,
    hidden=ALLPAIR_VARIANTS,
)
TABLE3 = Table(
    "table3", TABLE3_COLUMNS, TABLE3_GROUPS,
    "STS-B, English-centric against all-pair alignment: monolingual and cross-lingual Spearman "
    "(averages over languages / pairs) and language bias.",
    other=False,
)
TABLES = (TABLE1, TABLE3, BELEBELE)


def render_table1(rows, skipped=(), fmt: str = "md") -> str:
    return render_table(TABLE1, rows, skipped, fmt)


_STYLES = {
    "md": (lambda t: f"**{t}**", lambda t: f"<u>{t}</u>", lambda t: t),
    "html": (lambda t: f"<b>{t}</b>", lambda t: f"<u>{t}</u>", lambda t: t),
    "tex": (lambda t: f"\\textbf{{{t}}}", lambda t: f"\\underline{{{t}}}",
            lambda t: t.replace("_", "\\_").replace("%", "\\%")),
}


def _skipped_lines(skipped) -> list[str]:
    if not skipped:
        return []
    by_dataset = defaultdict(list)
    for s in skipped:
        by_dataset[s["dataset"]].append(f"{s['item']} ({s['reason']})")
    return ["", "Skipped (not in the configured languages or not in the data set):"] + [
        f"- {ds}: " + ", ".join(sorted(items)) for ds, items in sorted(by_dataset.items())
    ]


def render_details(rows) -> dict[str, str]:
    """One Markdown table per dataset: variants x units, for each (setting, metric)."""
    by_dataset = defaultdict(list)
    for r in rows:
        by_dataset[r["dataset"]].append(r)
    out = {}
    for dataset, drows in sorted(by_dataset.items()):
        groups = ordered_variants({r["variant"] for r in drows})
        parts = [f"# {dataset}\n"]
        for setting, metric in sorted({(r["setting"], r["metric"]) for r in drows}):
            sel = [r for r in drows if r["setting"] == setting and r["metric"] == metric]
            units = sorted({r["unit"] for r in sel})
            value = {(r["variant"], r["unit"]): r["value"] for r in sel}
            parts.append(f"## {setting}: {metric}\n")
            parts.append("| variant | " + " | ".join(units) + " | avg |")
            parts.append("|---|" + "---|" * (len(units) + 1))
            for _, members in groups:
                for v in members:
                    vals = [value.get((v, u)) for u in units]
                    present = [x for x in vals if x is not None]
                    avg = _fmt(mean(present), metric) if present else "–"
                    parts.append(
                        f"| {variant_label(v)} | "
                        + " | ".join("–" if x is None else _fmt(x, metric) for x in vals)
                        + f" | {avg} |"
                    )
            parts.append("")
        out[dataset] = "\n".join(parts)
    return out


def render_tables(scores_csv: str | Path, skipped_csv: str | Path, out_dir: str | Path) -> list[Path]:
    """Write table1.{md,tex,html}, table3.{md,tex}, belebele.{md,tex} and
    details/<dataset>.md; return the written paths."""
    rows = read_scores(scores_csv)
    skipped = read_skipped(skipped_csv)
    out_dir = Path(out_dir)
    written = []
    for table in TABLES:
        datasets = {c.dataset for c in table.columns}
        own_skipped = [s for s in skipped if s["dataset"] in datasets]
        for fmt in ("md", "tex", "html") if table is TABLE1 else ("md", "tex"):
            path = out_dir / f"{table.name}.{fmt}"
            text = render_table(table, rows, own_skipped if fmt != "tex" else (), fmt)
            with atomic_output(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
            written.append(path)
    with atomic_output(out_dir / "details") as tmp:
        tmp.mkdir()
        for dataset, text in render_details(rows).items():
            (tmp / f"{dataset}.md").write_text(text, encoding="utf-8")
    written.append(out_dir / "details")
    return written


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m modsent.tables", description=__doc__)
    p.add_argument("--scores", required=True)
    p.add_argument("--skipped", required=True)
    p.add_argument("--out-dir", required=True)
    a = p.parse_args(argv)
    for path in render_tables(a.scores, a.skipped, a.out_dir):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
