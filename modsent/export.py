"""Export one (variant, language) encoder as a sentence-transformers directory with a model card.

    modsent export --store results/modules --base-model MODEL --variant mod_mc_jt --lang de \
        --out exported/mod_mc_jt-de [--scores results/tables/scores.csv]

The language's tokenizer and embeddings and its LA and SE are merged into the transformer's
weights; a CLA adapter is kept as an adapter in `cla/`, loaded by the module class
modules.json names (modsent.modules.exported.AlignedTransformer), so `SentenceTransformer(dir)`
gives the composed encoder's embeddings (modsent installed). README.md is the model card.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
from pathlib import Path

from modsent.languages import get_language
from modsent.module_sizes import base_parameters, describe_module
from modsent.modules.alignment import ADAPTER_CONFIG, ADAPTER_WEIGHTS
from modsent.modules.composition import encoder_from_modules
from modsent.modules.files import read_training_record
from modsent.store import ModuleStore, Results, encoder_modules
from modsent.utils import atomic_output
from modsent.variants import get_variant

log = logging.getLogger("modsent.export")

ALIGNED_TRANSFORMER = "modsent.modules.exported.AlignedTransformer"
ADAPTER_DIR = "cla"  # modsent.modules.exported reads it from there
# What a model card reports of each module's training record
CARD_SETTINGS = ("r", "alpha", "dropout", "batch_size", "learning_rate", "epochs", "steps", "max_seq_length",
                 "pooling", "kind", "seconds", "device")


def export_encoder(variant: str, lang: str, out_dir: str | Path, *, base_model: str,
                   store: str | Path = ModuleStore().root, full_dir: str | Path = Results().full_dir,
                   pivot: str = "en", scores: str | Path | None = None) -> Path:
    """Write the encoder of (variant, lang) to `out_dir` as a sentence-transformers directory."""
    spec = get_variant(variant)
    lang, pivot = get_language(lang).code, get_language(pivot).code
    modules = encoder_modules(spec.name, lang, pivot, store=ModuleStore(str(store)), full_dir=str(full_dir))
    cla = modules.pop("cla", None)
    try:
        model = encoder_from_modules(base_model, modules, device="cpu")
    except FileNotFoundError as e:
        raise FileNotFoundError(f"variant {variant!r}, language {lang!r}: {e}") from None
    if cla is not None and not Path(cla).is_dir():
        raise FileNotFoundError(f"variant {variant!r}, language {lang!r}: missing module(s): {cla}")
    out_dir = Path(out_dir)
    with atomic_output(out_dir) as tmp:
        model.save(str(tmp))
        if cla is not None:
            (tmp / ADAPTER_DIR).mkdir()
            for name in (ADAPTER_WEIGHTS, ADAPTER_CONFIG):
                shutil.copy2(Path(cla) / name, tmp / ADAPTER_DIR / name)
            _name_transformer_class(tmp / "modules.json", ALIGNED_TRANSFORMER)
        parts = {**modules, **({"cla": cla} if cla else {})}
        (tmp / "README.md").write_text(model_card(spec.name, lang, base_model, parts, scores, out_dir.name),
                                       encoding="utf-8")
    log.info("%s/%s exported to %s", variant, lang, out_dir)
    return out_dir


def _name_transformer_class(modules_json: Path, class_ref: str) -> None:
    entries = json.loads(modules_json.read_text(encoding="utf-8"))
    transformer = [e for e in entries if e["type"].endswith(".Transformer")]
    if len(transformer) != 1:
        raise ValueError(f"{modules_json}: expected one Transformer module, found {len(transformer)}")
    transformer[0]["type"] = class_ref
    modules_json.write_text(json.dumps(entries, indent=2), encoding="utf-8")


def _language_scores(scores: Path, variant: str, lang: str) -> list[dict]:
    with open(scores, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f)
                if row["variant"] == variant and lang in row["unit"].split("-")]


def model_card(variant: str, lang: str, base_model: str, modules: dict, scores, name: str) -> str:
    """README.md of an exported encoder: what it is made of, its scores, how it was trained, how to load it."""
    lines = [f"# {name}: modsent encoder, variant `{variant}`, language `{lang}`", "",
             f"- base model: `{base_model}`", f"- language: `{lang}` ({get_language(lang).name})",
             f"- variant: `{variant}` (a row of the paper's grid; modsent's docs/METHOD.md)", ""]
    sized = [row for role, path in modules.items() if role not in ("tokenizer", "full")
             for row in describe_module(path)]
    if sized:
        base = base_parameters(base_model)
        lines += ["## Modules on the base model", "", "| module | parameters | % of the base |", "|---|---:|---:|"]
        lines += [f"| {row['module']} | {row['parameters']:,} | {100 * row['parameters'] / base:.2f} |" for row in sized]
        lines += [f"| base model | {base:,} | 100.00 |", ""]
    if scores is not None and Path(scores).is_file():
        rows = _language_scores(Path(scores), variant, lang)
        lines += ["## Scores involving this language", "", f"From `{scores}` (rows of `{variant}`).", ""]
        if rows:
            lines += ["| dataset | unit | metric | value |", "|---|---|---|---:|"]
            lines += [f"| {r['dataset']} | {r['unit']} | {r['metric']} | {float(r['value']):.4f} |" for r in rows]
        else:
            lines += ["None: the scores table has no row of this variant and language."]
        lines.append("")
    records = {role: read_training_record(path) for role, path in modules.items() if role != "tokenizer"}
    records = {role: record for role, record in records.items() if record}
    if records:
        lines += ["## Training", ""]
        for role, record in records.items():
            settings = ", ".join(f"{k}={record[k]}" for k in CARD_SETTINGS if k in record)
            lines.append(f"- {role}: {settings}")
        lines.append("")
    lines += ["## Loading", "", "```python", "from sentence_transformers import SentenceTransformer", "",
              f'model = SentenceTransformer("{name}"{", trust_remote_code=True" if "cla" in modules else ""})',
              f"embeddings = model.encode([...])  # {lang} sentences", "```", ""]
    if "cla" in modules:
        lines += ["The CLA adapter (`cla/`) is loaded by `modsent.modules.exported.AlignedTransformer`: "
                  "install modsent (`pip install modsent`) to load this model; `trust_remote_code=True` "
                  "lets sentence-transformers import it without a warning.", ""]
    return "\n".join(lines)
