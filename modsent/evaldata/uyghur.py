"""Uyghur Cyrillic script -> Uyghur Arabic script (UEY), with the Uyghur Multi-Script
Converter (PyPI `umsc`), the tool the paper names for Kardeş-NLU's Cyrillic Uyghur.

Like the paper's, every letter is converted, Latin ones too ("PG&E" becomes Arabic
letters): the converter reads its input as Uyghur in any of its scripts.
"""

from __future__ import annotations

import functools


@functools.cache
def _converter():
    from umsc import UgMultiScriptConverter

    return UgMultiScriptConverter("UCS", "UAS")  # Uyghur Cyrillic Script -> Uyghur Arabic Script


def cyrillic_to_arabic(text: str) -> str:
    return _converter()(text)
