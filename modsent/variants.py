"""The grid's rows: which modules each variant activates for a language (docs/METHOD.md, Inference).

A foundation module (no torch): the workflow plans from this table, evaluation and
`ModularEncoder` compose from it (modsent/modules/composition.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    """The modules one grid row activates for a language."""

    name: str
    full: bool = False  # a full-parameter model at full/{name}
    language_adapter: bool = False  # the language's tokenizer, embeddings and LA
    sentence_encoder: str | None = None  # whose SE: "own" ({lang}/se), "pivot" ({pivot}/se), "no_la" (base/se-{lang})
    alignment: str | None = None  # CLA kind ({lang}/cla-{kind}); never on the pivot
    non_pivot_sentence_encoder: bool = True  # False for mod_c_jt: non-pivot languages get CLA only
    # Trained on data of every configured language (Full_m/_c/_mc, all-pair CLA): its encoders
    # change whenever the language list does, so the workflow evaluates them apart.
    multilingual: bool = False

    def module_roles(self, lang: str, pivot: str) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Role ("tokenizer", "la", "se", "cla") -> (the ModuleStore method naming the module,
        its arguments) of each module this row activates for `lang` (modsent/store.py)."""
        if self.full or self.name == "base":
            return {}
        roles = {}
        if self.language_adapter:
            roles["tokenizer"] = ("tokenizer", (lang,))
            roles["la"] = ("la", (lang,))
        is_pivot = lang == pivot
        if self.sentence_encoder and (is_pivot or self.non_pivot_sentence_encoder):
            roles["se"] = {
                "own": ("se", (lang,)),
                "pivot": ("se", (pivot,)),
                "no_la": ("se_no_la", (lang,)),
            }[self.sentence_encoder]
        if self.alignment and not is_pivot:
            roles["cla"] = ("cla", (lang, self.alignment))
        return roles


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant("base"),
        Variant("full_en", full=True),
        Variant("full_m", full=True, multilingual=True),
        Variant("full_c", full=True, multilingual=True),
        Variant("full_mc", full=True, multilingual=True),
        Variant("mod_en", language_adapter=True, sentence_encoder="pivot"),
        Variant("mod_m", language_adapter=True, sentence_encoder="own"),
        Variant("mod_mc_pp", language_adapter=True, sentence_encoder="own", alignment="pp"),
        Variant("mod_mc_pl", language_adapter=True, sentence_encoder="own", alignment="pl"),
        Variant("mod_mc_jt", language_adapter=True, sentence_encoder="own", alignment="jt"),
        Variant("mod_m_no_la", sentence_encoder="no_la"),
        Variant("mod_c_jt", language_adapter=True, sentence_encoder="own", alignment="c-jt",
                non_pivot_sentence_encoder=False),
        Variant("mod_mc_pp_allpair", language_adapter=True, sentence_encoder="own", alignment="allpair-pp",
                multilingual=True),
        Variant("mod_mc_pl_allpair", language_adapter=True, sentence_encoder="own", alignment="allpair-pl",
                multilingual=True),
        Variant("mod_mc_jt_allpair", language_adapter=True, sentence_encoder="own", alignment="allpair",
                multilingual=True),
    ]
}


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known variants: {', '.join(VARIANTS)}") from None
