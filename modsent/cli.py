"""`modsent` command line.

    modsent evaluate --model PATH_OR_HUB_ID --config CONFIG --out DIR
    modsent encode --store results/modules --base-model MODEL [--lang de] --input FILE --out FILE.npy
    modsent export --store results/modules --base-model MODEL --variant mod_mc_jt --lang de --out DIR

`evaluate` evaluates any sentence-transformers model on the configured evaluation sets with
the same functions the workflow's evaluation jobs run, and writes DIR/scores.csv plus the
rendered tables. Embeddings are cached in DIR, keyed by the model's files and the texts,
so rerunning the same model on the same data only scores. `encode` embeds sentences with
the trained modules on one shared base (modsent.modules.composition.ModularEncoder), each
sentence with its language's modules, the language given or identified. `export` writes one
(variant, language) encoder as a sentence-transformers directory with a model card.
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


def read_sentences(path: str, column: str | None = None) -> list[str]:
    """Sentences of a file ("-": stdin): one a line, or the `column` of a TSV (with a header
    row) or of a JSON-lines file. An empty sentence is an error: rows and embeddings align."""
    import csv
    import io
    import json

    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    where = "stdin" if path == "-" else path
    if path.endswith(".jsonl"):
        if not column:
            raise ValueError(f"{where}: a JSON-lines file needs --column (the key holding the sentence)")
        rows = [(n, json.loads(line)) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        missing = [n for n, row in rows if not isinstance(row, dict) or column not in row]
        if missing:
            raise ValueError(f"{where}:{missing[0]}: no key {column!r}")
        sentences = [(n, str(row[column])) for n, row in rows]
    elif path.endswith(".tsv"):
        if not column:
            raise ValueError(f"{where}: a TSV file needs --column (a name of its header row)")
        reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
        if column not in (reader.fieldnames or []):
            raise ValueError(f"{where}: no column {column!r}; columns: {reader.fieldnames}")
        sentences = [(n, row[column] or "") for n, row in enumerate(reader, start=2)]
    else:
        if column:
            raise ValueError(f"{where}: --column is for .tsv and .jsonl input; this is one sentence a line")
        sentences = list(enumerate(text.splitlines(), start=1))
    if not sentences:
        raise ValueError(f"{where}: no sentences")
    empty = [n for n, sentence in sentences if not sentence.strip()]
    if empty:
        raise ValueError(f"{where}:{empty[0]}: empty sentence ({len(empty)} in all); every row needs one")
    return [sentence for _, sentence in sentences]


def encode_file(encoder, path: str, out: str | Path, *, column: str | None = None, lang: str | None = None,
                batch_size: int = 64, normalize: bool = False, progress=None) -> int:
    """Embed the sentences of `path` with a ModularEncoder into `out` (.npy: the matrix;
    .jsonl: one {"text", "lang", "embedding"} a line); return how many."""
    import json
    import time

    import numpy as np

    from modsent.utils import atomic_output

    progress = progress or sys.stderr
    out = Path(out)
    if out.suffix not in (".npy", ".jsonl"):
        raise ValueError(f"{out}: write .npy or .jsonl")
    sentences = read_sentences(path, column)
    langs = [lang] * len(sentences) if lang else encoder.identify(sentences)
    start, done = time.monotonic(), 0

    def report(n):
        nonlocal done
        done += n
        rate = done / max(time.monotonic() - start, 1e-9)
        bar = "#" * int(30 * done / len(sentences))
        print(f"\r[{bar:<30}] {done}/{len(sentences)} sentences, {rate:.1f} sentences/s", end="", file=progress)

    embeddings = np.zeros((len(sentences), 0), dtype=np.float32)
    for one in dict.fromkeys(langs):
        rows = [i for i, other in enumerate(langs) if other == one]
        emb = encoder.encode([sentences[i] for i in rows], lang=one, batch_size=batch_size, normalize=normalize,
                             on_batch=report)
        if embeddings.shape[1] == 0:
            embeddings = np.zeros((len(sentences), emb.shape[1]), dtype=np.float32)
        embeddings[rows] = emb
    print(file=progress)
    with atomic_output(out) as tmp:
        if out.suffix == ".npy":
            with open(tmp, "wb") as f:
                np.save(f, embeddings)
        else:
            with open(tmp, "w", encoding="utf-8") as f:
                for text, one, row in zip(sentences, langs, embeddings):
                    f.write(json.dumps({"text": text, "lang": one, "embedding": [round(float(x), 7) for x in row]},
                                       ensure_ascii=False) + "\n")
    return len(sentences)


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
    n = sub.add_parser("encode", help="embed sentences with the modular encoder (language given or identified)")
    n.add_argument("--store", default="results/modules", help="the module store")
    n.add_argument("--base-model", required=True, help="the base model the modules were trained on")
    n.add_argument("--variant", default="mod_mc_jt", help="the grid row whose modules encode")
    n.add_argument("--lang", help="every sentence's language; omitted: identified per sentence (the store's identifier)")
    n.add_argument("--input", default="-", help="a file (one sentence a line, .tsv or .jsonl with --column) or - (stdin)")
    n.add_argument("--column", help="the TSV column or JSON key holding the sentence")
    n.add_argument("--out", required=True, help=".npy (the matrix) or .jsonl (text, lang, embedding a line)")
    n.add_argument("--batch-size", type=int, default=64)
    n.add_argument("--normalize", action="store_true", help="unit-length embeddings")
    n.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    x = sub.add_parser("export", help="one (variant, language) encoder as a sentence-transformers directory")
    x.add_argument("--store", default="results/modules", help="the module store")
    x.add_argument("--full-dir", help="where the full baselines are (default: full/ beside the store)")
    x.add_argument("--base-model", required=True, help="the base model the modules were trained on")
    x.add_argument("--variant", default="mod_mc_jt")
    x.add_argument("--lang", required=True)
    x.add_argument("--pivot", default="en")
    x.add_argument("--scores", help="scores.csv whose rows of this variant and language go in the model card")
    x.add_argument("--out", required=True)
    a = p.parse_args(argv)
    try:
        if a.command == "export":
            from modsent.export import export_encoder

            full_dir = a.full_dir or str(Path(a.store).parent / "full")
            out = export_encoder(a.variant, a.lang, a.out, base_model=a.base_model, store=a.store, full_dir=full_dir,
                                 pivot=a.pivot, scores=a.scores)
            print(f"modsent: {a.variant}/{a.lang} in {out} (model card: {out / 'README.md'})")
            return 0
        if a.command == "encode":
            from modsent.modules.composition import ModularEncoder

            encoder = ModularEncoder(a.store, a.base_model, a.variant, device=a.device)
            count = encode_file(encoder, a.input, a.out, column=a.column, lang=a.lang, batch_size=a.batch_size,
                                normalize=a.normalize)
            print(f"modsent: {count} embeddings in {a.out}")
            return 0
        config = load_config(a.config, workflow=False)  # the model is given: no training stage runs
        scores = evaluate_model(a.model, config, a.out, name=a.name, device=a.device)
    except (ConfigError, FileNotFoundError, ValueError) as err:  # UnknownLanguageError is a ValueError
        print(f"modsent: error: {err}", file=sys.stderr)
        return 2
    print(f"modsent: scores in {scores}; tables in {Path(a.out) / 'table1.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
