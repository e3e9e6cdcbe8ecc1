"""Bitext, SIB-200 and Belebele readers on tiny raw files, Uyghur transliteration, and the
tiny data shipped in the package."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from modsent.config import default_config_path
from modsent.evaldata import DataFormatError, DataSourceError, get_dataset
from modsent.evaldata.uyghur import cyrillic_to_arabic

REPO = Path(__file__).resolve().parents[1]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- FLORES, Tatoeba
@pytest.fixture
def flores_dir(tmp_path):
    d = tmp_path / "flores"
    write(d / "eng_Latn.devtest", "One.\nTwo.\nThree.\n")
    write(d / "deu_Latn.devtest", "Eins.\nZwei.\nDrei.\n")
    write(d / "fra_Latn.devtest", "Un.\r\nDeux.\r\nTrois.")  # CRLF, no final line break
    write(d / "kor_Hang.devtest", "하나.\n둘.\n셋.\n")
    write(d / "eng_Latn.dev", "Dev one.\n")
    write(d / "deu_Latn.dev", "Dev eins.\n")
    return d


def test_flores_all_pairs_restricted_to_configured(flores_dir):
    ds = get_dataset("flores", {"path": str(flores_dir)}, ["en", "de", "fr", "ru"])
    assert [u.name for u in ds.units()] == ["de-en", "de-fr", "en-fr"]
    assert ds.load("fr", "de") == (["Un.", "Deux.", "Trois."], ["Eins.", "Zwei.", "Drei."])
    assert ("ru", "not in flores") in ds.skipped() and ("ko", "not configured") in ds.skipped()
    assert ds.texts("fr") == ["Un.", "Deux.", "Trois."]
    dev = get_dataset("flores", {"path": str(flores_dir), "split": "dev"}, ["en", "de", "fr"])
    assert [u.name for u in dev.units()] == ["de-en"] and dev.load("en", "de") == (["Dev one."], ["Dev eins."])


def test_flores_unaligned_files_fail(flores_dir):
    write(flores_dir / "deu_Latn.devtest", "Eins.\nZwei.\n")
    ds = get_dataset("flores", {"path": str(flores_dir)}, ["en", "de"])
    with pytest.raises(DataFormatError, match="line-aligned"):
        ds.load("en", "de")


def test_tatoeba_maps_its_codes_and_needs_english(tmp_path):
    d = tmp_path / "tatoeba"
    write(d / "tatoeba.cmn-eng.cmn", "你好。\n谢谢。\n")
    write(d / "tatoeba.cmn-eng.eng", "Hello.\nThanks.\n")
    write(d / "tatoeba.deu-eng.deu", "Hallo.\n")
    write(d / "tatoeba.deu-eng.eng", "Hello.\n")
    ds = get_dataset("tatoeba", {"path": str(d)}, ["en", "zh", "de"])
    assert [u.name for u in ds.units()] == ["de-en", "en-zh"]
    assert ds.load("en", "zh") == (["Hello.", "Thanks."], ["你好。", "谢谢。"])
    assert ds.texts("en") == ["Hello.", "Thanks."]
    no_english = get_dataset("tatoeba", {"path": str(d)}, ["zh"])
    assert no_english.units() == [] and ("zh", "no tatoeba unit among the configured languages") in no_english.skipped()
    (d / "tatoeba.deu-eng.eng").unlink()
    with pytest.raises(DataSourceError, match=r"data file not found: .*tatoeba\.deu-eng\.eng"):
        get_dataset("tatoeba", {"path": str(d)}, ["en"])


# --------------------------------------------------------------------------- SIB-200
@pytest.fixture
def sib_dir(tmp_path):
    d = tmp_path / "sib"
    for code, words in (("eng_Latn", ("ball", "vote")), ("deu_Latn", ("Ball", "Wahl"))):
        for split in ("train", "dev", "test"):
            write(d / code / f"{split}.tsv", "index_id\tcategory\ttext\n"
                  f'1\tsports\t"The {words[0]}, ""{split}"" one."\n2\tpolitics\tA {words[1]} in {split}.\n')
    return d


def test_sib_units_splits_and_texts(sib_dir):
    ds = get_dataset("sib", {"path": str(sib_dir)}, ["en", "de"])
    assert [(u.name, u.setting) for u in ds.units()] == [("de", "mono"), ("en", "mono"), ("de-en", "cross")]
    texts, labels = ds.load("de", "train")
    assert texts == ['The Ball, "train" one.', "A Wahl in train."] and labels == ["sports", "politics"]
    assert ds.texts("de") == ds.load("de", "train")[0] + ds.load("de", "test")[0]
    assert ds.eval_split == "test"
    assert get_dataset("sib", {"path": str(sib_dir), "split": "dev"}, ["en"]).texts("en")[-1] == "A vote in dev."


def test_sib_missing_split_file_fails_when_opened(sib_dir):
    (sib_dir / "deu_Latn" / "test.tsv").unlink()
    with pytest.raises(DataSourceError, match=r"deu_Latn/test\.tsv"):
        get_dataset("sib", {"path": str(sib_dir)}, ["en"])


# --------------------------------------------------------------------------- Belebele
def belebele_record(passage, question, options, correct):
    return json.dumps({"link": "x", "question_number": 1, "flores_passage": passage, "question": question,
                       **{f"mc_answer{i + 1}": o for i, o in enumerate(options)},
                       "correct_answer_num": correct, "dialect": "eng_Latn", "ds": "2023-05-03"})


def test_belebele_question_option_strings(tmp_path):
    d = tmp_path / "belebele"
    write(d / "eng_Latn.jsonl", belebele_record("Tom has\na cat.", "What has Tom?", ["a dog", "a cat", "a cow", "a fox"], "2")
          + "\n")
    ds = get_dataset("belebele", {"path": str(d)}, ["en"])
    passages, options, correct = ds.mcqa_texts("en")
    assert passages == ["Tom has a cat."]
    assert options == [["What has Tom? a dog", "What has Tom? a cat", "What has Tom? a cow", "What has Tom? a fox"]]
    np.testing.assert_array_equal(correct, [1])
    assert ds.texts("en") == passages + options[0]


def test_belebele_bad_answer_and_bad_json_name_the_line(tmp_path):
    d = tmp_path / "belebele"
    good = belebele_record("P.", "Q?", ["a", "b", "c", "d"], "1")
    write(d / "deu_Latn.jsonl", good + "\n" + belebele_record("P.", "Q?", ["a", "b", "c", "d"], "5") + "\n")
    with pytest.raises(DataFormatError, match=r"deu_Latn\.jsonl:2: correct_answer_num '5'"):
        get_dataset("belebele", {"path": str(d)}, ["de"]).load("de")
    write(d / "deu_Latn.jsonl", good + "\n{not json\n")
    with pytest.raises(DataFormatError, match=r"deu_Latn\.jsonl:2: not a JSON object"):
        get_dataset("belebele", {"path": str(d)}, ["de"]).load("de")


# --------------------------------------------------------------------------- common behaviour
def test_unknown_unit_and_unknown_dataset_are_clear(flores_dir):
    ds = get_dataset("flores", {"path": str(flores_dir)}, ["en", "de"])
    with pytest.raises(KeyError, match="no unit 'en-fr'"):
        ds.unit("en-fr")
    with pytest.raises(KeyError, match="unknown evaluation dataset 'xnli'"):
        get_dataset("xnli", {"path": str(flores_dir)}, ["en"])
    with pytest.raises(DataSourceError, match="unknown key"):
        get_dataset("flores", {"path": str(flores_dir), "kardes": {"path": "x"}}, ["en"])


@pytest.mark.parametrize("cyrillic, arabic", [
    ("Уйғур", "ئۇيغۇر"),
    ("Үрүмчи", "ئۈرۈمچى"),
    ("Қәшқәр", "قەشقەر"),
    ("саәт", "سائەت"),  # a vowel after a vowel takes the hamza carrier
    ("ел, яхши?", "ئېل، ياخشى؟"),
    ("2024-йили", "2024-يىلى"),
    # lksenel/Kardes-NLU, sts.dev.ug.csv: Latin letters are converted too, as the paper's converter does
    ("PG&E ниң", "پگ&ئە نىڭ"),
])
def test_uyghur_cyrillic_to_arabic(cyrillic, arabic):
    assert cyrillic_to_arabic(cyrillic) == arabic


def test_tiny_shipped_data_loads_through_the_default_config(monkeypatch):
    monkeypatch.chdir(REPO)  # the default config's paths are relative to the repository root
    config = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    languages = config["languages"]
    for name, spec in config["evaluation"]["datasets"].items():
        ds = get_dataset(name, spec, languages)
        assert ds.languages() == languages, name
        assert [item for item, _ in ds.skipped()] == [], name
        for lang in languages:
            texts = ds.texts(lang)
            assert texts and all("\n" not in t for t in texts), (name, lang)
