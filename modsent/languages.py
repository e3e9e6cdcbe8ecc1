"""Language registry: ISO 639-1 / ISO 639-2/B / ISO 639-3 / FLORES-NLLB codes and scripts.

Every ISO 639-3 language is known (``resources/iso639_languages.tsv``); every NLLB-200
language (``resources/nllb_languages.tsv``) also has its NLLB code, which only machine
translation needs. A code may be given in any of these systems; macrolanguage codes (``ara``,
``aze``, ``zho``, ``cmn`` ...) resolve to the individual language NLLB uses, as FLORES and
NLLB do.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# ISO 639-3 macrolanguage (or dataset-specific) codes -> the NLLB code used for them.
_MACRO_TO_NLLB = {
    "ara": "arb_Arab", "aze": "azj_Latn", "uzb": "uzn_Latn", "fas": "pes_Arab",
    "msa": "zsm_Latn", "lav": "lvs_Latn", "mon": "khk_Cyrl",
    "mlg": "plt_Latn", "orm": "gaz_Latn", "nep": "npi_Deva", "ori": "ory_Orya",
    "swa": "swh_Latn", "que": "quy_Latn", "yid": "ydd_Hebr", "sqi": "als_Latn",
    "pus": "pbt_Arab", "kur": "kmr_Latn", "zho": "zho_Hans", "cmn": "zho_Hans",
    "kau": "knc_Latn", "est": "est_Latn", "aym": "ayr_Latn",
}


class UnknownLanguageError(ValueError):
    """A language code that is neither ISO 639-1, ISO 639-2/B, ISO 639-3 nor an NLLB-200 code."""


@dataclass(frozen=True)
class Language:
    iso3: str  # ISO 639-3 (for an NLLB language: the individual language NLLB uses)
    iso1: str  # ISO 639-1, "" where none exists
    name: str
    nllb: str = ""  # FLORES-200 / NLLB code, e.g. "deu_Latn"; "" where NLLB-200 lacks the language

    @property
    def script(self) -> str:
        """ISO 15924 script of the NLLB code, "" for a language NLLB-200 lacks."""
        return self.nllb.split("_")[1] if self.nllb else ""

    @property
    def code(self) -> str:
        """The short code modsent uses in paths and tables (ISO 639-1 where it exists)."""
        return self.iso1 or self.nllb or self.iso3


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = resources.files("modsent.resources").joinpath(name).read_text("utf-8")
    return list(csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t"))


@lru_cache(maxsize=1)
def _table() -> dict[str, Language]:
    return {
        r["nllb"]: Language(r["nllb"].split("_")[0], r["iso639_1"], r["name"], r["nllb"])
        for r in _read_tsv("nllb_languages.tsv")
    }


@lru_cache(maxsize=1)
def _index() -> dict[str, Language]:
    table = _table()
    index: dict[str, Language] = {}
    # iso3 first (first script listed wins), then explicit macro codes, then iso1 and NLLB
    for lang in table.values():
        index.setdefault(lang.iso3.lower(), lang)
    for macro, nllb in _MACRO_TO_NLLB.items():
        index[macro] = table[nllb]
    for lang in table.values():
        if lang.iso1:
            index[lang.iso1.lower()] = lang
        index[lang.nllb.lower()] = lang
    # Then every other ISO 639 code; a code NLLB already covers keeps its NLLB language, and
    # its 639-1 / 639-2/B codes resolve to it. Special codes (und, mul, zxx ...) are no language.
    for r in _read_tsv("iso639_languages.tsv"):
        if r["scope"] == "S":
            continue
        lang = index.get(r["iso639_3"]) or Language(r["iso639_3"], r["iso639_1"], r["name"])
        for code in (r["iso639_3"], r["iso639_1"], r["iso639_2b"]):
            if code:
                index.setdefault(code, lang)
    return index


def get_language(code: str) -> Language:
    """Look a language up by ISO 639-1, 639-2/B, 639-3 or NLLB code (case-insensitive)."""
    try:
        return _index()[str(code).strip().lower().replace("-", "_")]
    except KeyError:
        raise UnknownLanguageError(
            f"unknown language code {code!r}: use an ISO 639-1 (de), ISO 639-3 (deu) "
            f"or FLORES/NLLB-200 code (deu_Latn)"
        ) from None


def all_languages() -> list[Language]:
    """Every NLLB-200 language."""
    return list(_table().values())


def known_languages() -> list[Language]:
    """Every language the registry knows (NLLB-200's and every other ISO 639-3 language)."""
    return list(dict.fromkeys(_index().values()))


# The 23 languages of the paper (ISO 639-1), in its order.
PAPER_LANGUAGES = (
    "am ar az cs de en es fr ha it kk ko ky mr nl pl ru rw te tr ug uz zh".split()
)


def nllb_language_token(code: str) -> str:
    """NLLB-200's language token for a configured code (de -> deu_Latn); ValueError if NLLB lacks it."""
    try:
        token = get_language(code).nllb
    except UnknownLanguageError:
        token = None
    if token not in {lang.nllb for lang in all_languages()}:
        raise ValueError(f"NLLB-200 has no language token for {code!r}")
    return token
