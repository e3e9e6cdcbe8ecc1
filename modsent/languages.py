"""Language registry: ISO 639-1 / ISO 639-3 / FLORES-NLLB codes and scripts.

Covers every NLLB-200 language (``resources/nllb_languages.tsv``). A code may be given
in any of the three systems; macrolanguage codes (``ara``, ``aze``, ``zho``, ``cmn`` ...)
resolve to the individual language NLLB uses, as FLORES and NLLB do.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# ISO 639-3 macrolanguage (or dataset-specific) codes -> the NLLB code used for them.
_MACRO_TO_NLLB = {
    "ara": "arb_Arab", "aze": "azj_Latn", "uzb": "uzn_Latn", "fas": "pes_Arab",
    "per": "pes_Arab", "msa": "zsm_Latn", "lav": "lvs_Latn", "mon": "khk_Cyrl",
    "mlg": "plt_Latn", "orm": "gaz_Latn", "nep": "npi_Deva", "ori": "ory_Orya",
    "swa": "swh_Latn", "que": "quy_Latn", "yid": "ydd_Hebr", "sqi": "als_Latn",
    "pus": "pbt_Arab", "kur": "kmr_Latn", "zho": "zho_Hans", "cmn": "zho_Hans",
    "chi": "zho_Hans", "ger": "deu_Latn", "fre": "fra_Latn", "dut": "nld_Latn",
    "cze": "ces_Latn", "gre": "ell_Grek", "kau": "knc_Latn", "est": "est_Latn",
}


class UnknownLanguageError(ValueError):
    """A language code that is neither ISO 639-1, ISO 639-3 nor an NLLB-200 code."""


@dataclass(frozen=True)
class Language:
    nllb: str  # FLORES-200 / NLLB code, e.g. "deu_Latn"
    iso1: str  # ISO 639-1, "" where none exists
    name: str

    @property
    def iso3(self) -> str:
        return self.nllb.split("_")[0]

    @property
    def script(self) -> str:
        return self.nllb.split("_")[1]

    @property
    def code(self) -> str:
        """The short code modsent uses in paths and tables (ISO 639-1 where it exists)."""
        return self.iso1 or self.nllb


@lru_cache(maxsize=1)
def _table() -> dict[str, Language]:
    text = resources.files("modsent.resources").joinpath("nllb_languages.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return {r["nllb"]: Language(r["nllb"], r["iso639_1"], r["name"]) for r in rows}


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
    return index


def get_language(code: str) -> Language:
    """Look a language up by ISO 639-1, ISO 639-3 or NLLB code (case-insensitive)."""
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


def nllb_code(code: str) -> str:
    return get_language(code).nllb


def same_language(a: str, b: str) -> bool:
    return get_language(a) == get_language(b)


# The 23 languages of the paper (ISO 639-1), in its order.
PAPER_LANGUAGES = (
    "am ar az cs de en es fr ha it kk ko ky mr nl pl ru rw te tr ug uz zh".split()
)
