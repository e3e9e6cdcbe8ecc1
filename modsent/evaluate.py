"""Evaluation stage: texts per (dataset, language) -> embeddings per (encoder, dataset,
language), cached on disk -> scores per unit (a language or a language pair) for every variant.

The command line of the workflow's evaluation jobs (`python -m modsent.evaluate
texts|embed|score`); the jobs themselves are modsent/evaluation/ (texts, embeddings,
scoring), which `modsent evaluate` calls in-process for any sentence-transformers model.
"""

from __future__ import annotations

import argparse
import json
import logging

from modsent.evaluation.embeddings import embed_job
from modsent.evaluation.scoring import score_job
from modsent.evaluation.texts import texts_job
from modsent.utils import lang_path_argument

log = logging.getLogger("modsent.evaluate")


def main(argv=None) -> None:
    from modsent.utils import setup_logging

    setup_logging()
    p = argparse.ArgumentParser(prog="python -m modsent.evaluate", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("texts", help="write the texts of one language of one dataset")
    t.add_argument("--dataset", required=True)
    t.add_argument("--spec", required=True, help="the dataset's config entry as JSON")
    t.add_argument("--lang", required=True)
    t.add_argument("--out", required=True)

    e = sub.add_parser("embed", help="encode one language's texts with the encoders of some variants")
    e.add_argument("--lang", required=True)
    e.add_argument("--texts", required=True, help="the language's texts file (<lang>.txt)")
    e.add_argument("--encoders", required=True, type=json.loads,
                   help='JSON: variant -> role -> module directory, e.g. {"base": {}, "mod_m": {"tokenizer": ..., '
                        '"la": ..., "se": ...}, "full_m": {"full": ...}}')
    e.add_argument("--out", required=True, help="writes <out>/<variant>.npy")
    e.add_argument("--base-model", required=True)
    e.add_argument("--batch-size", type=int, default=64)
    e.add_argument("--max-seq-length", type=int, default=128)
    e.add_argument("--device", default="auto")
    e.add_argument("--threads", type=int, help="CPU threads of torch (the job's share of the machine)")

    s = sub.add_parser("score", help="score some units of one dataset for some variants from cached embeddings")
    s.add_argument("--dataset", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--units", nargs="+", required=True)
    s.add_argument("--variants", required=True, help="comma-separated grid variants")
    s.add_argument("--texts", nargs="+", required=True, type=lang_path_argument, metavar="LANG=PATH",
                   help="each language's texts file (the units' languages)")
    s.add_argument("--embeddings", nargs="+", required=True, type=lang_path_argument, metavar="LANG=DIR",
                   help="each language's folder of the embedding cache (<variant>.npy)")
    s.add_argument("--pivot", default="en")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)

    a = p.parse_args(argv)
    if a.command == "texts":
        n = texts_job(a.dataset, json.loads(a.spec), a.lang, a.out)
        log.info("%s/%s: %d texts", a.dataset, a.lang, n)
    elif a.command == "embed":
        from modsent.utils import pick_device

        if a.threads:
            import torch

            torch.set_num_threads(a.threads)
        n = embed_job(
            {a.lang: a.encoders}, {a.lang: a.texts}, {a.lang: a.out}, base_model=a.base_model,
            batch_size=a.batch_size, max_seq_length=a.max_seq_length, device=pick_device(a.device),
        )
        log.info("%d encoder(s) composed", n)
    else:
        rows = score_job(
            a.dataset, json.loads(a.spec), a.units, a.variants.split(","), dict(a.texts), dict(a.embeddings),
            a.out, pivot=a.pivot, seed=a.seed,
        )
        for row in rows:
            log.info("%s %s %s %s: %.4f", row["variant"], row["dataset"], row["unit"], row["metric"], row["value"])


if __name__ == "__main__":
    main()
