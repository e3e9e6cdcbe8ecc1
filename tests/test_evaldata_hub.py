"""The hub route: the same `datasets.load_dataset` calls, pointed at local directories laid
out as the hub repositories are (data files + README.md `configs:` metadata)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from modsent.evaldata import DataFormatError, DataSourceError, get_dataset


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))


def hub_repo(root, configs: dict, layout: str = "{config}/{split}.parquet"):
    """Write a dataset repository: {config: {split: [row dicts]}}; the file type follows
    the layout's extension (parquet, csv, jsonl, jsonl.gz)."""
    card = ["---", "configs:"]
    for config, splits in configs.items():
        card += [f"- config_name: {config}", "  data_files:"]
        for split, rows in splits.items():
            rel = layout.format(config=config, split=split)
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith(".parquet"):
                pd.DataFrame(rows).to_parquet(path)
            elif rel.endswith(".csv"):
                pd.DataFrame(rows).to_csv(path, index=False)
            else:
                lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
                path.write_bytes(gzip.compress(lines) if rel.endswith(".gz") else lines)
            card += [f"  - split: {split}", f"    path: {rel}"]
    (root / "README.md").write_text("\n".join(card + ["---", ""]), encoding="utf-8")
    return {"format": "hub", "path": str(root)}


def pairs(*rows, names=("sentence1", "sentence2", "score")):
    return [dict(zip(names, r)) for r in rows]


