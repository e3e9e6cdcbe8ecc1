"""Compose the sentence encoder of (variant, language) from the module store.

Every grid row is one `Variant` of modsent/variants.py: which modules a language activates
(docs/METHOD.md, Inference). Evaluation, the workflow's input lists (`modules_needed`) and
users (`ModularEncoder`) all read the same table.

Composition order for the modular variants:

    base body -> language's tokenizer + embeddings, LA merged  (modsent/modules/language.py)
              -> mean pooling (the SE's pooling)
              -> SE LoRA merged                                  (additive on top of LA)
              -> CLA adapter, non-pivot languages only           (modsent/modules/alignment.py)

Merging keeps LA and SE additive (adapters' Stack of two LoRAs is not; docs/METHOD.md, "Composition")
and leaves a plain model, so each composition is rebuilt from the store's safetensors
files rather than saved and reloaded as a full model (a plain reload drops adapters).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from modsent.languages import get_language
from modsent.modules.files import read_module_config
from modsent.modules.lora import merge_saved_lora
from modsent.store import ModuleStore, Results, encoder_modules
from modsent.utils import pick_device
from modsent.variants import get_variant

DEFAULT_POOLING = "mean"


def _with_pooling(model, pooling: str):
    """The model's transformer module followed by `pooling` (replaces the base's head, e.g. LaBSE's CLS + dense)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    transformer = model[0]
    return SentenceTransformer(
        modules=[transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)],
        device="cpu",
    )


def recorded_pooling(se_dir: str | Path) -> str:
    """The pooling an SE adapter was trained with (its config.json)."""
    return read_module_config(se_dir, "an SE adapter")["pooling"]


MODULE_ROLES = ("tokenizer", "la", "se", "cla")


def build_encoder(base_model: str, modules: Mapping[str, str | Path] | None = None, *,
                  pooling: str | None = None, device: str | None = None):
    """Base model + `modules` (role -> directory, as ModuleStore.variant_modules gives them:
    a language's tokenizer and LA together, an SE, a CLA), with `pooling`, in eval mode.

    `pooling` defaults to the SE's recorded pooling, else mean.
    """
    modules = {role: Path(path) for role, path in (modules or {}).items()}
    unknown = sorted(set(modules) - set(MODULE_ROLES))
    if unknown:
        raise ValueError(f"unknown module role(s) {unknown}; the roles are {MODULE_ROLES}")
    if ("tokenizer" in modules) != ("la" in modules):
        raise ValueError("a language module is its tokenizer and its LA together; got only "
                         + ("tokenizer" if "tokenizer" in modules else "la"))
    _require_dirs(modules.values(), "module")
    if pooling is None:
        pooling = recorded_pooling(modules["se"]) if "se" in modules else DEFAULT_POOLING
    if "la" in modules:
        from modsent.modules.language import load_language_encoder

        model = load_language_encoder(base_model, modules["tokenizer"], modules["la"], device="cpu")
    else:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(base_model), device="cpu")
    model = _with_pooling(model.to("cpu"), pooling)
    if "se" in modules:
        merge_saved_lora(model[0].auto_model, modules["se"])
    if "cla" in modules:
        from modsent.modules.alignment import apply_alignment_adapter

        apply_alignment_adapter(model, modules["cla"])
    model.to(pick_device(device or "auto"))
    model.eval()
    return model


def _require_dirs(paths, what: str) -> None:
    missing = [str(p) for p in paths if not Path(p).is_dir()]
    if missing:
        raise FileNotFoundError(f"missing {what}(s): {', '.join(missing)}")


def encoder_from_modules(base_model: str, modules: Mapping[str, str | Path], *, device: str | None = None):
    """The encoder of one grid variant from what Results.encoder_modules lists: the base model
    itself (no modules), a full model ({"full": dir}), or the base composed with its modules."""
    from sentence_transformers import SentenceTransformer

    if not modules:
        return SentenceTransformer(str(base_model), device=pick_device(device or "auto"))
    if "full" in modules:
        _require_dirs([modules["full"]], "full model")
        return SentenceTransformer(str(modules["full"]), device=pick_device(device or "auto"))
    return build_encoder(base_model, modules, device=device)


def compose_encoder(
    variant: str,
    lang: str,
    *,
    base_model: str,
    store: str | Path = ModuleStore().root,
    full_dir: str | Path = Results().full_dir,
    pivot: str = "en",
    device: str | None = None,
):
    """The SentenceTransformer that encodes `lang` text for grid row `variant` (`store`: the
    module store; `full_dir`: where the full baselines are)."""
    modules = encoder_modules(get_variant(variant).name, get_language(lang).code, get_language(pivot).code,
                              store=ModuleStore(str(store)), full_dir=str(full_dir))
    try:
        return encoder_from_modules(base_model, modules, device=device)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"variant {variant!r}, language {lang!r}: {e}") from None


class ModularEncoder:
    """Encode text of any stored language; each language's encoder is composed on first use.

        enc = ModularEncoder("results/modules", "sentence-transformers/LaBSE")
        enc.encode(["Guten Morgen"], lang="de")
    """

    def __init__(
        self,
        store: str | Path,
        base_model: str,
        variant: str = "mod_mc_jt",
        pivot: str = "en",
        *,
        full_dir: str | Path | None = None,
        device: str | None = None,
    ):
        get_variant(variant)
        self.store = Path(store)
        self.base_model = base_model
        self.variant = variant
        self.pivot = get_language(pivot).code
        self.full_dir = Path(full_dir) if full_dir is not None else self.store.parent / "full"
        self.device = device
        self._encoders = {}

    def encoder(self, lang: str):
        """The composed SentenceTransformer for `lang` (cached)."""
        lang = get_language(lang).code
        if lang not in self._encoders:
            self._encoders[lang] = compose_encoder(
                self.variant, lang, base_model=self.base_model, store=self.store,
                full_dir=self.full_dir, pivot=self.pivot, device=self.device,
            )
        return self._encoders[lang]

    def encode(self, sentences: list[str], lang: str, batch_size: int = 64, normalize: bool = False):
        """Embeddings (numpy, one row per sentence) of `sentences`, all in language `lang`."""
        return self.encoder(lang).encode(
            list(sentences), batch_size=batch_size, normalize_embeddings=normalize,
            convert_to_numpy=True, show_progress_bar=False,
        )
