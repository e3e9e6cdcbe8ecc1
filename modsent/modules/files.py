"""The two JSON files of a trained module's directory, kept apart: `config.json` holds what
loading it needs (an SE's pooling; a language module's vocabulary size and pad id),
`record.json` the record of its training (seconds, steps, device, settings, data).

A full baseline is a sentence-transformers directory, whose `config.json` is the model's own,
and a CLA adapter loads from adapters' `adapter_config.json`: both carry `record.json` only.
"""

from __future__ import annotations

import json
from pathlib import Path

MODULE_CONFIG = "config.json"
TRAINING_RECORD = "record.json"


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def read_module_config(module_dir: str | Path, what: str) -> dict:
    """A module's config.json; FileNotFoundError naming the directory and the kind expected."""
    path = Path(module_dir) / MODULE_CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{module_dir}: not {what} directory (no {MODULE_CONFIG})")
    return json.loads(path.read_text(encoding="utf-8"))


def read_training_record(module_dir: str | Path) -> dict | None:
    path = Path(module_dir) / TRAINING_RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
