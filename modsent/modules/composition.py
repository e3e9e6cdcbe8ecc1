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
files rather than saved and reloaded as a full model (a plain reload drops adapters;
modsent/export.py writes one that keeps its CLA). `ModularEncoder` composes the same
encoders on one shared base instead: the LA and SE act as unmerged deltas (W x + B A x,
equal to the merged weights up to rounding) and each language's CLA is a named adapter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

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


def _pivot_without_cla(record) -> bool:
    """The pivot has no CLA: its batches run with no adapter active, which adapters warns about."""
    return "none are activated" not in record.getMessage()


@dataclass
class _Language:
    """What one language's encoder changes on the shared base: its tokenizer and word
    embeddings (LA), its LoRA deltas (LA and SE, added on the fly, never merged), its CLA
    adapter (by name, in the body's adapters) and its pooling."""

    tokenizer: object
    embeddings: object  # nn.Embedding
    pad_token_id: int | None
    deltas: dict[str, tuple]  # module name -> (A^T, scale * B^T) of its LoRAs stacked along the rank
    cla: str | None
    pooling: str
    parameters: int  # of this language's own modules


class ModularEncoder:
    """Encode text of any stored language with one shared base model.

        enc = ModularEncoder("results/modules", "sentence-transformers/LaBSE")
        enc.encode(["Guten Morgen"], lang="de")
        enc.encode(["Guten Morgen", "Good morning"])      # languages identified and routed

    The base body is loaded once (without its vocabulary where every language brings its
    own); each language's modules (tokenizer and embeddings, the LA and SE LoRA deltas, the
    CLA adapter) are loaded on its first use, and a batch of one language runs with exactly
    its modules. The LoRA deltas act unmerged (W x + s B A x),
    which equals the merged composition of `compose_encoder` up to float rounding. The base
    model and the full baselines have no modules: one model serves every language.
    `identifier`: a LanguageIdentifier (or its folder) for input without `lang`; by default
    the store's `identifier/`, if it has one.
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
        identifier=None,
    ):
        self.spec = get_variant(variant)
        self.store = ModuleStore(str(store))
        self.base_model = base_model
        self.variant = variant
        self.pivot = get_language(pivot).code
        self.full_dir = Path(full_dir) if full_dir is not None else Path(store).parent / "full"
        self.device = pick_device(device or "auto")
        self._identifier = identifier
        self._languages: dict[str, _Language] = {}
        self._poolings: dict[str, object] = {}  # pooling mode -> SentenceTransformer on the shared body
        self._active: str | None = None
        self._hooked: set[str] = set()
        self._model = None  # the base (or full) SentenceTransformer, loaded on first use

    # -- the shared base
    @property
    def modular(self) -> bool:
        """Whether languages have modules (not the base model, not a full baseline)."""
        return not (self.spec.full or self.spec.name == "base")

    def _base(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            path = self.full_dir / self.spec.name if self.spec.full else self.base_model
            if self.spec.full:
                _require_dirs([path], "full model")
            self._model = SentenceTransformer(str(path), device=self.device)
            self._model.eval()
            if self.modular:
                body = self._model[0].auto_model
                embeddings = body.get_input_embeddings()
                if self.spec.language_adapter:  # every language brings its own: the base vocabulary goes
                    embeddings = torch.nn.Embedding(1, embeddings.weight.shape[1]).to(
                        embeddings.weight.device, embeddings.weight.dtype).requires_grad_(False)
                    body.set_input_embeddings(embeddings)
                self._base_language = _Language(self._model[0].tokenizer, embeddings,
                                                body.config.pad_token_id, {}, None, DEFAULT_POOLING, 0)
                if self.spec.alignment:
                    import adapters

                    adapters.init(body)
                    logging.getLogger("adapters.model_mixin").addFilter(_pivot_without_cla)
        return self._model

    @property
    def body(self):
        return self._base()[0].auto_model

    def _hook(self, name: str):
        def add_delta(module, inputs, output):
            active = self._languages.get(self._active)
            pair = active.deltas.get(name) if active else None
            return output if pair is None else output + (inputs[0] @ pair[0]) @ pair[1]
        return add_delta

    # -- languages
    def loaded_languages(self) -> list[str]:
        return list(self._languages)

    def _load(self, lang: str) -> _Language:
        from transformers import AutoTokenizer

        from modsent.modules.language import language_embeddings, read_language_adapter
        from modsent.modules.lora import lora_target, read_saved_lora

        modules = {role: Path(p) for role, p in self.store.variant_modules(self.variant, lang, self.pivot).items()}
        try:
            _require_dirs(modules.values(), "module")
        except FileNotFoundError as e:
            raise FileNotFoundError(f"variant {self.variant!r}, language {lang!r}: {e}") from None
        body, base = self.body, self._base_language
        state = _Language(base.tokenizer, base.embeddings, base.pad_token_id, {}, None,
                          recorded_pooling(modules["se"]) if "se" in modules else DEFAULT_POOLING, 0)
        loras = [modules[role] for role in ("la", "se") if role in modules]
        if "la" in modules:
            state.tokenizer = AutoTokenizer.from_pretrained(str(modules["tokenizer"]))
            weight, state.pad_token_id = read_language_adapter(modules["la"])
            with torch.no_grad():
                state.embeddings = language_embeddings(body, weight, state.pad_token_id).requires_grad_(False)
            state.parameters += weight.numel()
        stacked: dict[str, list] = {}
        for lora_dir in loras:
            scale, pairs = read_saved_lora(lora_dir)
            for name, (lora_a, lora_b) in pairs.items():
                layer = lora_target(body, name, lora_dir)
                if (lora_b.shape[0], lora_a.shape[1]) != tuple(layer.weight.shape):
                    raise ValueError(f"{lora_dir}: {name} does not fit the model's {tuple(layer.weight.shape)}")
                stacked.setdefault(name, []).append((lora_a, lora_b * scale))
                state.parameters += lora_a.numel() + lora_b.numel()
        for name, pairs in stacked.items():
            # LA + SE on one layer: one rank-(r_la + r_se) product, the sum of both deltas
            weight = lora_target(body, name, "").weight
            state.deltas[name] = (torch.cat([a for a, _ in pairs]).t().contiguous().to(weight.device, weight.dtype),
                                  torch.cat([b for _, b in pairs], dim=1).t().contiguous().to(weight.device, weight.dtype))
            if name not in self._hooked:
                lora_target(body, name, "").register_forward_hook(self._hook(name))
                self._hooked.add(name)
        if "cla" in modules:
            from modsent.modules.alignment import load_alignment_adapter

            state.cla = f"cla_{lang}"
            state.parameters += load_alignment_adapter(body, modules["cla"], state.cla)
        return state

    def _activate(self, lang: str):
        """The SentenceTransformer on the shared body, switched to `lang`'s modules."""
        from modsent.modules.language import use_embeddings, use_tokenizer

        model = self._base()
        if not self.modular:
            return model
        if lang not in self._languages:
            self._languages[lang] = self._load(lang)
        state = self._languages[lang]
        if self._active != lang:
            use_tokenizer(model[0], state.tokenizer)
            use_embeddings(model[0].auto_model, state.embeddings, state.pad_token_id)
            if self.spec.alignment:
                model[0].auto_model.set_active_adapters(state.cla)
            self._active = lang
        if state.pooling not in self._poolings:
            self._poolings[state.pooling] = _with_pooling(model, state.pooling).to(self.device).eval()
        return self._poolings[state.pooling]

    def module_parameters(self, lang: str) -> int:
        """Parameters of `lang`'s own modules (loaded on the base), 0 for a model without modules."""
        lang = get_language(lang).code
        self._activate(lang)
        return self._languages[lang].parameters if self.modular else 0

    # -- routing
    @property
    def identifier(self):
        if self._identifier is None:
            from modsent.modules.identifier import LanguageIdentifier

            where = Path(self.store.identifier())
            if not where.is_dir():
                raise ValueError(f"no language given and no language identifier in {where}: pass lang=, "
                                 "an identifier=, or train one (the workflow's train_language_identifier)")
            self._identifier = LanguageIdentifier.load(where)
        elif isinstance(self._identifier, (str, Path)):
            from modsent.modules.identifier import LanguageIdentifier

            self._identifier = LanguageIdentifier.load(self._identifier)
        return self._identifier

    def identify(self, sentences, among=None) -> list[str]:
        """Each sentence's language, by the identifier (with `among`: the likeliest of those codes)."""
        if among is None:
            return list(self.identifier.predict(list(sentences)))
        return list(self.identifier.predict(list(sentences), [get_language(lang).code for lang in among]))

    # -- encoding
    def encoder(self, lang: str):
        """The SentenceTransformer that encodes `lang` now (shared body: valid until another
        language is encoded)."""
        return self._activate(get_language(lang).code)

    def encode(self, sentences, lang: str | None = None, batch_size: int = 64, normalize: bool = False,
               on_batch=None, langs=None) -> np.ndarray:
        """Embeddings (numpy, one row per sentence, in input order). With `lang` every sentence
        is in that language, with `langs` each in its own; without either, each sentence's
        language is identified. A sentence is encoded with its language's modules.
        `on_batch(n)` is called after each language's n sentences."""
        sentences = list(sentences)
        if not sentences:
            raise ValueError("nothing to encode: no sentences")
        if langs is not None:
            if len(langs) != len(sentences):
                raise ValueError(f"{len(langs)} languages for {len(sentences)} sentences")
            langs = [get_language(one).code for one in langs]
        else:
            langs = [get_language(lang).code] * len(sentences) if lang is not None else self.identify(sentences)
        out = None
        for one in dict.fromkeys(langs):
            rows = [i for i, other in enumerate(langs) if other == one]
            emb = self.encoder(one).encode([sentences[i] for i in rows], batch_size=batch_size,
                                           normalize_embeddings=normalize, convert_to_numpy=True,
                                           show_progress_bar=False)
            if out is None:
                out = np.zeros((len(sentences), emb.shape[1]), dtype=emb.dtype)
            out[rows] = emb
            if on_batch is not None:
                on_batch(len(rows))
        return out
