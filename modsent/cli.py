"""`modsent` command line.

    modsent evaluate --model PATH_OR_HUB_ID --config CONFIG --out DIR

evaluates any sentence-transformers model on the configured evaluation sets with the
same functions the workflow's evaluation jobs run, and writes DIR/scores.csv plus the
rendered tables. Embeddings are cached in DIR, keyed by the model's files and the texts,
so rerunning the same model on the same data only scores.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from modsent.aggregate import aggregate_scores, write_skipped
from modsent.config import ConfigError, load_config
from modsent.evaluation.embeddings import embed_cached, embeddings_path, model_fingerprint
from modsent.evaluation.scoring import score_variants, scoring_units, write_score_rows
from modsent.evaluation.texts import every_language, open_dataset, open_datasets, write_texts
from modsent.tables import render_tables
from modsent.utils import pick_device, setup_logging

log = logging.getLogger("modsent.cli")


def evaluate_model(model: str, config: dict, out_dir: str | Path, *, name: str | None = None,
                   device: str = "auto") -> Path:
    """Evaluate a sentence-transformers model (hub id or local dir); return DIR/scores.csv."""
    from sentence_transformers import SentenceTransformer

    out_dir = Path(out_dir)
    variant = name or Path(model.rstrip("/")).name
    specs = config["evaluation"]["datasets"]
    if not specs:
        raise ConfigError("config['evaluation']['datasets'] is empty: nothing to evaluate")
    # Open every dataset first: a missing file fails before the model is even loaded.
    datasets = open_datasets(specs, config["languages"])
    # Every text is read (and every data file checked) before the model is loaded.
    for dataset_name, dataset in datasets.items():
        unrestricted = open_dataset(dataset_name, specs[dataset_name], every_language())
        for lang in dataset.languages():
            write_texts(unrestricted, lang, out_dir / "texts" / dataset_name / f"{lang}.txt")
    model_key = model_fingerprint(model)
    encoder = SentenceTransformer(model, device=pick_device(device))
    encoder.max_seq_length = config["evaluation"]["max_seq_length"]

    score_files, skipped = [], []
    for dataset_name, dataset in datasets.items():
        skipped += [(dataset_name, item, reason) for item, reason in dataset.skipped()]
        texts_dir = out_dir / "texts" / dataset_name
        emb_root = out_dir / "embeddings" / dataset_name
        for lang in dataset.languages():
            # The cache is keyed by the model's files and the texts, not by the variant name.
            if embed_cached(encoder, texts_dir / f"{lang}.txt", embeddings_path(emb_root, lang, variant), model_key,
                            batch_size=config["evaluation"]["batch_size"]):
                log.info("encoded %s %s", dataset_name, lang)
        texts = {lang: texts_dir / f"{lang}.txt" for lang in dataset.languages()}
        embeddings = {lang: emb_root / lang for lang in dataset.languages()}
        for unit in scoring_units(dataset):
            rows = score_variants(dataset, unit, [variant], texts, embeddings,
                                  pivot=config["pivot"], seed=config["seed"])
            path = out_dir / "scores" / variant / dataset_name / f"{unit}.csv"
            write_score_rows(rows, path)
            score_files.append(path)
    aggregate_scores(score_files, out_dir / "scores.csv")
    write_skipped(skipped, out_dir / "skipped.csv")
    render_tables(out_dir / "scores.csv", out_dir / "skipped.csv", out_dir)
    return out_dir / "scores.csv"


def main(argv=None) -> int:
    setup_logging()
    p = argparse.ArgumentParser(prog="modsent", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("evaluate", help="evaluate any sentence-transformers model on the configured sets")
    e.add_argument("--model", required=True, help="hub id or local sentence-transformers directory")
    e.add_argument("--config", required=True, help="a modsent config (its evaluation section and languages)")
    e.add_argument("--out", required=True, help="output directory")
    e.add_argument("--name", help="the row label in the tables (default: the model's name)")
    e.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    a = p.parse_args(argv)
    try:
        config = load_config(a.config, workflow=False)  # the model is given: no training stage runs
        scores = evaluate_model(a.model, config, a.out, name=a.name, device=a.device)
    except (ConfigError, FileNotFoundError, ValueError) as err:
        print(f"modsent: error: {err}", file=sys.stderr)
        return 2
    print(f"modsent: scores in {scores}; tables in {Path(a.out) / 'table1.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
