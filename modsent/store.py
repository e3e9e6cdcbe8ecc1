"""Where everything the workflow writes lives: one class per tree, each path said once.

`ModuleStore` is the language-module store a user takes away (`results/modules`):

    {lang}/tokenizer/  {lang}/focus/  {lang}/la/  {lang}/se/  {lang}/cla-{kind}/  base/se-{lang}/

`Results` is the workflow's whole tree (`results/`): the module store, the full baselines,
the models built or converted, the training data, the evaluation's texts, embeddings and
scores, the tables and the checkpoints. rules/common.smk builds every rule's inputs and
outputs from one `Results`; called without arguments, a method gives the Snakemake pattern
(`la()` is "results/modules/{lang}/la"), with arguments the path itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from modsent.variants import get_variant

DEFAULT_ROOT = "results"


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


@dataclass(frozen=True)
class ModuleStore:
    """The language modules under `root` (the workflow's: results/modules)."""

    root: str = _join(DEFAULT_ROOT, "modules")

    def tokenizer(self, lang: str = "{lang}") -> str:
        return _join(self.root, lang, "tokenizer")

    def focus(self, lang: str = "{lang}") -> str:
        return _join(self.root, lang, "focus")

    def la(self, lang: str = "{lang}") -> str:
        return _join(self.root, lang, "la")

    def se(self, lang: str = "{lang}") -> str:
        return _join(self.root, lang, "se")

    def se_no_la(self, lang: str = "{lang}") -> str:
        """The SE trained on the base model itself (Mod_m w/o LA)."""
        return _join(self.root, "base", f"se-{lang}")

    def cla(self, lang: str = "{lang}", kind: str = "{kind}") -> str:
        return _join(self.root, lang, f"cla-{kind}")

    def variant_modules(self, variant: str, lang: str, pivot: str = "en") -> dict[str, str]:
        """Role ("tokenizer", "la", "se", "cla") -> the directory of each module the encoder of
        (variant, lang) is composed of (none for the base model and the full baselines)."""
        return {role: getattr(self, kind)(*args) for role, (kind, args)
                in get_variant(variant).module_roles(lang, pivot).items()}

    def identifier(self) -> str:
        """The language identifier trained on the stored languages' corpora (routing)."""
        return _join(self.root, "identifier")

    def language_module(self, lang: str) -> dict[str, str]:
        """The two parts of a language module: its tokenizer (with the FOCUS embeddings' vocabulary) and its LA."""
        return {"tokenizer": self.tokenizer(lang), "la": self.la(lang)}

    def alignment_encoders(self, lang: str, kind: str, pivot: str = "en",
                           partners: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
        """Language -> the modules of each encoder a CLA adapter of `kind` for `lang` trains
        with: the language's own (LA + SE, as Mod_m; LA only for c-jt), the frozen pivot's,
        and each all-pair partner's (Mod_m)."""
        own = self.variant_modules("mod_m", lang, pivot)
        if kind == "c-jt":
            del own["se"]
        return {lang: own, **{other: self.variant_modules("mod_m", other, pivot) for other in (pivot, *partners)}}


@dataclass(frozen=True)
class Results:
    """The workflow's output tree under `root`."""

    root: str = DEFAULT_ROOT

    def _at(self, *parts: str) -> str:
        return _join(self.root, *parts)

    # -- the encoder: modules and full models
    @property
    def modules(self) -> ModuleStore:
        return ModuleStore(self._at("modules"))

    @property
    def full_dir(self) -> str:
        return self._at("full")

    def full(self, variant: str = "{variant}") -> str:
        return _join(self.full_dir, variant)

    def encoder_modules(self, variant: str, lang: str, pivot: str = "en") -> dict[str, str]:
        """Role -> directory of what the encoder of (variant, lang) is composed of."""
        return encoder_modules(variant, lang, pivot, store=self.modules, full_dir=self.full_dir)

    def encoder_dirs(self, variant: str, lang: str, pivot: str = "en") -> list[str]:
        """The directories the encoder of (variant, lang) is built from."""
        return list(self.encoder_modules(variant, lang, pivot).values())

    def encoders(self, langs, variants, pivot: str = "en") -> dict[str, dict[str, dict[str, str]]]:
        """Language -> variant -> the modules of its encoder: what an embedding job composes."""
        return {lang: {v: self.encoder_modules(v, lang, pivot) for v in variants} for lang in langs}

    # -- models the workflow builds or converts
    @property
    def tiny_encoder(self) -> str:
        return self._at("models", "tiny-encoder")

    @property
    def tiny_nllb(self) -> str:
        return self._at("models", "tiny-nllb-ct2")

    @property
    def nllb_ct2(self) -> str:
        return self._at("mt", "nllb-ct2")

    # -- training data
    def mt_source(self, dataset: str = "{dataset}") -> str:
        return self._at("mt", "source", f"{dataset}.tsv")

    def mt_shard(self, dataset: str = "{dataset}", lang: str = "{lang}", shard: str = "{shard}") -> str:
        return self._at("mt", "shards", dataset, lang, f"{shard}.tsv")

    def mt_translation(self, dataset: str = "{dataset}", lang: str = "{lang}") -> str:
        return self._at("mt", dataset, f"{lang}.tsv")

    def train_dir(self, lang: str = "{lang}") -> str:
        return self._at("train", lang)

    def view(self, lang: str = "{lang}", view: str = "{view}") -> str:
        """A training view: mono, cross or parallel (modsent/tsv.py)."""
        return self._at("train", lang, f"{view}.tsv")

    def corpus(self, lang: str = "{lang}") -> str:
        return self._at("corpus", f"{lang}.txt")

    # -- evaluation
    def eval_texts(self, dataset: str = "{dataset}", lang: str = "{lang}") -> str:
        return self._at("eval", "texts", dataset, f"{lang}.txt")

    def embeddings_root(self, kind: str, dataset: str = "{dataset}") -> str:
        """Where one kind of embedding job ("per_language" or "multilingual") writes a dataset's."""
        return self._at("eval", "embeddings", kind, dataset)

    def unit_scores(self, dataset: str = "{dataset}", unit: str = "{unit}") -> str:
        return self._at("eval", "scores", dataset, "per_language", f"{unit}.csv")

    def multilingual_scores(self, dataset: str = "{dataset}") -> str:
        return self._at("eval", "scores", dataset, "multilingual.csv")

    # -- tables and checkpoints
    def table(self, name: str) -> str:
        return self._at("tables", name)

    def checkpoints(self, stage: str, *parts: str) -> str:
        """A long job's resumable state: outside its rule's outputs, so it survives a killed job."""
        return self._at("checkpoints", stage, *parts)


def encoder_modules(variant: str, lang: str, pivot: str = "en", *, store: ModuleStore,
                    full_dir: str) -> dict[str, str]:
    """Role -> directory of what the encoder of (variant, lang) is composed of: the store's
    modules, {"full": <full_dir>/<variant>} for a full baseline, nothing for the base model."""
    if get_variant(variant).full:
        return {"full": _join(str(full_dir), variant)}
    return store.variant_modules(variant, lang, pivot)


def modules_needed(variant: str, lang: str, pivot: str = "en") -> list[str]:
    """The directories (relative to the results root) the encoder of (variant, lang) is built from."""
    return Results("").encoder_dirs(variant, lang, pivot)
