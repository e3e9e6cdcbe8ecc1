"""STS/STR readers on tiny raw files written here, in the published layouts."""

from __future__ import annotations

import numpy as np
import pytest

from modsent.evaldata import DataFormatError, DataSourceError, get_dataset


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- STS17
@pytest.fixture
def sts17_dir(tmp_path):
    d = tmp_path / "sts17"
    write(d / "STS.input.track5.en-en.txt", "A man sits.\tA man is sitting.\t4.8\nA dog runs.\tA cat sleeps.\t0.4\n")
    write(d / "STS.gs.track5.en-en.txt", "4.8\n0.4\n")
    write(d / "STS.input.extended.de-en.txt", "A man sits.\tEin Mann sitzt.\t4.8\nA dog runs.\tEine Katze schläft.\t0.4\n")
    write(d / "STS.input.extended.fr-en.txt", "Un homme est assis.\tA man is sitting.\t4.8\nUn chien court.\tA cat sleeps.\t0.4\n")
    # tr-en: 4 inputs, the gold covers the first 2; English in column 1
    write(d / "STS.input.track6.tr-en.txt",
          "A boy.\tBir çocuk.\t1.0\nA girl.\tBir kız.\t2.0\nExtra.\tFazla.\t\nMore.\tDaha.\t\n")
    write(d / "STS.gs.track6.tr-en.txt", "1.0\n2.0\n")
    write(d / "STS.input.track2.ar-en.txt", "Two men.\tرجلان.\t3.0\n")
    write(d / "STS.gs.track2.ar-en.txt", "3.0\n")
    return d


def test_sts17_units_directions_and_extended_combinations(sts17_dir):
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "de", "fr", "tr", "ko"])
    assert [u.name for u in ds.units()] == ["en", "de-en", "de-fr", "en-fr", "en-tr"]
    assert ds.directions(ds.unit("de-fr")) == [("fr", "de")]  # first sentences French, second German
    data = ds.load("fr", "de")
    assert data.s1 == ["Un homme est assis.", "Un chien court."]
    assert data.s2 == ["Ein Mann sitzt.", "Eine Katze schläft."]
    np.testing.assert_allclose(data.scores, [4.8, 0.4])
    assert ds.directions(ds.unit("en-tr")) == [("en", "tr")]
    assert ds.load("en", "tr").s2 == ["Bir çocuk.", "Bir kız."]  # gold = first 2 of 4 inputs
    assert ds.multi_parallel and ds.bilingual_directions() == [("en", "de"), ("fr", "de"), ("fr", "en")]
    assert ("ko", "not in sts17") in ds.skipped() and ("ar", "not configured") in ds.skipped()
    assert ds.texts("en") == ["A man sits.", "A dog runs.", "A man is sitting.", "A cat sleeps.", "A boy.", "A girl."]


def test_sts17_malformed_rows_name_file_and_line(sts17_dir):
    write(sts17_dir / "STS.gs.track2.ar-en.txt", "three\n")
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "ar"])
    with pytest.raises(DataFormatError, match=r"STS\.gs\.track2\.ar-en\.txt:1: score 'three' is not a number"):
        ds.load("en", "ar")
    write(sts17_dir / "STS.input.extended.de-en.txt", "A man sits.\tEin Mann sitzt.\t4.8\nonly one column\n")
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "de"])
    with pytest.raises(DataFormatError, match=r"STS\.input\.extended\.de-en\.txt:2: expected 2 or 3"):
        ds.load("en", "de")


def test_sts17_missing_folder_and_dev_split_fail(tmp_path, sts17_dir):
    with pytest.raises(DataSourceError, match="data folder not found: .*nowhere"):
        get_dataset("sts17", {"path": str(tmp_path / "nowhere")}, ["en"])
    with pytest.raises(DataSourceError, match="only a test split"):
        get_dataset("sts17", {"path": str(sts17_dir), "split": "dev"}, ["en"])


