"""English paraphrase sets: local TSV and hub (a local copy of a hub repository) sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from modsent import paraphrase
from modsent.paraphrase import load_paraphrase_set, prepare_paraphrase_set
from modsent.tsv import Example, FormatError, read_examples

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "modsent" / "resources" / "tiny" / "train" / "paraphrase"


def write_tsv(path: Path, header, rows) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def test_raw_pairs_and_triplets(tmp_path):
    pairs = write_tsv(tmp_path / "wiki.tsv", ["text", "simplified"],
                      [["A long sentence .", "Short ."], ["", "no anchor"], ["Another one .", "Other ."]])
    examples = load_paraphrase_set("wiki", format="raw", path=str(pairs))
    assert examples == [Example("wiki-0", "A long sentence .", "Short .", ""),
                        Example("wiki-2", "Another one .", "Other .", "")]  # ids keep the source row
    triplets = write_tsv(tmp_path / "nli.tsv", ["anchor", "positive", "negative"], [["a", "b", "c"], ["a", "d", ""]])
    assert load_paraphrase_set("nli", format="raw", path=str(triplets)) == [
        Example("nli-0", "a", "b", "c"), Example("nli-1", "a", "d", "")]


def test_explicit_columns_and_their_errors(tmp_path):
    path = write_tsv(tmp_path / "q.tsv", ["q1", "q2", "label"], [["how?", "how so?", "1"]])
    assert load_paraphrase_set("q", format="raw", path=str(path), columns=["q1", "q2"]) == [Example("q-0", "how?",
                                                                                                   "how so?", "")]
    with pytest.raises(FormatError, match=r"match no known layout"):
        load_paraphrase_set("q", format="raw", path=str(path))
    with pytest.raises(FormatError, match=r"no column\(s\) \['question'\]; available: \['q1', 'q2', 'label'\]"):
        load_paraphrase_set("q", format="raw", path=str(path), columns=["question", "q2"])


def test_bad_files_name_the_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        load_paraphrase_set("x", format="raw", path=str(tmp_path / "missing.tsv"))
    bad = tmp_path / "bad.tsv"
    bad.write_text("anchor\tpositive\na\tb\nonly one field\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.tsv:3: 1 tab-separated fields, expected 2"):
        load_paraphrase_set("x", format="raw", path=str(bad))
    empty = write_tsv(tmp_path / "empty.tsv", ["anchor", "positive"], [["", "b"]])
    with pytest.raises(ValueError, match="no usable rows"):
        load_paraphrase_set("x", format="raw", path=str(empty))
    with pytest.raises(ValueError, match="unknown format 'csv'"):
        load_paraphrase_set("x", format="csv", path=str(empty))


def test_cap_is_a_seeded_subset_in_source_order(tmp_path):
    path = write_tsv(tmp_path / "p.tsv", ["anchor", "positive"], [[f"a{i}", f"p{i}"] for i in range(50)])
    first = load_paraphrase_set("p", format="raw", path=str(path), max_rows=10, seed=1)
    assert len(first) == 10 and first == load_paraphrase_set("p", format="raw", path=str(path), max_rows=10, seed=1)
    rows = [int(e.id.split("-")[1]) for e in first]
    assert rows == sorted(rows) and rows != list(range(10))
    assert all(e.anchor == f"a{i}" for e, i in zip(first, rows))
    assert first != load_paraphrase_set("p", format="raw", path=str(path), max_rows=10, seed=2)


def _hub_copy(root: Path) -> Path:
    """A local copy of a hub dataset repository with a `triplet` and a `pair` config."""
    import datasets

    (root / "triplet").mkdir(parents=True)
    (root / "pair").mkdir()
    datasets.Dataset.from_dict({
        "anchor": ["A man\tplays.", "Kids run.", "Kids run."],
        "positive": ["Someone makes\nmusic.", "Children are running.", "Kids move fast."],
        "negative": ["Nobody plays.", "Kids sit.", None],
    }).to_parquet(str(root / "triplet" / "train-00000-of-00001.parquet"))
    datasets.Dataset.from_dict({"text": ["Long text here ."], "simplified": ["Text ."]}).to_parquet(
        str(root / "pair" / "train-00000-of-00001.parquet"))
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: triplet\n  data_files:\n  - split: train\n    path: triplet/train-*\n"
        "- config_name: pair\n  data_files:\n  - split: train\n    path: pair/train-*\n---\n", encoding="utf-8")
    return root


def test_hub_source_from_a_local_repository_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    repo = _hub_copy(tmp_path / "all-nli")
    examples = load_paraphrase_set("nli", format="hub", path=str(repo), subset="triplet", split="train")
    # tabs and newlines inside texts become spaces; a missing negative is empty
    assert examples == [Example("nli-0", "A man plays.", "Someone makes music.", "Nobody plays."),
                        Example("nli-1", "Kids run.", "Children are running.", "Kids sit."),
                        Example("nli-2", "Kids run.", "Kids move fast.", "")]
    pairs = load_paraphrase_set("wiki", format="hub", path=str(repo), subset="pair")
    assert pairs == [Example("wiki-0", "Long text here .", "Text .", "")]


def test_prepare_writes_the_normalised_file(tmp_path):
    out = prepare_paraphrase_set("nli", tmp_path / "out" / "nli.tsv", format="raw", path=str(SHIPPED / "nli.tsv"))
    assert out.read_text(encoding="utf-8").split("\n", 1)[0] == "id\tanchor\tpositive\tnegative"
    assert read_examples(out) == load_paraphrase_set("nli", format="raw", path=str(SHIPPED / "nli.tsv"))
    paraphrase.main(["--name", "q", "--format", "raw", "--path", str(SHIPPED / "quora_duplicates.tsv"),
                     "--max-rows", "5", "--out", str(tmp_path / "q.tsv")])
    assert len(read_examples(tmp_path / "q.tsv")) == 5


@pytest.mark.parametrize("name", ["nli", "sentence_compression", "quora_duplicates"])
def test_shipped_tiny_sets_load(name):
    examples = load_paraphrase_set(name, format="raw", path=str(SHIPPED / f"{name}.tsv"))
    assert len(examples) >= 20
    assert all(e.anchor and e.positive for e in examples)
    assert (name == "nli") == all(e.negative for e in examples)


MNLI_FEATURES = ("promptID", "pairID", "premise", "premise_binary_parse", "premise_parse", "hypothesis",
                 "hypothesis_binary_parse", "hypothesis_parse", "genre", "label")


def _multi_nli_copy(root: Path, rows) -> Path:
    """A local copy laid out as nyu-mll/multi_nli at revision da70db2 (main, "Convert dataset to
    Parquet (#5)"): data/{train,validation_matched,validation_mismatched}-00000-of-00001.parquet,
    a README.md whose YAML declares the default config's data files, the ten columns, and label
    a ClassLabel (0 entailment, 1 neutral, 2 contradiction)."""
    import datasets

    features = datasets.Features({
        **{name: datasets.Value("int32" if name == "promptID" else "string") for name in MNLI_FEATURES[:-1]},
        "label": datasets.ClassLabel(names=["entailment", "neutral", "contradiction"]),
    })
    (root / "data").mkdir(parents=True)
    for split, split_rows in (("train", rows), ("validation_matched", rows[:3]), ("validation_mismatched", rows[:3])):
        columns = {name: [] for name in MNLI_FEATURES}
        for prompt, premise, hypothesis, label in split_rows:
            values = {"promptID": prompt, "pairID": f"{prompt}{label[0]}", "premise": premise,
                      "premise_binary_parse": f"( {premise} )", "premise_parse": f"(ROOT {premise})",
                      "hypothesis": hypothesis, "hypothesis_binary_parse": f"( {hypothesis} )",
                      "hypothesis_parse": f"(ROOT {hypothesis})", "genre": "fiction",
                      "label": features["label"].str2int(label)}
            for name in MNLI_FEATURES:
                columns[name].append(values[name])
        datasets.Dataset.from_dict(columns, features=features).to_parquet(
            str(root / "data" / f"{split}-00000-of-00001.parquet"))
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n"
        "  - split: validation_matched\n    path: data/validation_matched-*\n"
        "  - split: validation_mismatched\n    path: data/validation_mismatched-*\n---\n", encoding="utf-8")
    return root


MNLI_ROWS = [  # (promptID, premise, hypothesis, label); prompt 2's rows are not consecutive
    (1, "The cat sat on the mat.", "A cat is sitting.", "neutral"),
    (1, "The cat sat on the mat.", "An animal rests on a mat.", "entailment"),
    (2, "Stocks fell sharply today.", "Markets went up.", "contradiction"),
    (1, "The cat sat on the mat.", "The mat is empty.", "contradiction"),
    (3, "He left early.", "He departed before the end.", "entailment"),  # no contradiction: left out
    (2, "Stocks fell sharply today.", "Share prices dropped.", "entailment"),
    (2, "Stocks fell sharply today.", "Investors were worried.", "neutral"),
]


def test_multinli_triplets_from_a_copy_in_the_hub_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    repo = _multi_nli_copy(tmp_path / "multi_nli", MNLI_ROWS)
    examples = load_paraphrase_set("nli", format="nli", path=str(repo), split="train")
    # (premise, entailment, contradiction) per premise; ids are the entailment's row in the split
    assert examples == [Example("nli-1", "The cat sat on the mat.", "An animal rests on a mat.", "The mat is empty."),
                        Example("nli-5", "Stocks fell sharply today.", "Share prices dropped.", "Markets went up.")]
    assert [e.id for e in load_paraphrase_set("nli", format="nli", path=str(repo), split="train", max_rows=1,
                                              seed=3)] in (["nli-1"], ["nli-5"])
    with pytest.raises(ValueError, match="no usable rows"):
        load_paraphrase_set("nli", format="nli", path=str(repo), split="validation_matched")  # no entailment+contradiction


def test_nli_format_needs_nli_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    repo = _hub_copy(tmp_path / "all-nli")
    with pytest.raises(FormatError, match=r"missing columns \['hypothesis', 'label', 'premise'\]"):
        load_paraphrase_set("nli", format="nli", path=str(repo), subset="triplet")


# What each sentence-transformers set of the paper config publishes on main (README.md
# `configs:` and file listing): one folder per config, <config>/train-00000-of-00001.parquet.
# sentence-compression 605bc91, simple-wiki 60fd9b4, altlex 97eb209: config pair (text,
# simplified); quora-duplicates dcd9ad6: pair (anchor, positive), pair-class (sentence1,
# sentence2, label), triplet (anchor, positive, negative), triplet-all (same columns).
ST_CONFIGS = {
    "sentence-transformers/sentence-compression": {"pair": ["text", "simplified"]},
    "sentence-transformers/simple-wiki": {"pair": ["text", "simplified"]},
    "sentence-transformers/altlex": {"pair": ["text", "simplified"]},
    "sentence-transformers/quora-duplicates": {"pair": ["anchor", "positive"],
                                               "pair-class": ["sentence1", "sentence2", "label"],
                                               "triplet": ["anchor", "positive", "negative"],
                                               "triplet-all": ["anchor", "positive", "negative"]},
}


def _st_copy(root: Path, configs: dict[str, list[str]]) -> Path:
    import datasets

    readme = ["---", "configs:"]
    for config, columns in configs.items():
        (root / config).mkdir(parents=True)
        rows = {c: [0, 1] if c == "label" else [f"{config} {c} {i}" for i in range(2)] for c in columns}
        datasets.Dataset.from_dict(rows).to_parquet(str(root / config / "train-00000-of-00001.parquet"))
        readme += [f"- config_name: {config}", "  data_files:", "  - split: train", f"    path: {config}/train-*"]
    (root / "README.md").write_text("\n".join(readme + ["---", ""]), encoding="utf-8")
    return root


@pytest.mark.parametrize("name", ["sentence_compression", "simple_wiki", "altlex", "quora_duplicates"])
def test_paper_paraphrase_sources_read_their_repositories_as_published(tmp_path, monkeypatch, name):
    import yaml

    from modsent.config import validate_config

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    spec = validate_config(yaml.safe_load((REPO / "workflow_config.yaml").read_text(encoding="utf-8")))
    spec = dict(spec["data"]["paraphrase"][name])
    configs = ST_CONFIGS[spec["path"]]
    spec["path"] = str(_st_copy(tmp_path / name, configs))

    examples = load_paraphrase_set(name, **spec)

    # the configured subset's own columns, in order: a triplet subset gives negatives
    anchor, positive, *negative = configs[spec["subset"]]
    assert examples == [Example(f"{name}-{i}", f"{spec['subset']} {anchor} {i}", f"{spec['subset']} {positive} {i}",
                                f"{spec['subset']} {negative[0]} {i}" if negative else "") for i in range(2)]
    if name == "quora_duplicates":
        assert spec["subset"] == "triplet"  # 101,762 rows (the paper's 102K), not triplet-all's 2.79M
