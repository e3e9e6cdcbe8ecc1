"""Peak memory and time of WordPiece vocabulary learning (modsent.wordpiece) on real text.

The tokenizer rule learns a 50K WordPiece vocabulary from up to 10M lines. This script
writes N lines of real German text from the development data (every German sentence of
XNLI, PAWS-X, STS-B, FLORES and SIB-200 there, repeated to N lines), then learns the
vocabulary in a child process exactly as `modsent.tokenizer` does for a BERT-type base
(LaBSE's normaliser and pre-tokeniser: no lower-casing) and reports the child's peak
resident memory (getrusage), its wall time, and the words and distinct words of the text.

Repeating the sentences keeps the number of distinct words small, and the learner's memory
grows with the distinct words, not with the text. `--new-words-per-pass` therefore gives
every repetition pass its own words (a letter suffix per pass on every word), so that the
distinct words grow with N: two or more runs give the memory per distinct word, from which
the 10M-line figure is extrapolated (README.md).

    python benchmarks/tokenizer/bench_wordpiece_memory.py --data ../shared/data --lines 1000000
    python benchmarks/tokenizer/bench_wordpiece_memory.py --data ../shared/data --lines 100000 --new-words-per-pass
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (folder under the data root, glob, columns holding German text (None: the whole line), CSV dialect)
GERMAN_SOURCES = [
    ("train/xnli_devtest", "*-de.tsv", (0, 1), dict(delimiter="\t", quoting=csv.QUOTE_NONE)),
    ("train/pawsx_devtest", "*-de.tsv", (0, 1), dict(delimiter="\t", quoting=csv.QUOTE_NONE)),
    ("eval/stsb_multi_mt", "stsb-de-*.csv", (0, 1), {}),
    ("eval/flores200_devtest", "deu_Latn.devtest", None, None),
    ("eval/sib200/deu_Latn", "*.tsv", (2,), dict(delimiter="\t")),
]

CHILD = """
import json, resource, sys, time
from tokenizers import normalizers, pre_tokenizers, Tokenizer, models
from modsent.tokenizer import nonblank_lines
from modsent.wordpiece import learn_wordpiece_vocab, pretokenize

backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
backend.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
start = time.perf_counter()
vocab = learn_wordpiece_vocab(pretokenize(backend, nonblank_lines(sys.argv[1], 10**9)), int(sys.argv[2]),
                              ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "vocab": len(vocab),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def german_sentences(data: Path) -> list[str]:
    """Every distinct German sentence of the sources, in a fixed order."""
    seen: dict[str, None] = {}
    for folder, pattern, columns, dialect in GERMAN_SOURCES:
        paths = sorted((data / folder).glob(pattern))
        if not paths:
            raise FileNotFoundError(f"{data / folder}/{pattern}: no file (is --data the development data folder?)")
        for path in paths:
            with open(path, encoding="utf-8", newline="") as f:
                rows = ([line] for line in f.read().splitlines()) if dialect is None else csv.reader(f, **dialect)
                for row in rows:
                    for c in columns or (0,):
                        text = " ".join(row[c].split()) if c < len(row) else ""
                        if text:
                            seen.setdefault(text, None)
    return list(seen)


def _suffix(k: int) -> str:
    """A letter code for repetition pass k (0 -> '', 1 -> 'a', 27 -> 'ba', ...)."""
    code = ""
    while k:
        k, r = divmod(k, 26)
        code = chr(ord("a") + r) + code
    return code


def write_corpus(sentences: list[str], lines: int, path: Path, new_words_per_pass: bool) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            k, j = divmod(i, len(sentences))
            text = sentences[j]
            if new_words_per_pass and k:
                suffix = _suffix(k)
                text = " ".join(w + suffix for w in text.split())
            f.write(text + "\n")


def count_words(path: Path) -> tuple[int, int]:
    """(words, distinct words) as the learner sees them."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    from modsent.tokenizer import nonblank_lines
    from modsent.wordpiece import pretokenize

    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    total, distinct = 0, set()
    for word in pretokenize(backend, nonblank_lines(path, 10**9)):
        total += 1
        distinct.add(word)
    return total, len(distinct)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="the development data folder (../shared/data)")
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--vocab-size", type=int, default=50_000)
    p.add_argument("--new-words-per-pass", action="store_true", help="new words in every repetition pass")
    p.add_argument("--json", type=Path, help="also write the figures here")
    a = p.parse_args(argv)
    if not a.data.is_dir():
        sys.exit(f"--data {a.data}: no such folder; this benchmark reads the development data "
                 "(../shared/data, see its README.md), which is not part of the repository")
    sentences = german_sentences(a.data)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "de.txt"
        write_corpus(sentences, a.lines, corpus, a.new_words_per_pass)
        words, distinct = count_words(corpus)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(a.vocab_size)], check=True,
                             capture_output=True, text=True).stdout
        wall = time.perf_counter() - start
        child = json.loads(out.strip().splitlines()[-1])
        result = {"lines": a.lines, "distinct_sentences": len(sentences), "new_words_per_pass": a.new_words_per_pass,
                  "corpus_mb": round(corpus.stat().st_size / 2**20, 1), "words": words, "distinct_words": distinct,
                  "vocab_size": a.vocab_size, "learned": child["vocab"], "learn_seconds": child["seconds"],
                  "child_wall_seconds": round(wall, 1), "peak_rss_mb": child["peak_rss_mb"]}
    print(json.dumps(result, indent=2))
    if a.json:
        a.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