def parquet_branch(root, configs: dict) -> dict:
    """A copy of a repository's refs/convert/parquet branch as the parquet converter writes
    it: <config>/<split>/0000.parquet, no README.md; read with the data_files pattern."""
    for config, splits in configs.items():
        for split, rows in splits.items():
            path = root / config / split / "0000.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_parquet(path)
    (root / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    return {"format": "hub", "path": str(root), "revision": "refs/convert/parquet",
            "data_files": "{config}/{split}/*.parquet"}


def test_sts17_hub_layout(tmp_path):
    # mteb/sts17-crosslingual-sts@refs/convert/parquet (main holds the loading script
    # sts17-crosslingual-sts.py): one folder per config; the config name gives the column languages
    spec = parquet_branch(tmp_path / "sts17", {
        "en-en": {"test": pairs(("A man sits.", "A man is sitting.", 4.8), ("A dog runs.", "A cat sleeps.", 0.4))},
        "en-de": {"test": pairs(("A man sits.", "Ein Mann sitzt.", 4.8), ("A dog runs.", "Eine Katze schläft.", 0.4))},
        "fr-en": {"test": pairs(("Un homme est assis.", "A man is sitting.", 4.8), ("Un chien court.", "A cat sleeps.", 0.4))},
        "en-ar": {"test": pairs(("Two men.", "رجلان.", 3.0))},
        "ko-ko": {"test": pairs(("가.", "나.", 2.0))},
    })
    ds = get_dataset("sts17", spec, ["en", "de", "fr", "ar", "ko"])
    assert [u.name for u in ds.units()] == ["en", "ko", "ar-en", "de-en", "en-fr"]
    data = ds.load("fr", "en")
    assert data.s1 == ["Un homme est assis.", "Un chien court."] and data.s2 == ["A man is sitting.", "A cat sleeps."]
    assert ds.directions(ds.unit("ar-en")) == [("en", "ar")] and ds.load("en", "ar").s2 == ["رجلان."]


def test_script_only_main_branch_fails_clearly(tmp_path):
    # RobZamp/sick main: README.md and the loading script sick.py, nothing else
    main = tmp_path / "sick"
    main.mkdir()
    (main / "README.md").write_text("---\nlicense: cc-by-nc-sa-3.0\n---\n")
    (main / "sick.py").write_text("import datasets\n")
    with pytest.raises(DataSourceError, match=r"cannot load hub dataset .*sick\[default/test\]: Dataset scripts are no longer"):
        get_dataset("sick", {"format": "hub", "path": str(main)}, ["en"]).load("en", "en")


def test_hub_ids_plan_offline_from_the_static_facts(monkeypatch):
    import datasets

    def no_network(*args, **kwargs):
        raise AssertionError("planning asked the hub")

    monkeypatch.setattr(datasets, "get_dataset_config_names", no_network)
    monkeypatch.setattr(datasets, "load_dataset", no_network)
    sts17 = get_dataset("sts17", {"format": "hub", "path": "mteb/sts17-crosslingual-sts",
                                  "revision": "refs/convert/parquet", "data_files": "{config}/{split}/*.parquet"},
                        ["en", "de", "ko", "nl"])
    assert [u.name for u in sts17.units()] == ["en", "ko", "de-en", "en-nl"]
    str24 = get_dataset("str24", {"format": "hub", "path": "SemRel/SemRel2024"}, ["en", "es", "am", "ar"])
    # SemRel2024's Spanish test labels are all -1: left out, named; arb is Standard Arabic
    assert [u.name for u in str24.units()] == ["am", "ar", "en"]
    assert ("esp", "test labels are placeholders on the hub (all -1); left out") in str24.skipped()
    assert [u.name for u in get_dataset("str24", {"format": "hub", "path": "SemRel/SemRel2024", "split": "dev"},
                                        ["es"]).units()] == ["es"]
    restricted = get_dataset("str24", {"format": "hub", "path": "SemRel/SemRel2024", "languages": ["en", "am"]},
                             ["en", "am", "ar"])
    assert [u.name for u in restricted.units()] == ["am", "en"]
    assert ("ar", "not among str24's languages in the config") in restricted.skipped()
    with pytest.raises(DataSourceError, match=r"'someone/sts' is not among the supported evaluation hub sets"):
        get_dataset("sts17", {"format": "hub", "path": "someone/sts"}, ["en"])
    with pytest.raises(DataSourceError, match=r"RobZamp/sick' loads only with revision: 'refs/convert/parquet'"):
        get_dataset("sick", {"format": "hub", "path": "RobZamp/sick"}, ["en"])


def test_hub_id_loads_with_its_revision_and_data_files(monkeypatch):
    import datasets

    calls = []

    class Table:
        column_names = ["id", "sentence_A", "sentence_B", "relatedness_score"]

        def __len__(self):
            return 1

        def select_columns(self, names):
            return self

        def to_dict(self):
            return {"id": [1], "sentence_A": ["A."], "sentence_B": ["B."], "relatedness_score": [3.0]}

    monkeypatch.setattr(datasets, "load_dataset", lambda path, **kw: calls.append((path, kw)) or Table())
    spec = {"format": "hub", "path": "RobZamp/sick", "revision": "refs/convert/parquet",
            "data_files": "{config}/{split}/*.parquet"}
    assert get_dataset("sick", spec, ["en"]).load("en", "en").s1 == ["A."]
    assert calls == [("RobZamp/sick", {"split": "test", "revision": "refs/convert/parquet",
                                       "data_files": {"test": "default/test/*.parquet"}})]


def test_stsb_hub_layout_with_korsts_dev_split(tmp_path):
    # PhilipMay/stsb_multi_mt: a config per language, splits test/dev, similarity_score
    names = ("sentence1", "sentence2", "similarity_score")
    spec = hub_repo(tmp_path / "stsb", {
        "en": {"test": pairs(("A.", "B.", 1.0), names=names), "dev": pairs(("Dev A.", "Dev B.", 2.0), ("C.", "D.", 3.0), names=names)},
        "de": {"test": pairs(("A-de.", "B-de.", 1.0), names=names), "dev": pairs(("Dev A-de.", "Dev B-de.", 2.0), ("C-de.", "D-de.", 3.0), names=names)},
    })
    # dkoterwa/kor-sts: one default config, splits train/valid/test
    spec["korsts"] = hub_repo(tmp_path / "korsts", {"default": {
        "test": pairs(("가.", "나.", 1.0)), "valid": pairs(("다.", "라.", 2.0), ("마.", "바.", 3.0))}})
    spec["split"] = "dev"
    ds = get_dataset("stsb", spec, ["en", "de", "ko"])
    assert ds.load("ko", "de").s1 == ["다.", "마."] and ds.load("ko", "de").s2 == ["Dev B-de.", "D-de."]
    np.testing.assert_allclose(ds.load("en", "ko").scores, [2.0, 3.0])


def sts_benchmark_main(root, splits: dict):
    """mteb/stsbenchmark-sts@main: a 22-byte README.md without configs and
    {train,validation,test}.jsonl.gz, so datasets builds one default config."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("---\nlanguage: en\n---\n")
    for split, rows in splits.items():
        (root / f"{split}.jsonl.gz").write_bytes(gzip.compress(
            "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")))
    return {"format": "hub", "path": str(root)}


def test_stsb_english_sts_benchmark_with_korsts_copies(tmp_path):
    spec = sts_benchmark_main(tmp_path / "stsbenchmark-sts", {
        "test": pairs(("A.", "B.", 1.0), ("C.", "D.", 3.0), ("E.", "F.", 5.0)),
        "validation": pairs(("Dev A.", "Dev B.", 2.0))})
    # dkoterwa/kor-sts@main: data/{train,valid,test}-00000-of-00001-<hash>.parquet, one row dropped
    korsts = hub_repo(tmp_path / "kor-sts", {"default": {"test": pairs(("가.", "나.", 1.0), ("마.", "바.", 5.0)),
                                                          "valid": pairs(("다.", "라.", 2.0))}},
                      layout="data/{split}-00000-of-00001-e9caeffeac0347f8.parquet")
    ds = get_dataset("stsb", dict(spec, korsts=korsts), ["en", "ko"])
    assert [u.name for u in ds.units()] == ["en", "ko", "en-ko"]
    assert ds.load("en", "en").s1 == ["A.", "C.", "E."]
    with pytest.raises(DataFormatError, match=r"kor-sts has 2 rows but .*stsbenchmark-sts\[default\] has 3"):
        ds.load("ko", "en")
    dev = get_dataset("stsb", dict(spec, korsts=korsts, split="dev"), ["en", "ko"])
    assert dev.load("ko", "en").s2 == ["Dev B."]  # validation / valid
    # the hub id itself is refused while planning, naming the raw KakaoBrain files instead
    with pytest.raises(DataSourceError, match=r"dkoterwa/kor-sts: its test split has 1376 rows.*KorNLUDatasets"):
        get_dataset("stsb", dict(spec, korsts={"format": "hub", "path": "dkoterwa/kor-sts"}), ["en", "ko"])


def test_stsb_hub_language_with_a_row_missing_fails_naming_both_configs(tmp_path):
    names = ("sentence1", "sentence2", "similarity_score")
    spec = hub_repo(tmp_path / "stsb", {
        "en": {"test": pairs(("A.", "B.", 1.0), ("C.", "D.", 3.0), names=names)},
        "de": {"test": pairs(("C-de.", "D-de.", 3.0), names=names)},
    })
    ds = get_dataset("stsb", spec, ["en", "de"])
    assert ds.local_files(["de"]) == [str(tmp_path / "stsb")]  # the local copy is the jobs' input
    with pytest.raises(DataFormatError, match=r"stsb\[de\] has 1 rows but .*stsb\[en\] has 2"):
        ds.load("de", "en")


def test_sick_hub_english_with_raw_translations(tmp_path):
    # RobZamp/sick@refs/convert/parquet: default/{train,validation,test}/0000.parquet, key column "id"
    names = ("id", "sentence_A", "sentence_B", "relatedness_score")
    spec = parquet_branch(tmp_path / "sick", {"default": {
        "test": pairs(("4", "Boys play.", "No boy.", 3.6), ("7", "Dogs run.", "A dog.", 2.0), names=names)}})
    # OpenCENIA/Spanish-Sentence-Evaluation: data/senteval/SICK/SICK_test.txt, pair 7 missing
    es = tmp_path / "Spanish-Sentence-Evaluation" / "data" / "senteval" / "SICK"
    es.mkdir(parents=True)
    (es / "SICK_test.txt").write_text("pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgement\n"
                                      "4\tNiños juegan.\tNingún niño.\t3.6\tNEUTRAL\n", encoding="utf-8")
    spec["translations"] = {"es": {"path": str(es.parents[2])}}
    ds = get_dataset("sick", spec, ["en", "es"])
    assert ds.load("en", "en").s1 == ["Boys play.", "Dogs run."]
    with pytest.raises(DataFormatError, match=r"1 of 2 pair_IDs of en .* are not in es"):
        ds.load("es", "en")


def test_str24_hub_layout_maps_semrel_codes(tmp_path):
    # SemRel/SemRel2024@main: <code>/<split>-*.parquet with configs in the card; esp's test
    # labels are all -1 (withheld), its dev labels are real
    names = ("sentence1", "sentence2", "label")
    spec = hub_repo(tmp_path / "semrel", {
        "eng": {"test": pairs(("It is good.", "It is fine.", 0.8), names=names),
                "dev": pairs(("Good.", "Fine.", 0.9), names=names)},
        "esp": {"test": pairs(("Es bueno.", "Está bien.", -1.0), names=names),
                "dev": pairs(("Es bueno.", "Está bien.", 0.7), names=names)},
        "arq": {"test": pairs(("x", "y", 0.1), names=names)},
    }, layout="{config}/{split}-00000-of-00001.parquet")
    dev = get_dataset("str24", dict(spec, split="dev"), ["en", "es"])
    assert [u.name for u in dev.units()] == ["en", "es"] and list(dev.load("es", "es").scores) == [0.7]
    ds = get_dataset("str24", spec, ["en", "es"])
    assert "arq" in [item for item, _ in ds.skipped()]  # not configured (or unknown, by the registry)
    # a local copy has no facts to leave esp out by: its placeholder labels fail, named
    with pytest.raises(DataFormatError, match=r"semrel\[esp/test\] row 0: score -1.0 outside the set's scale 0-1"):
        ds.load("es", "es")


def test_bitext_sib_and_belebele_hub_layouts(tmp_path):
    # openlanguagedata/flores_plus: devtest/<code>.parquet, column text, Chinese is cmn_Hans
    flores_plus = hub_repo(tmp_path / "flores_plus", {
        "eng_Latn": {"devtest": [{"text": "One."}]}, "fra_Latn": {"devtest": [{"text": "Un."}]},
        "cmn_Hans": {"devtest": [{"text": "一。"}]}}, layout="{split}/{config}.parquet")
    assert get_dataset("flores", flores_plus, ["en", "fr"]).load("en", "fr") == (["One."], ["Un."])
    assert get_dataset("flores", flores_plus, ["en", "zh"]).load("zh", "en") == (["一。"], ["One."])
    # facebook/flores@994d4cd: <code>/{dev,devtest}-00000-of-00001.parquet, column sentence, Chinese zho_Hans
    meta = {"URL": "https://en.wikinews.org/wiki/x", "domain": "wikinews", "topic": "health", "has_image": 0,
            "has_hyperlink": 0}
    flores200 = hub_repo(tmp_path / "flores", {
        code: {split: [{"id": 1, **meta, "sentence": f"{sentence} ({split})"}] for split in ("dev", "devtest")}
        for code, sentence in (("eng_Latn", "One."), ("zho_Hans", "一。"))}, layout="{config}/{split}-00000-of-00001.parquet")
    assert get_dataset("flores", flores200, ["en", "zh"]).load("zh", "en") == (["一。 (devtest)"], ["One. (devtest)"])
    assert get_dataset("flores", dict(flores200, split="dev"), ["en", "zh"]).load("en", "zh") == (
        ["One. (dev)"], ["一。 (dev)"])

    # mteb/tatoeba-bitext-mining@main: test/<xxx>-eng.jsonl.gz with configs in its card
    tatoeba = hub_repo(tmp_path / "tatoeba", {"cmn-eng": {"test": pairs(("你好。", "Hello."), names=("sentence1", "sentence2"))}},
                       layout="{split}/{config}.jsonl.gz")
    assert get_dataset("tatoeba", tatoeba, ["en", "zh"]).load("zh", "en") == (["你好。"], ["Hello."])

    # Davlan/sib200@main: a config per FLORES-200 code in its card (file layout not read: generic here)
    rows = lambda split: [{"index_id": 1, "category": "sports", "text": f"A ball ({split})."}]  # noqa: E731
    sib = hub_repo(tmp_path / "sib", {c: {s: rows(s) for s in ("train", "validation", "test")} for c in ("eng_Latn", "deu_Latn")})
    ds = get_dataset("sib", dict(sib, split="dev"), ["en", "de"])
    assert ds.load("de", "dev") == (["A ball (validation)."], ["sports"])
    assert [u.name for u in ds.units()] == ["de", "en", "de-en"]

    record = {"flores_passage": "Tom has a cat.", "question": "What has Tom?", "mc_answer1": "a dog",
              "mc_answer2": "a cat", "mc_answer3": "a cow", "mc_answer4": "a fox", "correct_answer_num": "2"}
    belebele = hub_repo(tmp_path / "belebele", {"eng_Latn": {"test": [record]}}, layout="data/{config}.jsonl")
    passages, options, correct = get_dataset("belebele", belebele, ["en"]).mcqa_texts("en")
    assert passages == ["Tom has a cat."] and options[0][1] == "What has Tom? a cat" and list(correct) == [1]


def test_hub_errors_name_the_dataset_and_row(tmp_path):
    bad = hub_repo(tmp_path / "bad", {"en": {"test": pairs(("A.", "B.", "1.0"), ("C.", "D.", "high"),
                                                           names=("sentence1", "sentence2", "similarity_score"))}})
    with pytest.raises(DataFormatError, match=r"bad\[en/test\] row 1: score 'high' is not a number"):
        get_dataset("stsb", bad, ["en"]).load("en", "en")
    wrong_columns = hub_repo(tmp_path / "wrong", {"en": {"test": pairs(("A.", "B.", 1.0), names=("sentence1", "sentence2", "label"))}})
    with pytest.raises(DataFormatError, match="no column 'similarity_score' or 'score'"):
        get_dataset("stsb", wrong_columns, ["en"]).load("en", "en")
    with pytest.raises(DataSourceError, match="no-such-repo' is not among the supported evaluation hub sets"):
        get_dataset("flores", {"format": "hub", "path": str(tmp_path / "no-such-repo")}, ["en"])
    no_card = tmp_path / "no-card"
    no_card.mkdir()
    with pytest.raises(DataSourceError, match="cannot list the configs"):
        get_dataset("flores", {"format": "hub", "path": str(no_card)}, ["en"])
