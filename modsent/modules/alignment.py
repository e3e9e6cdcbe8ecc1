"""The cross-lingual alignment (CLA) adapter format: a parallel bottleneck adapter
(adapters' ParBnConfig) saved as safetensors with its adapter config and training record;
modsent/align.py trains it."""

from __future__ import annotations

import json
from pathlib import Path

from modsent.modules.files import TRAINING_RECORD, write_json
from modsent.utils import atomic_output

ADAPTER_NAME = "cla"
ADAPTER_WEIGHTS = "adapter.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


def add_alignment_adapter(model) -> list:
    """Add a fresh ParBnConfig() adapter to a SentenceTransformer, freeze the rest; return its parameters."""
    import adapters

    body = model[0].auto_model
    adapters.init(body)
    body.add_adapter(ADAPTER_NAME, config=adapters.ParBnConfig())
    body.train_adapter(ADAPTER_NAME)  # freezes every other parameter and activates the adapter
    in_body = {id(p) for p in body.parameters()}
    for p in model.parameters():  # modules outside the body (pooling, dense heads) stay frozen too
        if id(p) not in in_body:
            p.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def apply_alignment_adapter(st_model, cla_dir: str | Path) -> None:
    """Add the CLA adapter saved in `cla_dir` to a composed SentenceTransformer and activate it."""
    body = st_model[0].auto_model
    load_alignment_adapter(body, cla_dir, ADAPTER_NAME)
    body.set_active_adapters(ADAPTER_NAME)


def load_alignment_adapter(body, cla_dir: str | Path, name: str) -> int:
    """Load the CLA adapter saved in `cla_dir` into a bare encoder as adapter `name` (inactive);
    return its number of parameters."""
    import adapters

    cla_dir = Path(cla_dir)
    for file in (ADAPTER_WEIGHTS, ADAPTER_CONFIG):
        if not (cla_dir / file).is_file():
            raise FileNotFoundError(f"{cla_dir}: not a CLA adapter directory (no {file})")
    saved_hidden = json.loads((cla_dir / ADAPTER_CONFIG).read_text(encoding="utf-8")).get("hidden_size")
    if saved_hidden is not None and saved_hidden != body.config.hidden_size:
        raise ValueError(f"{cla_dir}: adapter for hidden size {saved_hidden}, the model has {body.config.hidden_size}")
    if not hasattr(body, "adapters_config"):
        adapters.init(body)
    if name in body.adapters_config:
        raise ValueError(f"the model already has a CLA adapter named {name!r}; cannot add {cla_dir}")
    body.load_adapter(str(cla_dir), load_as=name, set_active=False, use_safetensors=True)
    return sum(p.numel() for n, p in body.named_parameters() if f".{name}." in n)


def save_alignment_adapter(model, out_dir: str | Path, record: dict) -> None:
    """Write the model's CLA adapter (safetensors) and its training record to `out_dir`."""
    with atomic_output(out_dir) as tmp:
        model[0].auto_model.save_adapter(str(tmp), ADAPTER_NAME, use_safetensors=True)
        write_json(tmp / TRAINING_RECORD, record)

