"""STS/STR readers on tiny raw files written here, in the published layouts."""

from __future__ import annotations

import shutil

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


def test_sts17_units_directions_and_tracks(sts17_dir):
    ds = get_dataset("sts17", {"path": str(sts17_dir)}, ["en", "de", "fr", "tr", "ko"])
    # Reimers & Gurevych's extended files are their own tracks: no fr-de made from them
    assert [u.name for u in ds.units()] == ["en", "de-en", "en-fr", "en-tr"]
    assert ds.directions(ds.unit("de-en")) == [("en", "de")]  # the file extended.de-en has English first
    data = ds.load("fr", "en")
    assert data.s1 == ["Un homme est assis.", "Un chien court."] and data.s2 == ["A man is sitting.", "A cat sleeps."]
    np.testing.assert_allclose(data.scores, [4.8, 0.4])
    assert ds.directions(ds.unit("en-tr")) == [("en", "tr")]
    assert ds.load("en", "tr").s2 == ["Bir çocuk.", "Bir kız."]  # gold = first 2 of 4 inputs
    assert not ds.multi_parallel  # language bias is STS-B's and SICK's, not STS17's
    assert ("ko", "not in sts17") in ds.skipped() and ("ar", "not configured") in ds.skipped()
    assert ds.texts("en") == ["A man sits.", "A dog runs.", "A man is sitting.", "A cat sleeps.", "A boy.", "A girl."]


HK_SENTENCES = {  # track 5's two pairs in each language, first and second sentences
    "EN": (["A man sits.", "A dog runs."], ["A man is sitting.", "A cat sleeps."]),
    "CS": (["Muž sedí.", "Pes běží."], ["Muž sedí na židli.", "Kočka spí."]),
    "DE": (["Ein Mann sitzt.", "Ein Hund rennt."], ["Ein Mann sitzt da.", "Eine Katze schläft."]),
    "FR": (["Un homme assis.", "Un chien court."], ["Un homme est assis.", "Un chat dort."]),
}


def hercig_kral_zip(path, sentences=HK_SENTENCES, gold="4.8\n0.4\n"):
    """Hercig & Kral (2021)'s dataset.zip as published: a dataset/ folder with one file per
    language and side (one sentence a line, row-parallel) and one gold file."""
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("dataset/STS.2017.gs.track5.first-second.txt", gold)
        for lang, (first, second) in sentences.items():
            z.writestr(f"dataset/STS.2017.input.track5.{lang}.first.txt", "\n".join(first) + "\n")
            z.writestr(f"dataset/STS.2017.input.track5.{lang}.second.txt", "\n".join(second) + "\n")
    return path


def add_it_nl(sts17_dir):
    write(sts17_dir / "STS.input.extended.nl-en.txt", "Een man zit.\tA man is sitting.\t4.8\nEen hond rent.\tA cat sleeps.\t0.4\n")
    write(sts17_dir / "STS.input.extended.it-en.txt", "Un uomo siede.\tA man is sitting.\t4.8\nUn cane corre.\tA cat sleeps.\t0.4\n")


HK_REPOSITORY = "https://gitlab.com/tigi.cz/cross-lingual-sts"


