"""Module sizes and training times (the paper's Table 4) -> results/tables/modules.csv.

One row per stored module and language: its parameter count (read from the safetensors
headers, nothing is loaded), its size as % of the base model, and the training time of
the step that produced it (the "seconds" of the module directory's record.json,
modsent/modules/files.py). The LA directory yields two rows, the embedding
layer and the language adapter, trained together in one step.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from modsent.modules.files import read_training_record
from modsent.utils import atomic_output, setup_logging

COLUMNS = ["step", "module", "lang", "parameters", "percent_of_base", "training_seconds", "path"]
# Row order of the table: the pipeline's order, as in the paper's Table 4.
MODULE_ORDER = ["embedding layer", "language adapter", "SE adapter", "SE adapter (w/o LA)", "CLA adapter"]


def safetensors_parameters(path: Path) -> int:
    """Number of parameters stored in a safetensors file (from its header)."""
    from safetensors import safe_open

    total = 0
    with safe_open(str(path), framework="pt") as f:
        for key in f.keys():
            n = 1
            for dim in f.get_slice(key).get_shape():
                n *= dim
            total += n
    return total


def training_seconds(module_dir: Path) -> float | None:
    """The "seconds" recorded by the job that trained this module directory, if any."""
    record = read_training_record(module_dir)
    return float(record["seconds"]) if record and "seconds" in record else None


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"module file {path} does not exist")
    return path


def describe_module(module_dir: str | Path) -> list[dict]:
    """Rows (without the % of base) for one module directory of the store.

    Understood layouts: {lang}/la, {lang}/se, base/se-{lang}, {lang}/cla-{kind}.
    """
    module_dir = Path(module_dir)
    name, owner = module_dir.name, module_dir.parent.name
    if not module_dir.is_dir():
        raise FileNotFoundError(f"module directory {module_dir} does not exist")
    seconds = training_seconds(module_dir)
    if name == "la":
        return [
            {"step": "language adaptation", "module": "embedding layer", "lang": owner,
             "parameters": safetensors_parameters(_require(module_dir / "embeddings.safetensors")),
             "training_seconds": seconds, "path": str(module_dir / "embeddings.safetensors")},
            {"step": "language adaptation", "module": "language adapter", "lang": owner,
             "parameters": safetensors_parameters(_require(module_dir / "lora.safetensors")),
             "training_seconds": seconds, "path": str(module_dir / "lora.safetensors")},
        ]
    if name == "se" or (owner == "base" and name.startswith("se-")):
        without_la = owner == "base"
        return [{"step": "sentence encoding", "module": "SE adapter (w/o LA)" if without_la else "SE adapter",
                 "lang": name[len("se-"):] if without_la else owner,
                 "parameters": safetensors_parameters(_require(module_dir / "lora.safetensors")),
                 "training_seconds": seconds, "path": str(module_dir)}]
    if name.startswith("cla-"):
        files = sorted(module_dir.glob("*.safetensors"))
        if not files:
            raise FileNotFoundError(f"{module_dir}: no safetensors weights in the CLA adapter directory")
        return [{"step": "cross-lingual alignment", "module": f"CLA adapter ({name[len('cla-'):]})", "lang": owner,
                 "parameters": sum(safetensors_parameters(f) for f in files),
                 "training_seconds": seconds, "path": str(module_dir)}]
    raise ValueError(f"{module_dir}: not a module directory this table knows (la, se, base/se-<lang>, cla-<kind>)")


def _table_order(row: dict) -> tuple:
    kind = "CLA adapter" if row["module"].startswith("CLA adapter") else row["module"]
    return MODULE_ORDER.index(kind), row["module"], row["lang"]


def base_parameters(base_model: str) -> int:
    from sentence_transformers import SentenceTransformer

    return sum(p.numel() for p in SentenceTransformer(str(base_model), device="cpu").parameters())


def module_sizes(base_model: str, module_dirs: list[str | Path], out_csv: str | Path) -> list[dict]:
    """Write the module-size table for `module_dirs` (sizes relative to `base_model`) and return its rows."""
    described = [row for d in module_dirs for row in describe_module(d)]  # bad paths fail before the model loads
    described.sort(key=_table_order)
    base = base_parameters(base_model)
    rows = [{"step": "base", "module": "base model", "lang": "", "parameters": base,
             "training_seconds": None, "path": str(base_model)}] + described
    for row in rows:
        row["percent_of_base"] = round(100 * row["parameters"] / base, 4)
    with atomic_output(out_csv) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "training_seconds": "" if row["training_seconds"] is None else row["training_seconds"]})
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=module_sizes.__doc__)
    p.add_argument("--base-model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("modules", nargs="*", help="module directories: modules/{lang}/la, .../se, modules/base/se-{lang}, .../cla-{kind}")
    a = p.parse_args(argv)
    setup_logging()
    module_sizes(a.base_model, a.modules, a.out)


if __name__ == "__main__":
    main()