# --------------------------------------------------------------------------- STS-B family
@pytest.fixture
def stsb_dirs(tmp_path):
    main = tmp_path / "stsb"
    write(main / "stsb-en-test.csv",
          'A girl is styling her hair.,A girl is brushing her hair.,2.5\n'
          '"Yes, it is ""true"".",It is false.,0.4\n'
          'A man cuts wood.,A man chops wood.,4.8\n')
    write(main / "stsb-de-test.csv",
          'Ein Mädchen frisiert sich.,Ein Mädchen bürstet sich.,2.5\n'
          '"Ja, es stimmt.",Es ist falsch.,0.4\n'
          'Ein Mann hackt Holz.,Ein Mann spaltet Holz.,4.8\n')
    korsts = tmp_path / "korsts"
    write(korsts / "sts-test.tsv", "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\n"
          'main-captions\tMSRvid\t2012test\t0024\t2.500\t한 소녀가 "머리"를 한다.\t소녀가 빗는다.\n'
          "main-forum\tdeft\t2014\t0001\t0.400\t네.\t아니다.\n"
          "main-news\theadlines\t2015\t0002\t4.800\t남자가 나무를 자른다.\t남자가 장작을 팬다.\n")
    kardes = tmp_path / "kardes"
    # BOM, CRLF, empty first header cell; English originals with a quote edit; one row not in STS-B
    write(kardes / "sts.test.ug.csv",
          "\ufeff,sentence1,sentence2,score,s1_translation,s2_translation\r\n"
          '7,"Yes, it is true.",It is false.,0.4,Һә,Яқ\r\n'
          "9,Unknown sentence.,Not in STS-B.,1.0,Уйғур,Үрүмчи\r\n"
          "3,A man cuts wood.,A man chops wood.,4.8,Қәшқәр,мәктәп\r\n")
    return main, korsts, kardes


def test_stsb_joins_korsts_and_kardes_on_sts_b_rows(stsb_dirs):
    main, korsts, kardes = stsb_dirs
    spec = {"path": str(main), "korsts": {"path": str(korsts)}, "kardes": {"path": str(kardes)}}
    ds = get_dataset("stsb", spec, ["en", "de", "ko", "ug"])
    assert ds.languages() == ["en", "de", "ko", "ug"]
    assert ds.directions(ds.unit("ko-ug")) == [("ko", "ug"), ("ug", "ko")]
    cross = ds.load("ko", "ug")  # the rows both have: STS-B rows 1 and 2
    assert cross.s1 == ["네.", "남자가 나무를 자른다."]
    assert cross.s2 == ["ياق", "مەكتەپ"]  # Uyghur converted to Arabic script
    np.testing.assert_allclose(cross.scores, [0.4, 4.8])
    assert ds.load("de", "de").s1[1] == "Ja, es stimmt."  # CSV quoting
    assert ds.load("ko", "ko").s1[0] == '한 소녀가 "머리"를 한다.'  # KorSTS quotes are text
    assert ("ug", "1 of 3 Kardeş-NLU rows not found in STS-B; left out") in ds.skipped()
    assert len(ds.bilingual_directions()) == 12


def test_korsts_out_of_sts_b_order_fails(stsb_dirs):
    main, korsts, _ = stsb_dirs
    write(korsts / "sts-test.tsv", "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\n"
          "g\tf\ty\t1\t0.400\ta\tb\ng\tf\ty\t2\t2.500\tc\td\ng\tf\ty\t3\t4.800\te\tf\n")
    ds = get_dataset("stsb", {"path": str(main), "korsts": {"path": str(korsts)}}, ["en", "ko"])
    with pytest.raises(DataFormatError, match=r"sts-test\.tsv:2: KorSTS score 0\.4 differs from STS-B row 0"):
        ds.load("en", "ko")


def test_stsb_malformed_row_and_missing_sub_source(stsb_dirs, tmp_path):
    main, _, _ = stsb_dirs
    write(main / "stsb-fr-test.csv", "Une fille.,Une fille.,2.5\nUn homme.,Un homme.,high\n")
    ds = get_dataset("stsb", {"path": str(main)}, ["fr"])
    with pytest.raises(DataFormatError, match=r"stsb-fr-test\.csv:2: score 'high' is not a number"):
        ds.load("fr", "fr")
    write(main / "stsb-fr-test.csv", "Une fille.,Une fille.\n")
    ds = get_dataset("stsb", {"path": str(main)}, ["fr"])
    with pytest.raises(DataFormatError, match=r"stsb-fr-test\.csv:1: expected 3 columns, found 2"):
        ds.load("fr", "fr")
    with pytest.raises(DataSourceError, match=r"data file not found: .*sts-test\.tsv"):
        get_dataset("stsb", {"path": str(main), "korsts": {"path": str(tmp_path)}}, ["ko"])
    with pytest.raises(DataSourceError, match="not on the hub"):
        get_dataset("stsb", {"path": str(main), "kardes": {"format": "hub", "path": "x/y"}}, ["kk"])


# --------------------------------------------------------------------------- SICK
SICK_12 = ("pair_ID\tsentence_A\tsentence_B\tentailment_label\trelatedness_score\tentailment_AB\tentailment_BA\t"
           "sentence_A_original\tsentence_B_original\tsentence_A_dataset\tsentence_B_dataset\tSemEval_set\r\n")


