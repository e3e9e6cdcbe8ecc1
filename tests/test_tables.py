"""scores.csv -> Table 1: averages over units, best-of-group marks, lower-is-better metrics."""

import csv

import pytest

from modsent.aggregate import aggregate_scores, read_scores, write_skipped
from modsent.evaluation.scoring import SCORE_COLUMNS
from modsent.tables import (BELEBELE, TABLE1_COLUMNS, TABLE3, render_details, render_table, render_table1,
                            render_tables, table_values)


def _row(variant, dataset, unit, setting, metric, value, task="sts"):
    return dict(variant=variant, task=task, dataset=dataset, unit=unit, setting=setting, metric=metric, value=value)


ROWS = [
    _row("base", "stsb", "de", "mono", "spearman", 60.0),
    _row("base", "stsb", "en", "mono", "spearman", 80.0),
    _row("base", "stsb", "de-en", "cross", "spearman", 50.0),
    _row("mod_m", "stsb", "de", "mono", "spearman", 70.0),
    _row("mod_m", "stsb", "en", "mono", "spearman", 84.0),
    _row("mod_mc_jt", "stsb", "de", "mono", "spearman", 72.0),
    _row("mod_mc_jt", "stsb", "en", "mono", "spearman", 84.0),
    _row("mod_en", "stsb", "de", "mono", "spearman", 10.0),
    _row("mod_en", "stsb", "en", "mono", "spearman", 10.0),
    _row("mod_m", "flores", "de-en", "cross", "xsim", 2.0, "bitext"),
    _row("mod_mc_jt", "flores", "de-en", "cross", "xsim", 1.0, "bitext"),
    _row("mod_en", "flores", "de-en", "cross", "xsim", 9.0, "bitext"),
]


def _col(dataset, setting, metric):
    return next(c for c in TABLE1_COLUMNS if (c.dataset, c.setting, c.metric) == (dataset, setting, metric))


def test_table1_averages_units_per_dataset_and_setting():
    values = table_values(ROWS)
    assert values[("base", _col("stsb", "mono", "spearman"))] == pytest.approx(70.0)
    assert values[("base", _col("stsb", "cross", "spearman"))] == pytest.approx(50.0)
    assert values[("mod_m", _col("stsb", "mono", "spearman"))] == pytest.approx(77.0)
    assert ("mod_m", _col("stsb", "cross", "spearman")) not in values


def test_best_in_group_is_bold_second_underlined_and_xsim_lower_is_better():
    md = render_table1(ROWS)
    line = {l.split("|")[1].strip(): l for l in md.splitlines() if l.startswith("| Mod")}
    assert "**78.0**" in line["Mod_mc-jt"] and "<u>77.0</u>" in line["Mod_m"]
    assert "**1.00**" in line["Mod_mc-jt"]  # lowest xsim is best
    assert "<u>2.00</u>" in line["Mod_m"]
    assert "**" not in line["Mod_en"] and "<u>" not in line["Mod_en"]
    base = next(l for l in md.splitlines() if l.startswith("| Base"))
    assert "**" not in base  # a one-member group is not marked
    tex = render_table1(ROWS, fmt="tex")
    assert "\\textbf{78.0}" in tex and "\\underline{77.0}" in tex and "Mod\\_mc-jt" in tex


def test_details_have_one_column_per_unit_and_an_average():
    details = render_details(ROWS)
    stsb = details["stsb"]
    assert "| variant | de | en | avg |" in stsb
    assert "| Mod_m | 70.0 | 84.0 | 77.0 |" in stsb


def test_aggregate_then_render_files(tmp_path):
    files = []
    for i, r in enumerate(ROWS):
        p = tmp_path / f"s{i}.csv"
        with open(p, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=SCORE_COLUMNS)
            w.writeheader()
            w.writerow(r)
        files.append(p)
    assert aggregate_scores(files, tmp_path / "scores.csv") == len(ROWS)
    assert len(read_scores(tmp_path / "scores.csv")) == len(ROWS)
    write_skipped([("sts17", "kk", "not in the data set")], tmp_path / "skipped.csv")
    render_tables(tmp_path / "scores.csv", tmp_path / "skipped.csv", tmp_path / "out")
    md = (tmp_path / "out" / "table1.md").read_text()
    assert "sts17: kk (not in the data set)" in md
    assert (tmp_path / "out" / "details" / "flores.md").is_file()
    for name in ("table3.md", "table3.tex", "belebele.md", "belebele.tex"):
        assert (tmp_path / "out" / name).is_file()


def test_aggregate_rejects_a_file_with_other_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,value\nbase,1\n")
    with pytest.raises(ValueError, match="bad.csv"):
        aggregate_scores([bad], tmp_path / "scores.csv")


