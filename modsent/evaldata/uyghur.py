"""Uyghur Cyrillic script -> Uyghur Arabic script (UEY).

Kardeş-NLU publishes Uyghur in Cyrillic; the paper converts it to the Arabic script the
training data use. Letters map one to one (or to two for я, ю, ё, ц, щ); a vowel at the
start of a word or after another vowel is written with the hamza carrier ئ, as in UEY.
"""

from __future__ import annotations

_LETTERS = {
    "а": "ا", "ә": "ە", "б": "ب", "в": "ۋ", "г": "گ", "ғ": "غ", "д": "د", "е": "ې",
    "ё": "يو", "ж": "ژ", "җ": "ج", "з": "ز", "и": "ى", "й": "ي", "к": "ك", "қ": "ق",
    "л": "ل", "м": "م", "н": "ن", "ң": "ڭ", "о": "و", "ө": "ۆ", "п": "پ", "р": "ر",
    "с": "س", "т": "ت", "у": "ۇ", "ү": "ۈ", "ф": "ف", "х": "خ", "һ": "ھ", "ц": "تس",
    "ч": "چ", "ш": "ش", "щ": "شچ", "ъ": "", "ы": "ى", "ь": "", "э": "ې", "ю": "يۇ",
    "я": "يا",
}
_VOWELS = set("аәеиоөуүэ")
_PUNCTUATION = {",": "،", "?": "؟", ";": "؛"}
_HAMZA = "ئ"


def cyrillic_to_arabic(text: str) -> str:
    """Transliterate Uyghur Cyrillic text; other characters (digits, Latin, Arabic) stay."""
    out = []
    previous = ""  # the previous character, lower-cased
    for char in text:
        lower = char.lower()
        if lower in _VOWELS and not (previous.isalpha() and previous not in _VOWELS):
            out.append(_HAMZA)
        out.append(_LETTERS.get(lower, _PUNCTUATION.get(char, char)))
        previous = lower
    return "".join(out)