def sick_12_row(pair_id, a, b, score, semeval="TEST"):
    return f"{pair_id}\t{a}\t{b}\tNEUTRAL\t{score}\tA_neutral_B\tB_neutral_A\t{a}\t{b}\tFLICKR\tFLICKR\t{semeval}\r\n"


@pytest.fixture
def sick_dir(tmp_path):
    d = tmp_path / "sick"
    write(d / "en" / "SICK_test_annotated.txt",
          SICK_12 + sick_12_row(4, "Boys play.", "No boy plays.", 3.6) + sick_12_row(7, "A dog runs.", "A dog sleeps.", 2.0))
    write(d / "pl" / "SICK_test.txt", "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
          "7\tPies biegnie.\tPies śpi.\t2.0\tNEUTRAL\n4\tChłopcy grają.\tNie ma chłopca.\t3.6\tCONTRADICTION\n")
    # a full SICK.txt: the split is chosen by its SemEval_set column
    write(d / "nl" / "SICK_NL.txt", SICK_12 + sick_12_row(4, "Jongens spelen.", "Geen jongen.", 3.6)
          + sick_12_row(5, "Training.", "Trainen.", 1.0, semeval="TRAIN"))
    write(d / "notes" / "readme.txt", "not a language\n")
    return d


def test_sick_layouts_joined_on_pair_id(sick_dir):
    ds = get_dataset("sick", {"path": str(sick_dir)}, ["en", "pl", "nl"])
    assert ds.task == "str"
    data = ds.load("pl", "en")
    assert data.s1 == ["Pies biegnie.", "Chłopcy grają."] and data.s2 == ["A dog sleeps.", "No boy plays."]
    assert ds.load("nl", "nl").s1 == ["Jongens spelen."]
    assert ds.load("en", "nl").s2 == ["Geen jongen."]
    assert ("notes", "unknown language code in the source") in ds.skipped()


def test_sick_dev_split_and_missing_split_file(sick_dir):
    write(sick_dir / "en" / "SICK_trial.txt", SICK_12 + sick_12_row(1, "Trial.", "Trial two.", 4.0, "TRIAL"))
    ds = get_dataset("sick", {"path": str(sick_dir), "split": "dev"}, ["en", "pl"])
    assert ds.load("en", "en").s1 == ["Trial."]
    assert ds.languages() == ["en"]
    assert any(item == "pl" and "no SICK dev file" in reason for item, reason in ds.skipped())


def test_sick_translations_key_adds_a_language(sick_dir, tmp_path):
    es = write(tmp_path / "es_sick" / "SICK_test.txt",
               "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgement\n"
               "4\tNiños juegan.\tNingún niño.\t3.6\tCONTRADICTION\n").parent
    ds = get_dataset("sick", {"path": str(sick_dir), "translations": {"spa": {"path": str(es)}}}, ["en", "es"])
    assert ds.load("es", "en").s1 == ["Niños juegan."]


# --------------------------------------------------------------------------- STR 2024
def test_str24_splits_text_and_strips_file_wide_quotes(tmp_path):
    d = tmp_path / "str"
    write(d / "mar_test_with_labels.csv", 'PairID,Text,Score\nMAR-1,"""पहिले.""\n""दुसरे.""",0.5\n'
          'MAR-2,"""तिसरे.""\n""चौथे.""",0.25\n')
    write(d / "eng_test_with_labels.csv", 'PairID,Text,Score\nENG-1,"""Quoted,"" he said.\nPlain.",0.7\n')
    ds = get_dataset("str24", {"path": str(d)}, ["mr", "en", "am"])
    assert [u.name for u in ds.units()] == ["en", "mr"]
    mar = ds.load("mr", "mr")
    assert mar.s1 == ["पहिले.", "तिसरे."] and mar.s2 == ["दुसरे.", "चौथे."]
    assert ds.load("en", "en").s1 == ['"Quoted," he said.']  # not every sentence quoted: kept
    assert ("am", "not in str24") in ds.skipped()


def test_str24_text_without_two_lines_fails_with_its_first_line(tmp_path):
    d = tmp_path / "str"
    write(d / "eng_dev_with_labels.csv", 'PairID,Text,Score\nE1,"a\nb",0.1\nE2,"one\ntwo\nthree",0.2\n')
    ds = get_dataset("str24", {"path": str(d), "split": "dev"}, ["en"])
    with pytest.raises(DataFormatError, match=r"eng_dev_with_labels\.csv:4: Text must be two sentences"):
        ds.load("en", "en")
