"""Evaluation stage: texts per (dataset, language) -> embeddings per (encoder, dataset,
language), cached on disk -> scores per unit (a language or a language pair) for every variant.

Scorers only read cached embeddings, so a cross-lingual pair never re-encodes. The same
functions back the workflow's rules (`python -m modsent.evaluate texts|embed|score`)
and `modsent evaluate`, which runs them in-process for any sentence-transformers model.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from modsent import metrics
from modsent.progress import Progress
from modsent.store import ModuleStore, Results
from modsent.tsv import clean_text
from modsent.utils import atomic_output

log = logging.getLogger("modsent.evaluate")

SCORE_COLUMNS = ("variant", "task", "dataset", "unit", "setting", "metric", "value")
LANGUAGE_BIAS_UNIT = "all"


# --------------------------------------------------------------------------- texts
def write_texts(dataset, lang: str, out_path: str | Path) -> int:
    """Write every text of `lang` the dataset needs, one per line; return the count."""
    texts = [clean_text(t) for t in dataset.texts(lang)]
    with atomic_output(out_path) as tmp:
        tmp.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return len(texts)


def read_texts(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


# --------------------------------------------------------------------------- embeddings
def embeddings_path(root: str | Path, lang: str, variant: str) -> Path:
    """The cache layout: `<root>/<lang>/<variant>.npy`, one root per dataset."""
    return Path(root) / lang / f"{variant}.npy"


def encode_texts(encoder, texts_path: str | Path, *, batch_size: int = 64) -> np.ndarray:
    """Encode a texts file with a sentence-transformers-like encoder; float32, one row per line."""
    texts = read_texts(texts_path)
    if not texts:
        return np.zeros((0, encoder.get_sentence_embedding_dimension()), dtype=np.float32)
    emb = encoder.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(emb, dtype=np.float32)


def save_embeddings(emb: np.ndarray, out_path: str | Path) -> None:
    with atomic_output(out_path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, emb)


def encode_text_file(encoder, texts_path: str | Path, out_path: str | Path, *, batch_size: int = 64) -> np.ndarray:
    """Encode the texts file and save the embeddings as .npy."""
    emb = encode_texts(encoder, texts_path, batch_size=batch_size)
    save_embeddings(emb, out_path)
    return emb


def model_fingerprint(model: str) -> str:
    """What a model's embeddings are keyed by: a hash of every file of a local model directory
    (weights, config, tokenizer), so another model never gets its cache, whatever its folder's
    name; a hub id stands for itself."""
    root = Path(model)
    if not root.is_dir():
        return f"hub id {model}"
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def embed_cached(encoder, texts_path: str | Path, out_path: str | Path, model_key: str, *,
                 batch_size: int = 64) -> bool:
    """Encode the texts file into `out_path` unless the embeddings there were made from the same
    model (`model_fingerprint`), texts and sequence length; return whether it encoded.
    The key is kept beside the embeddings, in `<name>.key`."""
    out_path = Path(out_path)
    digest = hashlib.sha256(f"{model_key}\0{encoder.max_seq_length}\0".encode("utf-8"))
    digest.update(Path(texts_path).read_bytes())
    key, key_path = digest.hexdigest(), out_path.with_suffix(".key")
    if out_path.is_file() and key_path.is_file() and key_path.read_text(encoding="utf-8") == key:
        return False
    key_path.unlink(missing_ok=True)  # no key while the embeddings are being replaced
    encode_text_file(encoder, texts_path, out_path, batch_size=batch_size)
    with atomic_output(key_path) as tmp:
        tmp.write_text(key, encoding="utf-8")
    return True


def embed_job(texts_dir: str | Path, languages, variants, out_root: str | Path, *, base_model: str,
              store: str | Path = ModuleStore().root, full_dir: str | Path = Results().full_dir,
              pivot: str = "en", batch_size: int = 64, max_seq_length: int = 128,
              device: str = "auto") -> int:
    """Encode `<texts_dir>/<lang>.txt` of each language with the encoder of each grid variant
    and write `embeddings_path(out_root, lang, variant)`; return how many encoders were composed.

    Variants whose encoder is built from the same modules encode once (English is LA + SE in
    every Mod variant; the base model and a Full model serve every language), and only one
    encoder is in memory at a time.
    """
    from modsent.modules.composition import compose_encoder
    from modsent.store import modules_needed

    users: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for lang in languages:
        for variant in variants:
            users.setdefault(tuple(modules_needed(variant, lang, pivot)), []).append((lang, variant))
    counts = {lang: len(read_texts(Path(texts_dir) / f"{lang}.txt")) for lang in languages}
    total = sum(counts[lang] for shared in users.values() for lang in dict.fromkeys(lang for lang, _ in shared))
    progress, done = Progress(total, "sentences"), 0
    for shared in users.values():
        first_lang, first_variant = shared[0]
        encoder = compose_encoder(first_variant, first_lang, base_model=base_model, store=store,
                                  full_dir=full_dir, pivot=pivot, device=device)
        encoder.max_seq_length = max_seq_length
        for lang in dict.fromkeys(lang for lang, _ in shared):
            emb = encode_texts(encoder, Path(texts_dir) / f"{lang}.txt", batch_size=batch_size)
            names = [variant for other, variant in shared if other == lang]
            for variant in names:
                save_embeddings(emb, embeddings_path(out_root, lang, variant))
            done += counts[lang]
            log.info("%s: %s embeddings for %s; %d/%d sentences, %s", lang, emb.shape, ", ".join(names), done, total,
                     progress.status(done))
        del encoder
    return len(users)


class EmbeddingLookup:
    """Embeddings of arbitrary texts of one dataset for one variant, served from the cache:
    `embeddings_path(root, lang, variant)` under the first of `roots` that has it (the workflow
    keeps per-language and multilingual variants under separate roots)."""

    def __init__(self, texts_dir: str | Path, roots, variant: str):
        self.texts_dir = Path(texts_dir)
        self.roots = [Path(root) for root in roots]
        self.variant = variant
        self._cache: dict[str, tuple[dict[str, int], np.ndarray]] = {}

    def _npy(self, lang: str) -> Path:
        for root in self.roots:
            path = embeddings_path(root, lang, self.variant)
            if path.is_file():
                return path
        raise FileNotFoundError(
            f"no {lang} embeddings of variant {self.variant!r} under {', '.join(map(str, self.roots))}"
        )

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
            rows = [index[clean_text(t)] for t in texts]
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


@dataclass(frozen=True)
class ScoringContext:
    pivot: str = "en"  # the training language of zero-shot classification
    seed: int = 0  # of the classifier


# task -> scorer(dataset, unit, lookup, context) -> [Score]; a dataset's `task` picks its scorer
SCORERS: dict[str, Callable] = {}


def scorer(*tasks: str):
    def register(function):
        for task in tasks:
            SCORERS[task] = function
        return function
    return register


@scorer("sts", "str")
def _sts(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
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


@scorer("bitext")
def _bitext(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    a, b = unit.langs
    texts_a, texts_b = dataset.load(a, b)
    emb_a, emb_b = lookup(a, texts_a), lookup(b, texts_b)
    a_to_b, b_to_a = metrics.xsim_both_directions(emb_a, emb_b, texts_a, texts_b)
    scores = [Score("xsim", (a_to_b + b_to_a) / 2, "cross")]
    if dataset.reports_rsim:
        scores.append(Score("rsim", metrics.rsim(emb_a, emb_b), "cross"))
    return scores


@scorer("cls")
def _classification(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    if unit.setting == "mono":
        train_lang = test_lang = unit.langs[0]
    else:  # zero-shot cross-lingual transfer: train on the pivot, test on the other language
        train_lang = context.pivot
        (test_lang,) = [lang for lang in unit.langs if lang != context.pivot]
    train_x, train_y = dataset.load(train_lang, "train")
    test_x, test_y = dataset.load(test_lang, dataset.eval_split)
    acc = metrics.classification_accuracy(
        lookup(train_lang, train_x), train_y, lookup(test_lang, test_x), test_y, seed=context.seed
    )
    return [Score("accuracy", acc, unit.setting)]


@scorer("mcqa")
def _multiple_choice(dataset, unit, lookup: Lookup, context: ScoringContext) -> list[Score]:
    (lang,) = unit.langs
    passages, options, correct = dataset.mcqa_texts(lang)
    option_emb = lookup(lang, [o for row in options for o in row]).reshape(len(options), len(options[0]), -1)
    return [Score("accuracy", metrics.multiple_choice_accuracy(lookup(lang, passages), option_emb, correct), "mono")]


def score_unit(dataset, unit_name: str, lookup: Lookup, *, pivot: str = "en", seed: int = 0) -> list[Score]:
    """All metrics of one unit of one dataset, from cached embeddings."""
    if unit_name == LANGUAGE_BIAS_UNIT:
        return _language_bias(dataset, lookup)
    if dataset.task not in SCORERS:
        raise ValueError(f"dataset {dataset.name!r} has a task without a scorer: {dataset.task!r}")
    return SCORERS[dataset.task](dataset, dataset.unit(unit_name), lookup, ScoringContext(pivot, seed))


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


def score_variants(dataset, unit: str, variants, texts_dir, roots, *, pivot: str = "en",
                   seed: int = 0) -> list[dict]:
    """Long-format rows of one unit for each variant, from the embedding cache under `roots`."""
    rows = []
    for variant in variants:
        lookup = EmbeddingLookup(texts_dir, roots, variant)
        rows += score_rows(variant, dataset, unit, score_unit(dataset, unit, lookup, pivot=pivot, seed=seed))
    return rows


def score_job(dataset_name: str, spec: dict, languages, units, variants, texts_dir, roots,
              out: str | Path, *, pivot: str = "en", seed: int = 0) -> list[dict]:
    """Score some units for every variant and write the long-format rows to `out`."""
    dataset = open_dataset(dataset_name, spec, languages)
    rows = [row for unit in units
            for row in score_variants(dataset, unit, variants, texts_dir, roots, pivot=pivot, seed=seed)]
    write_score_rows(rows, out)
    return rows


# --------------------------------------------------------------------------- datasets
def open_dataset(name: str, spec: dict, languages):
    from modsent.evaldata import get_dataset

    return get_dataset(name, spec, list(languages))


def open_datasets(specs: dict, languages) -> dict:
    """Every configured dataset opened; a set that is missing or unreadable fails together with
    all the others, in one message naming each (a fresh checkout lacks every raw clone)."""
    from modsent.evaldata import DataFormatError, DataSourceError

    opened, problems = {}, []
    for name, spec in specs.items():
        try:
            opened[name] = open_dataset(name, spec, languages)
        except (DataSourceError, DataFormatError) as e:
            problems.append(f"evaluation.datasets.{name}: {e}")
    if problems:
        raise DataSourceError("evaluation data missing or unreadable (README.md, 'Pointing models and data at "
                              "local paths', says where each raw set is published):\n  " + "\n  ".join(problems))
    return opened


def every_language() -> list[str]:
    """All codes modsent knows: a dataset opened with these is not restricted at all."""
    from modsent.languages import known_languages

    return [lang.code for lang in known_languages()]


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

    e = sub.add_parser("embed", help="encode the texts of some languages with the encoders of some variants")
    e.add_argument("--texts-dir", required=True, help="the dataset's texts, one <lang>.txt per language")
    e.add_argument("--languages", required=True, help="comma-separated")
    e.add_argument("--variants", required=True, help="comma-separated grid variants")
    e.add_argument("--out-root", required=True, help="writes <out-root>/<lang>/<variant>.npy")
    e.add_argument("--base-model", required=True)
    e.add_argument("--store", default=ModuleStore().root)
    e.add_argument("--full-dir", default=Results().full_dir)
    e.add_argument("--pivot", default="en")
    e.add_argument("--batch-size", type=int, default=64)
    e.add_argument("--max-seq-length", type=int, default=128)
    e.add_argument("--device", default="auto")
    e.add_argument("--threads", type=int, help="CPU threads of torch (the job's share of the machine)")

    s = sub.add_parser("score", help="score some units of one dataset for some variants from cached embeddings")
    s.add_argument("--dataset", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--languages", required=True, help="comma-separated languages the units involve")
    s.add_argument("--units", nargs="+", required=True)
    s.add_argument("--variants", required=True, help="comma-separated grid variants")
    s.add_argument("--texts-dir", required=True)
    s.add_argument("--embedding-roots", nargs="+", required=True, metavar="DIR",
                   help="where <lang>/<variant>.npy are looked up, first match wins")
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
            a.texts_dir, a.languages.split(","), a.variants.split(","), a.out_root,
            base_model=a.base_model, store=a.store, full_dir=a.full_dir, pivot=a.pivot,
            batch_size=a.batch_size, max_seq_length=a.max_seq_length, device=pick_device(a.device),
        )
        log.info("%d encoder(s) composed", n)
    else:
        rows = score_job(
            a.dataset, json.loads(a.spec), a.languages.split(","), a.units, a.variants.split(","),
            a.texts_dir, a.embedding_roots, a.out, pivot=a.pivot, seed=a.seed,
        )
        for row in rows:
            log.info("%s %s %s %s: %.4f", row["variant"], row["dataset"], row["unit"], row["metric"], row["value"])


if __name__ == "__main__":
    main()