@pytest.mark.parametrize("layout", ["zip", "unpacked", "clone", "clone yet to fetch"])
def test_sts17_hercig_kral_zip_or_folder_gives_app_c2_pairs(sts17_dir, tmp_path, layout):
    import zipfile

    add_it_nl(sts17_dir)
    hk = hercig_kral_zip(tmp_path / "hk" / "dataset.zip")
    spec = {"path": str(hk)}
    if layout == "unpacked":
        zipfile.ZipFile(hk).extractall(tmp_path / "hk")
        hk.unlink()
        hk = tmp_path / "hk"  # the folder holding dataset/
        spec = {"path": str(hk)}
    elif layout == "clone":  # gitlab.com/tigi.cz/cross-lingual-sts: dataset.zip at the clone's root
        hk = tmp_path / "hk"
        spec = {"path": str(hk), "clone_of": HK_REPOSITORY}
    elif layout == "clone yet to fetch":
        hk = tmp_path / "not-yet"
        spec = {"path": str(hk), "clone_of": HK_REPOSITORY}
    langs = ["en", "de", "fr", "cs", "nl", "it", "tr", "ar"]
    ds = get_dataset("sts17", {"path": str(sts17_dir), "hercig_kral": spec}, langs)
    assert set(ds.local_files(["cs"])) >= ({str(hk / "dataset" / "STS.2017.input.track5.CS.first.txt")}
                                           if layout == "unpacked" else {str(hk)})
    assert [u.name for u in ds.units()] == [
        "cs", "de", "en", "fr", "ar-en", "cs-de", "cs-en", "cs-fr", "cs-it", "cs-nl", "de-en", "de-fr",
        "de-it", "de-nl", "en-fr", "en-it", "en-nl", "en-tr", "fr-it", "fr-nl"]
    # both directions where App. C.2 has both: de-en = Hercig & Kral's de-en + Reimers & Gurevych's en-de
    assert ds.directions(ds.unit("de-en")) == [("de", "en"), ("en", "de")]
    assert ds.directions(ds.unit("cs-en")) == [("cs", "en"), ("en", "cs")]
    assert ds.directions(ds.unit("de-nl")) == [("nl", "de")]  # combined: nl first (R&G), de second (H&K)
    if layout == "clone yet to fetch":
        return
    assert ds.load("de", "en").s1 == ["Ein Mann sitzt.", "Ein Hund rennt."]
    assert ds.load("de", "en").s2 == ["A man is sitting.", "A cat sleeps."]
    nl_cs = ds.load("nl", "cs")
    assert nl_cs.s1 == ["Een man zit.", "Een hond rent."] and nl_cs.s2 == ["Muž sedí na židli.", "Kočka spí."]
    np.testing.assert_allclose(ds.load("cs", "cs").scores, [4.8, 0.4])


def test_sts17_hercig_kral_counts_and_layout_are_checked(sts17_dir, tmp_path):
    with pytest.raises(DataSourceError, match=r"not Hercig & Kral's STS17 data; missing .*track5\.CS\.first"):
        get_dataset("sts17", {"path": str(sts17_dir), "hercig_kral": {"path": str(hercig_kral_zip(
            tmp_path / "a.zip", {k: v for k, v in HK_SENTENCES.items() if k != "CS"}))}}, ["en", "cs"])
    short = dict(HK_SENTENCES, DE=(["Ein Mann sitzt."], ["Ein Mann sitzt da."]))
    ds = get_dataset("sts17", {"path": str(sts17_dir), "hercig_kral": {"path": str(hercig_kral_zip(
        tmp_path / "b.zip", short))}}, ["en", "de"])
    with pytest.raises(DataFormatError, match=r"b\.zip!dataset/STS\.2017\.input\.track5\.DE\.first\.txt has 1 "
                                              r"lines but .* has 2 scores"):
        ds.load("de", "en")


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
    # lksenel/Kardes-NLU@96b5d9fd as published: BOM, CRLF, empty first header cell = idx, the
    # STS-B row; the English copies carry edits (a quote dropped, a sentence reworded)
    write(kardes / "sts.test.ug.csv",
          "\ufeff,sentence1,sentence2,score,s1_translation,s2_translation\r\n"
          '1,"Yes, it is true.",It is false.,0.4,Һә,Яқ\r\n'
          "2,A man is cutting wood.,A man chops wood.,4.8,Қәшқәр,мәктәп\r\n")
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
    assert not [item for item in ds.skipped() if item[0] == "ug"]  # every row paired by idx, none dropped
    assert len(ds.bilingual_directions()) == 12


