"""Language identification for routing: a fastText supervised classifier trained on the
stored languages' own monolingual corpora (the LA corpora), and its accuracy on held-out
evaluation text (FLORES devtest in the paper config).

    python -m modsent.identify train --corpus de=results/corpus/de.txt --corpus en=... \
        --out results/modules/identifier [--settings JSON]
    python -m modsent.identify accuracy --identifier results/modules/identifier \
        --texts de=results/eval/texts/flores/de.txt ... --dataset flores --out results/tables/identifier.csv

Every language gets the same number of training sentences (the first `max_sentences`
non-empty lines of its corpus, or all of the smallest corpus' count if that is less), so
a large corpus does not tilt the classifier towards its language.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from modsent.languages import get_language
from modsent.modules.files import MODULE_CONFIG, TRAINING_RECORD, write_json
from modsent.modules.identifier import LABEL_PREFIX, MODEL_FILE, LanguageIdentifier, one_line
from modsent.training import Settings
from modsent.utils import atomic_output, lang_path_argument, setup_logging

log = logging.getLogger("modsent.identify")

ACCURACY_COLUMNS = ("dataset", "lang", "sentences", "correct", "accuracy")


@dataclass(frozen=True)
class IdentifierSettings(Settings):
    max_sentences: int = 100000  # per language
    epochs: int = 5
    learning_rate: float = 0.5
    dim: int = 32
    minn: int = 1  # character n-grams: what tells scripts and languages apart in short text
    maxn: int = 4
    bucket: int = 200000
    seed: int = 42

    stage = "identifier"


def _sentences(path: Path, limit: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text = one_line(line)
            if text:
                out.append(text)
                if len(out) == limit:
                    break
    return out


def train_language_identifier(corpora: Mapping[str, str | Path], out_dir: str | Path, *,
                              settings: IdentifierSettings = IdentifierSettings(), threads: int = 1) -> dict:
    """Train the identifier of the languages of `corpora` (language -> text file, one sentence
    a line) and write it to `out_dir`; return its record."""
    import fasttext

    corpora = {get_language(lang).code: Path(path) for lang, path in corpora.items()}
    if len(corpora) < 2:
        raise ValueError(f"a language identifier needs at least two languages, got {sorted(corpora)}")
    missing = [str(p) for p in corpora.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"corpus not found: {', '.join(missing)}")
    texts = {lang: _sentences(path, settings.max_sentences) for lang, path in corpora.items()}
    empty = [lang for lang, lines in texts.items() if not lines]
    if empty:
        raise ValueError(f"no text in the corpus of {empty}: {[str(corpora[lang]) for lang in empty]}")
    per_language = min(len(lines) for lines in texts.values())
    examples = [f"{LABEL_PREFIX}{lang} {text}" for lang, lines in texts.items() for text in lines[:per_language]]
    random.Random(settings.seed).shuffle(examples)
    start = time.perf_counter()
    with atomic_output(out_dir) as tmp:
        tmp.mkdir()
        train_file = tmp / "train.txt"
        train_file.write_text("".join(e + "\n" for e in examples), encoding="utf-8")
        model = fasttext.train_supervised(
            str(train_file), epoch=settings.epochs, lr=settings.learning_rate, dim=settings.dim,
            minn=settings.minn, maxn=settings.maxn, bucket=settings.bucket, wordNgrams=1,
            thread=threads, seed=settings.seed, verbose=0,
        )
        train_file.unlink()
        model.save_model(str(tmp / MODEL_FILE))
        write_json(tmp / MODULE_CONFIG, {"languages": sorted(texts)})
        record = {"seconds": round(time.perf_counter() - start, 3), "sentences_per_language": per_language,
                  "corpora": {lang: str(path) for lang, path in corpora.items()}, **settings.to_dict()}
        write_json(tmp / TRAINING_RECORD, record)
    log.info("identifier of %s written to %s (%d sentences a language)", ", ".join(sorted(texts)), out_dir,
             per_language)
    return record


def identifier_accuracy(identifier: str | Path | LanguageIdentifier, texts: Mapping[str, str | Path],
                        out_path: str | Path, *, dataset: str) -> list[dict]:
    """Accuracy per language of the identifier on `texts` (language -> file, one sentence a
    line, as the evaluation's texts files), as long-format rows in `out_path`."""
    if not isinstance(identifier, LanguageIdentifier):
        identifier = LanguageIdentifier.load(identifier)
    rows = []
    for lang, path in texts.items():
        lang = get_language(lang).code
        sentences = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        if not sentences:
            raise ValueError(f"{path}: no sentences to identify")
        correct = sum(p == lang for p in identifier.predict(sentences))
        rows.append({"dataset": dataset, "lang": lang, "sentences": len(sentences), "correct": correct,
                     "accuracy": round(correct / len(sentences), 6)})
        log.info("%s %s: %d of %d identified (%.4f)", dataset, lang, correct, len(sentences), correct / len(sentences))
    with atomic_output(out_path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=ACCURACY_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    return rows


def main(argv=None) -> None:
    import json

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the identifier of some languages")
    t.add_argument("--corpus", type=lang_path_argument, action="append", required=True, metavar="LANG=PATH")
    t.add_argument("--out", required=True)
    t.add_argument("--settings", type=json.loads, default={}, metavar="JSON")
    t.add_argument("--threads", type=int, default=1)
    a = sub.add_parser("accuracy", help="its accuracy per language on held-out text")
    a.add_argument("--identifier", required=True)
    a.add_argument("--texts", type=lang_path_argument, nargs="+", required=True, metavar="LANG=PATH")
    a.add_argument("--dataset", required=True, help="what the texts are (a column of the table)")
    a.add_argument("--out", required=True)
    args = p.parse_args(argv)
    setup_logging()
    if args.command == "train":
        try:
            settings = IdentifierSettings.from_dict(args.settings)
        except (TypeError, ValueError) as e:
            p.error(str(e))
        train_language_identifier(dict(args.corpus), args.out, settings=settings, threads=args.threads)
    else:
        identifier_accuracy(args.identifier, dict(args.texts), args.out, dataset=args.dataset)


if __name__ == "__main__":
    main()