def _write_rows(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=SCORE_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def test_aggregate_output_does_not_depend_on_how_rows_are_split_into_files(tmp_path):
    # one file per unit holding every variant, vs. per-unit files per variant group in reverse order
    by_unit, by_group = {}, {}
    for r in ROWS:
        by_unit.setdefault((r["dataset"], r["unit"]), []).append(r)
        group = "multilingual" if r["variant"] == "mod_mc_jt" else "per_language"
        by_group.setdefault((r["dataset"], r["unit"], group), []).append(r)
    one = [_write_rows(tmp_path / f"u{i}.csv", rows) for i, rows in enumerate(by_unit.values())]
    split = [_write_rows(tmp_path / f"g{i}.csv", rows[::-1]) for i, rows in enumerate(by_group.values())]
    aggregate_scores(one, tmp_path / "one.csv")
    aggregate_scores(split[::-1], tmp_path / "split.csv")
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "split.csv").read_text()


def test_aggregate_rejects_a_score_found_in_two_files(tmp_path):
    first = _write_rows(tmp_path / "per_language.csv", ROWS[:2])
    second = _write_rows(tmp_path / "multilingual.csv", [dict(ROWS[1], value=1.0)])
    with pytest.raises(ValueError, match=r"multilingual\.csv.*'unit': 'en'.*per_language\.csv"):
        aggregate_scores([first, second], tmp_path / "scores.csv")


# The paper's Table 1 header (dataset row), left to right; language bias on STS-B and SICK.
PAPER_TABLE1 = [
    ("Monolingual", "sts17", "spearman"), ("Monolingual", "stsb", "spearman"), ("Monolingual", "sick", "spearman"),
    ("Monolingual", "str24", "spearman"), ("Monolingual", "sib", "accuracy"),
    ("Cross-lingual", "sts17", "spearman"), ("Cross-lingual", "stsb", "spearman"),
    ("Cross-lingual", "sick", "spearman"), ("Cross-lingual", "sib", "accuracy"),
    ("Cross-lingual", "flores", "xsim"), ("Cross-lingual", "tatoeba", "xsim"),
    ("Alignment", "stsb", "language_bias"), ("Alignment", "sick", "language_bias"), ("Alignment", "flores", "rsim"),
]


def _every_column_rows(variant, value=50.0):
    rows = []
    for col in TABLE1_COLUMNS + BELEBELE.columns + TABLE3.columns:
        unit = "all" if col.metric == "language_bias" else "de" if col.setting == "mono" else "de-en"
        rows.append(_row(variant, col.dataset, unit, col.setting, col.metric, value))
    return rows


def test_table1_has_the_papers_columns_in_the_papers_order_and_no_belebele():
    md = render_table1(_every_column_rows("base") + _every_column_rows("mod_m"))
    head = [line.split("|")[2:-1] for line in md.splitlines()[:4]]
    groups, datasets = [c.strip() for c in head[0]], [c.strip() for c in head[3]]
    assert list(zip(groups, datasets)) == [(g, d) for g, d, _ in PAPER_TABLE1]
    assert [(c.group, c.dataset, c.metric) for c in TABLE1_COLUMNS] == PAPER_TABLE1
    assert "belebele" not in md and "QA" not in md


def test_belebele_has_a_table_of_its_own():
    rows = _every_column_rows("base") + [_row("mod_m", "belebele", "de", "mono", "accuracy", 41.25, "mcqa"),
                                         _row("mod_m", "belebele", "fr", "mono", "accuracy", 43.75, "mcqa")]
    md = render_table(BELEBELE, rows)
    assert [c.strip() for c in md.splitlines()[3].split("|")[1:-1]] == ["dataset", "belebele"]
    assert "| Mod_m | 42.5 |" in md and "| Base | 50.0 |" in md
    assert "stsb" not in md


def test_table3_sets_each_all_pair_row_beside_its_english_centric_row():
    variants = ["mod_mc_pl_allpair", "mod_mc_jt", "mod_mc_pp", "mod_m", "mod_mc_pl", "mod_mc_pp_allpair",
                "mod_mc_jt_allpair"]
    rows = [r for i, v in enumerate(variants) for r in _every_column_rows(v, 60.0 + i)]
    md = render_table(TABLE3, rows)
    labels = [line.split("|")[1].strip() for line in md.splitlines()[4:] if line.startswith("| ")]
    assert labels == ["*English-centric vs. all-pair*", "Mod_mc-pp", "Mod_mc-pp all-pair", "Mod_mc-pl",
                      "Mod_mc-pl all-pair", "*Extra (not in the paper)*", "Mod_mc-jt", "Mod_mc-jt all-pair"]
    datasets = [c.strip() for c in md.splitlines()[3].split("|")[1:-1]]
    assert datasets == ["dataset", "stsb", "stsb", "stsb"]
    assert "| Mod_mc-pp all-pair | 65.0 | 65.0 | 65.00 |" in md
    assert "**" not in md  # the paper's Table 3 marks nothing
    table1 = render_table1(rows)
    assert "all-pair" not in table1.split("\n\n")[0] and "| Mod_m |" in table1


def test_a_table_without_its_variants_says_so():
    rows = [r for r in ROWS if r["variant"] in ("base", "mod_m")]
    assert render_table(TABLE3, rows).startswith("No scores")
    assert render_table(TABLE3, rows, fmt="tex").startswith("% No scores")