def test_kardes_repository_layout_and_idx_that_does_not_index_the_english_source(stsb_dirs):
    main, _, kardes = stsb_dirs
    clone = kardes.parent / "Kardes-NLU"  # a clone: Data/<language name>/sts.<split>.<code>.csv
    (clone / "Data" / "uyghur").mkdir(parents=True)
    (kardes / "sts.test.ug.csv").rename(clone / "Data" / "uyghur" / "sts.test.ug.csv")
    write(clone / "Data" / "kazakh" / "sts.test.kk.csv", ",sentence1,sentence2,score,s1_translation,s2_translation\n"
          '5,"Yes, it is ""true"".",It is false.,0.4,Иә,Жоқ\n')  # idx 5: not a row of this English file
    ds = get_dataset("stsb", {"path": str(main), "kardes": {"path": str(clone)}}, ["en", "kk", "ug"])
    assert ds.languages() == ["en", "kk", "ug"]
    assert ds.load("ug", "en").s1 == ["ھە", "قەشقەر"]
    assert ds.load("kk", "en").s2 == ["It is false."]  # paired by its English text instead, and said so
    assert any(lang == "kk" and "paired by the English text" in why for lang, why in ds.skipped())
    assert ds.local_files(["kk"]) == sorted([str(clone / "Data" / "kazakh" / "sts.test.kk.csv"),
                                             str(main / "stsb-en-test.csv")])


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
          + sick_12_row(5, "Training.", "Trainen.", 1.0, semeval="TRAIN")
          + sick_12_row(7, "Een hond rent.", "Een hond slaapt.", 2.0))
    write(d / "notes" / "readme.txt", "not a language\n")
    return d


def test_sick_layouts_joined_on_pair_id(sick_dir):
    ds = get_dataset("sick", {"path": str(sick_dir)}, ["en", "pl", "nl"])
    assert ds.task == "str"
    data = ds.load("pl", "en")
    assert data.s1 == ["Pies biegnie.", "Chłopcy grają."] and data.s2 == ["A dog sleeps.", "No boy plays."]
    assert ds.load("nl", "nl").s1 == ["Jongens spelen.", "Een hond rent."]
    assert ds.load("en", "nl").s2 == ["Geen jongen.", "Een hond slaapt."]
    assert ("notes", "unknown language code in the source") in ds.skipped()


def test_sick_dev_split_and_missing_split_file(sick_dir):
    write(sick_dir / "en" / "SICK_trial.txt", SICK_12 + sick_12_row(1, "Trial.", "Trial two.", 4.0, "TRIAL"))
    with pytest.raises(DataSourceError, match=r"no SICK dev file for pl in .*sick/pl"):  # never dropped silently
        get_dataset("sick", {"path": str(sick_dir), "split": "dev"}, ["en", "pl"])
    for lang in ("pl", "nl"):
        shutil.rmtree(sick_dir / lang)
    ds = get_dataset("sick", {"path": str(sick_dir), "split": "dev"}, ["en"])
    assert ds.load("en", "en").s1 == ["Trial."]


def test_sick_pair_id_missing_in_one_language_is_an_error(sick_dir):
    write(sick_dir / "pl" / "SICK_test.txt", "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
          "7\tPies biegnie.\tPies śpi.\t2.0\tNEUTRAL\n")
    ds = get_dataset("sick", {"path": str(sick_dir)}, ["en", "pl"])
    with pytest.raises(DataFormatError, match=r"1 of 2 pair_IDs of en \(.*SICK_test_annotated\.txt\) are not in pl "
                                              r"\(.*SICK_test\.txt\), e\.g\. \['4'\]"):
        ds.load("pl", "en")


