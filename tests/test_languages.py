"""The language registry against the ISO 639 table it ships (resources/iso639_languages.tsv)."""

import csv

from modsent.languages import all_languages, get_language, known_languages
from workflow_helpers import REPO

ISO_TABLE = REPO / "modsent" / "resources" / "iso639_languages.tsv"


def _iso_rows():
    lines = [line for line in ISO_TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_the_table_names_its_source_and_holds_iso_639_3():
    header = ISO_TABLE.read_text(encoding="utf-8").splitlines()[:3]
    assert any("pycountry" in line and "iso639-3.json" in line for line in header)
    rows = _iso_rows()
    assert len(rows) > 7000 and len({r["iso639_3"] for r in rows}) == len(rows)
    assert {r["iso639_1"] for r in rows if r["iso639_1"]} >= {"de", "en", "fr", "la", "zh", "sa", "eo"}


def test_every_iso_639_code_resolves_consistently():
    for r in _iso_rows():
        if r["scope"] == "S":  # und, mul, zxx, mis: no language
            continue
        lang = get_language(r["iso639_3"])
        for code in (r["iso639_1"], r["iso639_2b"]):
            if code:
                assert get_language(code) == lang, (code, r)
        if not lang.nllb:  # a language NLLB-200 lacks: ISO's own codes and name
            assert (lang.iso3, lang.iso1, lang.name) == (r["iso639_3"], r["iso639_1"], r["name"])
            assert lang.code == (r["iso639_1"] or r["iso639_3"])


def test_nllb_languages_keep_their_nllb_codes():
    iso3 = {r["iso639_3"] for r in _iso_rows()}
    iso1 = {r["iso639_1"] for r in _iso_rows() if r["iso639_1"]}
    for lang in all_languages():
        assert get_language(lang.nllb) == lang and get_language(lang.iso3).nllb
        assert not lang.iso1 or lang.iso1 in iso1
    # NLLB's individual languages are ISO 639-3 codes; ajp was merged into apc in ISO 639-3
    assert {lang.iso3 for lang in all_languages()} - iso3 == {"ajp"}


def test_languages_nllb_lacks_are_known_with_their_iso_codes():
    latin = get_language("la")
    assert latin == get_language("lat") == get_language("LAT")
    assert (latin.iso3, latin.name, latin.nllb, latin.script, latin.code) == ("lat", "Latin", "", "", "la")
    ancient_greek = get_language("grc")  # no ISO 639-1 code: the ISO 639-3 code is modsent's
    assert ancient_greek.code == "grc" and not ancient_greek.nllb
    assert get_language("fre") == get_language("fr") and get_language("fr").nllb == "fra_Latn"
    assert get_language("may").nllb == "zsm_Latn"  # 639-2/B of a macrolanguage: NLLB's individual language
    assert latin in known_languages() and latin not in all_languages()


def test_a_language_nllb_lacks_is_evaluated_like_any_other(tmp_path):
    """Tatoeba has Latin: its texts are written for the configured la (no NLLB code needed)."""
    from modsent.evaluation.texts import open_dataset, texts_job

    tiny = REPO / "modsent" / "resources" / "tiny" / "eval" / "tatoeba"
    data = tmp_path / "tatoeba"
    data.mkdir()
    latin = ["canis dormit", "puer librum legit", "sol lucet"]
    (data / "tatoeba.lat-eng.lat").write_text("\n".join(latin) + "\n", encoding="utf-8")
    english = (tiny / "tatoeba.deu-eng.eng").read_text(encoding="utf-8").splitlines()[:3]
    (data / "tatoeba.lat-eng.eng").write_text("\n".join(english) + "\n", encoding="utf-8")
    spec = {"format": "raw", "path": str(data)}
    assert [u.name for u in open_dataset("tatoeba", spec, ["en", "la"]).units()] == ["en-la"]
    assert texts_job("tatoeba", spec, "la", tmp_path / "la.txt") == 3
    assert sorted((tmp_path / "la.txt").read_text(encoding="utf-8").split("\n")[:3]) == sorted(latin)
