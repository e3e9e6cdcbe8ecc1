"""Evaluation stage: texts per (dataset, language) -> embeddings per (encoder, dataset,
language), cached on disk -> scores per unit (a language or a language pair).

Scorers only read cached embeddings, so a cross-lingual pair never re-encodes. The same
functions back the workflow's rules (`python -m modsent.evaluate texts|embed|score`)
and `modsent evaluate`, which runs them in-process for any sentence-transformers model.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from modsent import metrics
from modsent.utils import atomic_output

log = logging.getLogger("modsent.evaluate")

SCORE_COLUMNS = ("variant", "task", "dataset", "unit", "setting", "metric", "value")
LANGUAGE_BIAS_UNIT = "all"


def _one_line(text: str) -> str:
    return " ".join(str(text).split("\n")).replace("\r", " ")


# --------------------------------------------------------------------------- texts
def write_texts(dataset, lang: str, out_path: str | Path) -> int:
    """Write every text of `lang` the dataset needs, one per line; return the count."""
    texts = [_one_line(t) for t in dataset.texts(lang)]
    with atomic_output(out_path) as tmp:
        tmp.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return len(texts)


def read_texts(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


# --------------------------------------------------------------------------- embeddings
def embed_texts(encoder, texts_path: str | Path, out_path: str | Path, *, batch_size: int = 64) -> np.ndarray:
    """Encode the texts file with a sentence-transformers-like encoder; save float32 .npy."""
    texts = read_texts(texts_path)
    if texts:
        emb = encoder.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    else:
        emb = np.zeros((0, encoder.get_sentence_embedding_dimension()))
    emb = np.asarray(emb, dtype=np.float32)
    with atomic_output(out_path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, emb)
    return emb


class EmbeddingLookup:
    """Embeddings of arbitrary texts of one dataset, served from the per-language cache.

    `embeddings` is a directory holding `<lang>.npy` files, or a mapping lang -> .npy path
    (the workflow shares one cache between variants whose encoder of a language is the same).
    """

    def __init__(self, texts_dir: str | Path, embeddings):
        self.texts_dir = Path(texts_dir)
        if isinstance(embeddings, dict):
            self._paths = {lang: Path(path) for lang, path in embeddings.items()}
        else:
            self._paths = None
            self._dir = Path(embeddings)
        self._cache: dict[str, tuple[dict[str, int], np.ndarray]] = {}

    def _npy(self, lang: str) -> Path:
        if self._paths is None:
            return self._dir / f"{lang}.npy"
        if lang not in self._paths:
            raise KeyError(f"no embeddings were given for language {lang!r}")
        return self._paths[lang]

    def _load(self, lang: str):
        if lang not in self._cache:
            texts = read_texts(self.texts_dir / f"{lang}.txt")
            npy = self._npy(lang)
            emb = np.load(npy)
            if len(texts) != len(emb):
                raise ValueError(
                    f"{npy} has {len(emb)} rows but {self.texts_dir / f'{lang}.txt'} has "
                    f"{len(texts)} texts: rerun the embedding job"
                )
            self._cache[lang] = ({t: i for i, t in enumerate(texts)}, emb)
        return self._cache[lang]

    def __call__(self, lang: str, texts) -> np.ndarray:
        index, emb = self._load(lang)
        try:
            rows = [index[_one_line(t)] for t in texts]
        except KeyError as e:
            raise KeyError(f"text not in the {lang} embedding cache of {self.texts_dir}: {e.args[0]!r}") from None
        return emb[rows]


# --------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class Score:
    metric: str
    value: float
    setting: str


Lookup = Callable[[str, list[str]], np.ndarray]


def _sts(dataset, unit, lookup: Lookup) -> list[Score]:
    # Symmetric pairs (de-fr, fr-de) are averaged, as in the paper.
    values = []
    for l1, l2 in dataset.directions(unit):
        data = dataset.load(l1, l2)
        values.append(metrics.sts_spearman(lookup(l1, data.s1), lookup(l2, data.s2), data.scores))
    return [Score("spearman", float(np.mean(values)), unit.setting)]


def _language_bias(dataset, lookup: Lookup) -> list[Score]:
    units = []
    for l1, l2 in dataset.bilingual_directions():
        data = dataset.load(l1, l2)
        units.append((lookup(l1, data.s1), lookup(l2, data.s2), data.scores))
    return [Score("language_bias", metrics.language_bias(units), "cross")]


def _bitext(dataset, unit, lookup: Lookup) -> list[Score]:
    a, b = unit.langs
    texts_a, texts_b = dataset.load(a, b)
    emb_a, emb_b = lookup(a, texts_a), lookup(b, texts_b)
    a_to_b, b_to_a = metrics.xsim_both_directions(emb_a, emb_b, texts_a, texts_b)
    scores = [Score("xsim", (a_to_b + b_to_a) / 2, "cross")]
    if dataset.name == "flores":
        scores.append(Score("rsim", metrics.rsim(emb_a, emb_b), "cross"))
    return scores


def _classification(dataset, unit, lookup: Lookup, pivot: str, seed: int) -> list[Score]:
    if unit.setting == "mono":
        train_lang = test_lang = unit.langs[0]
    else:  # zero-shot cross-lingual transfer: train on the pivot, test on the other language
        train_lang = pivot
        (test_lang,) = [lang for lang in unit.langs if lang != pivot]
    train_x, train_y = dataset.load(train_lang, "train")
    test_x, test_y = dataset.load(test_lang, dataset.eval_split)
    acc = metrics.classification_accuracy(
        lookup(train_lang, train_x), train_y, lookup(test_lang, test_x), test_y, seed=seed
    )
    return [Score("accuracy", acc, unit.setting)]


def _multiple_choice(dataset, unit, lookup: Lookup) -> list[Score]:
    (lang,) = unit.langs
    passages, options, correct = dataset.mcqa_texts(lang)
    option_emb = lookup(lang, [o for row in options for o in row]).reshape(len(options), len(options[0]), -1)
    return [Score("accuracy", metrics.multiple_choice_accuracy(lookup(lang, passages), option_emb, correct), "mono")]


def score_unit(dataset, unit_name: str, lookup: Lookup, *, pivot: str = "en", seed: int = 0) -> list[Score]:
    """All metrics of one unit of one dataset, from cached embeddings."""
    if unit_name == LANGUAGE_BIAS_UNIT:
        return _language_bias(dataset, lookup)
    unit = dataset.unit(unit_name)
    if dataset.task in ("sts", "str"):
        return _sts(dataset, unit, lookup)
    if dataset.task == "bitext":
        return _bitext(dataset, unit, lookup)
    if dataset.task == "cls":
        return _classification(dataset, unit, lookup, pivot, seed)
    if dataset.task == "mcqa":
        return _multiple_choice(dataset, unit, lookup)
    raise ValueError(f"dataset {dataset.name!r} has an unknown task {dataset.task!r}")


def score_rows(variant: str, dataset, unit_name: str, scores: list[Score]) -> list[dict]:
    return [
        {"variant": variant, "task": dataset.task, "dataset": dataset.name, "unit": unit_name,
         "setting": s.setting, "metric": s.metric, "value": round(float(s.value), 6)}
        for s in scores
    ]


def write_score_rows(rows: list[dict], out_path: str | Path) -> None:
    with atomic_output(out_path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=SCORE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


def scoring_units(dataset) -> list[str]:
    """Names of the score jobs of a dataset: its units, plus language bias where defined."""
    names = [u.name for u in dataset.units()]
    if getattr(dataset, "multi_parallel", False) and len(dataset.bilingual_directions()) > 1:
        names.append(LANGUAGE_BIAS_UNIT)
    return names


# --------------------------------------------------------------------------- jobs
def texts_job(dataset_name: str, spec: dict, lang: str, out: str | Path) -> int:
    """The texts of one language of one dataset, unrestricted by the configured languages
    (so adding a language never changes another language's texts and embeddings)."""
    return write_texts(open_dataset(dataset_name, spec, every_language()), lang, out)


def score_job(dataset_name: str, spec: dict, languages, unit: str, variant: str, texts_dir,
              embeddings: dict, out: str | Path, *, pivot: str = "en", seed: int = 0) -> list[Score]:
    """Score one unit from cached embeddings and write its long-format rows to `out`."""
    dataset = open_dataset(dataset_name, spec, languages)
    scores = score_unit(dataset, unit, EmbeddingLookup(texts_dir, embeddings), pivot=pivot, seed=seed)
    write_score_rows(score_rows(variant, dataset, unit, scores), out)
    return scores


# --------------------------------------------------------------------------- datasets
def open_dataset(name: str, spec: dict, languages):
    from modsent.evaldata import get_dataset

    return get_dataset(name, spec, list(languages))


def every_language() -> list[str]:
    """All codes modsent knows: a dataset opened with these is not restricted at all."""
    from modsent.languages import all_languages

    return [lang.code for lang in all_languages()]


# --------------------------------------------------------------------------- CLI
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

    e = sub.add_parser("embed", help="encode one texts file with the encoder of (variant, language)")
    e.add_argument("--texts", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--variant", required=True)
    e.add_argument("--lang", required=True)
    e.add_argument("--base-model", required=True)
    e.add_argument("--store", default="results/modules")
    e.add_argument("--full-dir", default="results/full")
    e.add_argument("--pivot", default="en")
    e.add_argument("--batch-size", type=int, default=64)
    e.add_argument("--max-seq-length", type=int, default=128)
    e.add_argument("--device", default="auto")

    s = sub.add_parser("score", help="score one unit of one dataset from cached embeddings")
    s.add_argument("--dataset", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--languages", required=True, help="comma-separated languages the unit involves")
    s.add_argument("--unit", required=True)
    s.add_argument("--variant", required=True)
    s.add_argument("--texts-dir", required=True)
    s.add_argument("--embeddings", nargs="+", required=True, metavar="LANG=NPY",
                   help="the cached embeddings of each language of the unit")
    s.add_argument("--pivot", default="en")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)

    a = p.parse_args(argv)
    if a.command == "texts":
        n = texts_job(a.dataset, json.loads(a.spec), a.lang, a.out)
        log.info("%s/%s: %d texts", a.dataset, a.lang, n)
    elif a.command == "embed":
        from modsent.encoder import compose_encoder
        from modsent.utils import pick_device

        encoder = compose_encoder(
            a.variant, a.lang, base_model=a.base_model, store=a.store, full_dir=a.full_dir,
            pivot=a.pivot, device=pick_device(a.device),
        )
        encoder.max_seq_length = a.max_seq_length
        emb = embed_texts(encoder, a.texts, a.out, batch_size=a.batch_size)
        log.info("%s: %s embeddings", a.out, emb.shape)
    else:
        scores = score_job(
            a.dataset, json.loads(a.spec), a.languages.split(","), a.unit, a.variant, a.texts_dir,
            dict(item.split("=", 1) for item in a.embeddings), a.out, pivot=a.pivot, seed=a.seed,
        )
        for s_ in scores:
            log.info("%s %s %s %s: %.4f", a.variant, a.dataset, a.unit, s_.metric, s_.value)


if __name__ == "__main__":
    main()