def test_sick_translations_read_from_clones_of_their_repositories(sick_dir, tmp_path):
    header5 = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
    rows = {"pl": ("Chłopcy grają.", "Pies biegnie."), "es": ("Niños juegan.", "Un perro corre.")}
    # sdadas/polish-sentence-evaluation: resources/downstream/SICK/SICK_{train,trial,test_annotated}.txt
    pl = tmp_path / "polish-sentence-evaluation"
    write(pl / "README.md", "# Polish sentence evaluation\n")
    write(pl / "resources" / "downstream" / "SICK" / "SICK_trial.txt", header5 + "1\tx\ty\t3.0\tNEUTRAL\n")
    write(pl / "resources" / "downstream" / "SICK" / "SICK_test_annotated.txt",
          header5 + f"4\t{rows['pl'][0]}\tNie.\t3.6\tNEUTRAL\n7\t{rows['pl'][1]}\tŚpi.\t2.0\tNEUTRAL\n")
    # OpenCENIA/Spanish-Sentence-Evaluation: data/senteval/SICK/SICK_{train,trial,test}.txt
    es = tmp_path / "Spanish-Sentence-Evaluation"
    write(es / "data" / "senteval" / "SICK" / "SICK_test.txt",
          header5 + f"4\t{rows['es'][0]}\tNo.\t3.6\tNEUTRAL\n7\t{rows['es'][1]}\tDuerme.\t2.0\tNEUTRAL\n")
    # gijswijnholds/sick_nl: the full SICK_NL.txt at its root, beside sentence lists
    nl = tmp_path / "sick_nl"
    shutil.copy(sick_dir / "nl" / "SICK_NL.txt", write(nl / "SICKSENTS.txt", "A sentence.\n").parent / "SICK_NL.txt")
    shutil.rmtree(sick_dir / "pl")
    shutil.rmtree(sick_dir / "nl")
    spec = {"path": str(sick_dir), "translations": {lang: {"path": str(p)} for lang, p in
                                                    (("pl", pl), ("es", es), ("nl", nl))}}
    ds = get_dataset("sick", spec, ["en", "es", "nl", "pl"])
    assert [u.name for u in ds.units() if u.setting == "cross"] == ["en-es", "en-nl", "en-pl", "es-nl", "es-pl", "nl-pl"]
    assert ds.load("pl", "es").s1 == ["Chłopcy grają.", "Pies biegnie."]
    assert ds.load("es", "nl").s2 == ["Geen jongen.", "Een hond slaapt."]


def test_sick_translations_key_adds_a_language(sick_dir, tmp_path):
    es = write(tmp_path / "es_sick" / "SICK_test.txt",
               "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgement\n"
               "4\tNiños juegan.\tNingún niño.\t3.6\tCONTRADICTION\n7\tUn perro.\tDuerme.\t2.0\tNEUTRAL\n").parent
    ds = get_dataset("sick", {"path": str(sick_dir), "translations": {"spa": {"path": str(es)}}}, ["en", "es"])
    assert ds.load("es", "en").s1 == ["Niños juegan.", "Un perro."]


# --------------------------------------------------------------------------- STR 2024
def test_str24_reads_a_clone_of_the_task_repository(tmp_path):
    # semantic-textual-relatedness/Semantic_Relatedness_SemEval2024: Track A/<iso3>/ holds
    # <iso3>_{train,dev,test}.csv (no labels) and <iso3>_{dev,test}_with_labels.csv
    clone = tmp_path / "Semantic_Relatedness_SemEval2024"
    write(clone / "README.md", "# SemEval 2024 Task 1\n")
    for code, text in (("amh", "ሰላም።"), ("tel", "నమస్కారం.")):
        write(clone / "Track A" / code / f"{code}_test_with_labels.csv", f'PairID,Text,Score\n{code}-1,"{text}\n{text}",0.9\n')
        write(clone / "Track A" / code / f"{code}_test.csv", f'PairID,Text\n{code}-1,"{text}\n{text}"\n')
        write(clone / "Track A" / code / f"{code}_train.csv", f'PairID,Text,Score\n{code}-9,"a\nb",0.1\n')
    write(clone / "Track A" / "esp" / "esp_dev.csv", 'PairID,Text\nESP-1,"a\nb"\n')  # Spanish: no labels published
    ds = get_dataset("str24", {"path": str(clone)}, ["am", "te", "es"])
    assert [u.name for u in ds.units()] == ["am", "te"]
    assert ds.load("te", "te").s1 == ["నమస్కారం."] and list(ds.load("am", "am").scores) == [0.9]
    assert ds.local_files(["am"]) == [str(clone / "Track A" / "amh" / "amh_test_with_labels.csv")]
    with pytest.raises(DataSourceError, match=r"no STR 2024 dev files in .*SemEval2024 \(nor in its Track A/<iso3>/\)"):
        get_dataset("str24", {"path": str(clone), "split": "dev"}, ["am"])


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
