"""Evaluation data integrity: row-parallel and line-aligned files are checked by count,
empty files and out-of-scale values are errors naming the file, and every dataset lists
the local files it reads (the workflow makes them inputs of the jobs that read them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modsent.evaldata import DataFormatError, get_dataset
from modsent.evaluation.texts import texts_job


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- STS17
@pytest.fixture
def sts17_dir(tmp_path):
    d = tmp_path / "sts17"
    write(d / "STS.input.track1.ar-ar.txt", "أ.\tب.\t1.0\nج.\tد.\t2.0\nه.\tو.\t3.0\n")
    write(d / "STS.gs.track1.ar-ar.txt", "1.0\n2.0\n3.0\n")
    # tr-en as published: the gold covers the scored pairs; the rest have an empty score column
    write(d / "STS.input.track6.tr-en.txt", "A boy.\tBir çocuk.\t1.0\nA girl.\tBir kız.\t2.0\nExtra.\tFazla.\t\n")
    write(d / "STS.gs.track6.tr-en.txt", "1.0\n2.0\n")
    return d


def test_sts17_gold_one_line_short_fails_naming_both_files_and_counts(sts17_dir):
    write(sts17_dir / "STS.gs.track1.ar-ar.txt", "1.0\n2.0\n")
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["ar"])
    with pytest.raises(DataFormatError, match=r"STS\.gs\.track1\.ar-ar\.txt: 2 scores but .*"
                                              r"STS\.input\.track1\.ar-ar\.txt has 3 pairs"):
        ds.load("ar", "ar")


def test_sts17_tr_en_unscored_tail_is_the_only_exception(sts17_dir):
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "tr"])
    assert ds.load("en", "tr").s2 == ["Bir çocuk.", "Bir kız."]  # the published quirk keeps working
    write(sts17_dir / "STS.gs.track6.tr-en.txt", "1.0\n")  # now a scored pair has no gold
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "tr"])
    with pytest.raises(DataFormatError, match=r"STS\.gs\.track6\.tr-en\.txt: 1 scores but .*"
                                              r"STS\.input\.track6\.tr-en\.txt has 3 pairs.*line 2 has a score"):
        ds.load("en", "tr")


# --------------------------------------------------------------------------- STS-B
@pytest.fixture
def stsb_dir(tmp_path):
    d = tmp_path / "stsb"
    write(d / "stsb-en-test.csv", "A girl.,A girl brushes.,2.5\nA man.,A man cuts.,4.8\nA dog.,A cat.,0.4\n")
    write(d / "stsb-de-test.csv", "Ein Mädchen.,Ein Mädchen bürstet.,2.5\nEin Mann.,Ein Mann schneidet.,4.8\n"
                                  "Ein Hund.,Eine Katze.,0.4\n")
    return d


def test_stsb_row_missing_in_one_language_fails_naming_both_files(stsb_dir):
    write(stsb_dir / "stsb-de-test.csv", "Ein Mädchen.,Ein Mädchen bürstet.,2.5\nEin Hund.,Eine Katze.,0.4\n")
    ds = get_dataset("stsb", {"path": str(stsb_dir)}, ["en", "de"])
    with pytest.raises(DataFormatError, match=r"stsb-de-test\.csv has 2 rows but .*stsb-en-test\.csv has 3"):
        ds.load("en", "de")
    with pytest.raises(DataFormatError, match=r"stsb-de-test\.csv has 2 rows"):
        ds.load("de", "de")  # the texts job of de would fail too, before any training


def test_empty_stsb_file_fails_instead_of_nan(stsb_dir):
    write(stsb_dir / "stsb-de-test.csv", "")
    ds = get_dataset("stsb", {"path": str(stsb_dir)}, ["en", "de"])
    with pytest.raises(DataFormatError, match=r"stsb-de-test\.csv: empty file"):
        ds.load("de", "de")


# --------------------------------------------------------------------------- values out of range
SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"


@pytest.mark.parametrize("name, files, lang, where, value", [
    ("stsb", {"stsb-en-test.csv": "A.,B.,2.0\nC.,D.,5.2\n"}, "en", "stsb-en-test.csv:2", "5.2"),
    ("sick", {"en/SICK_test.txt": SICK_HEADER + "1\tA.\tB.\t3.0\tNEUTRAL\n2\tC.\tD.\t0.5\tNEUTRAL\n"},
     "en", "SICK_test.txt:3", "0.5"),
    ("str24", {"eng_test_with_labels.csv": 'PairID,Text,Score\nE1,"A.\nB.",0.5\nE2,"C.\nD.",1.5\n'},
     "en", "eng_test_with_labels.csv:4", "1.5"),
    ("sts17", {"STS.input.track5.en-en.txt": "A.\tB.\nC.\tD.\n", "STS.gs.track5.en-en.txt": "4.0\n-1\n"},
     "en", "STS.gs.track5.en-en.txt:2", "-1.0"),
    ("sts17", {"STS.input.extended.de-en.txt": "A.\tB.\t4.0\nC.\tD.\tnan\n"},
     "de", "STS.input.extended.de-en.txt:2", "nan"),
])
def test_score_outside_the_scale_fails_naming_file_line_and_value(tmp_path, name, files, lang, where, value):
    for rel, content in files.items():
        write(tmp_path / name / rel, content)
    ds = get_dataset(name, {"path": str(tmp_path / name)}, [lang, "en"])
    direction = ds.directions(ds.units()[0])[0]
    with pytest.raises(DataFormatError, match=rf"{where.replace('.', '[.]')}: score {value} outside"):
        ds.load(*direction)


def _sib(d: Path, code: str, labels: str | None, rows: str):
    for split in ("train", "test", "dev"):
        write(d / code / f"{split}.tsv", "index_id\tcategory\ttext\n" + rows)
    if labels is not None:
        write(d / code / "labels.txt", labels)


def test_sib_label_not_in_its_label_list_fails(tmp_path):
    d = tmp_path / "sib"
    _sib(d, "eng_Latn", "home\ntown\n", "1\thome\tA house.\n2\tnature\tA tree.\n")
    ds = get_dataset("sib", {"path": str(d)}, ["en"])
    with pytest.raises(DataFormatError, match=r"eng_Latn/train\.tsv:3: category 'nature' is not .*labels\.txt"):
        ds.load("en", "train")
    # without labels.txt: the published SIB-200 topics
    _sib(d, "deu_Latn", None, "1\tsports\tEin Ball.\n2\tsport\tEin Tor.\n")
    ds = get_dataset("sib", {"path": str(d)}, ["de"])
    with pytest.raises(DataFormatError, match=r"deu_Latn/train\.tsv:3: category 'sport' is not a SIB-200 topic"):
        ds.load("de", "train")


# --------------------------------------------------------------------------- bitext, Belebele
def test_flores_misalignment_fails_when_texts_are_extracted(tmp_path):
    d = tmp_path / "flores"
    write(d / "eng_Latn.devtest", "One.\nTwo.\nThree.\n")
    write(d / "deu_Latn.devtest", "Eins.\nZwei.\n")
    spec = {"format": "raw", "path": str(d)}
    for lang in ("de", "en"):
        with pytest.raises(DataFormatError, match=r"deu_Latn\.devtest has 2 lines but .*eng_Latn\.devtest has 3"):
            texts_job("flores", spec, lang, tmp_path / f"{lang}.txt")


def test_tatoeba_misalignment_fails_when_texts_are_extracted(tmp_path):
    d = tmp_path / "tatoeba"
    write(d / "tatoeba.deu-eng.deu", "Hallo.\nDanke.\n")
    write(d / "tatoeba.deu-eng.eng", "Hello.\n")
    with pytest.raises(DataFormatError, match=r"tatoeba\.deu-eng\.deu has 2 lines but .*tatoeba\.deu-eng\.eng has 1"):
        texts_job("tatoeba", {"format": "raw", "path": str(d)}, "en", tmp_path / "en.txt")


def test_empty_belebele_file_fails_naming_it(tmp_path):
    d = tmp_path / "belebele"
    write(d / "eng_Latn.jsonl", "\n")
    with pytest.raises(DataFormatError, match=r"eng_Latn\.jsonl: empty file"):
        texts_job("belebele", {"format": "raw", "path": str(d)}, "en", tmp_path / "en.txt")


# --------------------------------------------------------------------------- local files
def test_datasets_list_the_local_files_of_a_language(tmp_path, sts17_dir, stsb_dir):
    flores = tmp_path / "flores"
    for code in ("eng_Latn", "deu_Latn", "fra_Latn"):
        write(flores / f"{code}.devtest", "One.\n")
    ds = get_dataset("flores", {"path": str(flores)}, ["en", "de"])
    assert ds.local_files(["de"]) == [str(flores / "deu_Latn.devtest")]
    assert ds.local_files(["de", "en"]) == [str(flores / f"{c}.devtest") for c in ("deu_Latn", "eng_Latn")]
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "tr"])
    assert ds.local_files(["tr"]) == [str(sts17_dir / f) for f in ("STS.gs.track6.tr-en.txt",
                                                                   "STS.input.track6.tr-en.txt")]
    # a positional STS-B language is checked against the English file, so it reads both
    ds = get_dataset("stsb", {"path": str(stsb_dir)}, ["en", "de"])
    assert ds.local_files(["de"]) == [str(stsb_dir / f) for f in ("stsb-de-test.csv", "stsb-en-test.csv")]


def test_a_hub_source_lists_its_local_copy_and_a_hub_id_nothing(tmp_path):
    from modsent.evaldata.base import Source

    (tmp_path / "flores_plus").mkdir()
    assert Source("hub", str(tmp_path / "flores_plus"), "test").hub_copy() == [tmp_path / "flores_plus"]
    assert Source("hub", "openlanguagedata/flores_plus", "test").hub_copy() == []


def test_belebele_sib_tatoeba_list_their_files(tmp_path):
    bel = tmp_path / "belebele"
    write(bel / "eng_Latn.jsonl", json.dumps({}) + "\n")
    assert get_dataset("belebele", {"path": str(bel)}, ["en"]).local_files(["en"]) == [str(bel / "eng_Latn.jsonl")]
    sib = tmp_path / "sib"
    _sib(sib, "eng_Latn", "home\n", "1\thome\tA.\n")
    assert get_dataset("sib", {"path": str(sib)}, ["en"]).local_files(["en"]) == [
        str(sib / "eng_Latn" / f) for f in ("labels.txt", "test.tsv", "train.tsv")]
    tat = tmp_path / "tatoeba"
    write(tat / "tatoeba.deu-eng.deu", "Hallo.\n")
    write(tat / "tatoeba.deu-eng.eng", "Hello.\n")
    files = [str(tat / f) for f in ("tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng")]
    ds = get_dataset("tatoeba", {"path": str(tat)}, ["en", "de"])
    assert ds.local_files(["de"]) == files and ds.local_files(["en"]) == files
