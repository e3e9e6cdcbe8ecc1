"""What fastText's hash-bucket count changes in FOCUS: neighbours, time, file size.

FOCUS gives every new token a sparsemax mix of the shared tokens, weighted by the cosine
of their fastText vectors. fastText adds character n-gram vectors, hashed into `bucket`
rows, to every token's vector: fewer buckets means more n-grams share a row. This script
trains the same token-level fastText (modsent.focus.train_token_fasttext: CBOW, dim 300,
3 epochs, min count 10) on real German text tokenised with a new 50K WordPiece tokenizer
(learned by modsent.tokenizer from the same text, base: all-MiniLM-L6-v2's vocabulary), once
per run given, and compares FOCUS's choice between runs:

  support overlap   mean Jaccard overlap of the sets of shared tokens sparsemax picks
  top-1 agreement   share of new tokens whose heaviest neighbour is the same
  embedding cosine  mean cosine between the FOCUS embeddings the two runs give a new token

Two runs at the same bucket count give the noise floor: fastText's multi-threaded training
(the workflow's default, `focus.reproducible: false`) differs from run to run. Also reported: training seconds and
the size of fasttext.bin (which stays inside the focus rule's output).

The text is every German sentence of the development data (as benchmarks/tokenizer reads
it), repeated to --lines lines.

    python benchmarks/focus/bench_fasttext_buckets.py --data ../shared/data \
        --base-model <all-MiniLM-L6-v2 directory> --runs 20000:1 20000:2 2000000:1
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tokenizer"))

from bench_wordpiece_memory import german_sentences  # noqa: E402


def sparsemax_support(new_vectors, shared_vectors):
    """[new, shared] sparsemax weights over the cosines of the fastText vectors, as FOCUS mixes."""
    import entmax
    import torch

    new = torch.nn.functional.normalize(torch.as_tensor(new_vectors), dim=1)
    shared = torch.nn.functional.normalize(torch.as_tensor(shared_vectors), dim=1)
    weights = entmax.sparsemax(new @ shared.T, dim=1)
    return weights


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="the development data folder (../shared/data)")
    p.add_argument("--base-model", required=True, help="a local sentence-transformers model (WordPiece)")
    p.add_argument("--lines", type=int, default=102_180)
    p.add_argument("--vocab-size", type=int, default=50_000)
    p.add_argument("--runs", nargs="+", default=["20000:1", "20000:2", "2000000:1"], help="BUCKETS:REPEAT")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    if not a.data.is_dir():
        sys.exit(f"--data {a.data}: no such folder; this benchmark reads the development data "
                 "(../shared/data, see its README.md), which is not part of the repository")

    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    from modsent.focus import shared_token_ids, train_token_fasttext, write_tokenized_text
    from modsent.tokenizer import train_tokenizer

    sentences = german_sentences(a.data)
    results = {"lines": a.lines, "distinct_sentences": len(sentences), "runs": {}, "pairs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "de.txt"
        corpus.write_text("".join(s + "\n" for s in itertools.islice(itertools.cycle(sentences), a.lines)),
                          encoding="utf-8")
        tokenizer = AutoTokenizer.from_pretrained(str(train_tokenizer(a.base_model, corpus, tmp / "tokenizer",
                                                                      vocab_size=a.vocab_size)))
        base = SentenceTransformer(a.base_model, device="cpu")
        source_embeddings = base[0].auto_model.get_input_embeddings().weight.detach().float()
        text = tmp / "tokens.txt"
        results["tokenised_lines"] = write_tokenized_text(tokenizer, corpus, text, a.lines)
        shared = shared_token_ids(tokenizer, base[0].tokenizer)
        id_to_token = {i: t for t, i in tokenizer.get_vocab().items()}
        new_tokens = sorted(set(tokenizer.get_vocab()) - set(base[0].tokenizer.get_vocab()))

        models = {}
        for run in a.runs:
            bucket, repeat = map(int, run.split(":"))
            path = tmp / f"fasttext-{bucket}-{repeat}.bin"
            start = time.perf_counter()
            model = train_token_fasttext(text, path, dim=300, epochs=3, min_count=10, bucket=bucket,
                                         threads=a.threads)
            results["runs"][run] = {"bucket": bucket, "seconds": round(time.perf_counter() - start, 1),
                                    "file_mb": round(path.stat().st_size / 2**20, 1), "words": len(model.words)}
            models[run] = model
            print(json.dumps({run: results["runs"][run]}), flush=True)

        words = set.intersection(*(set(m.words) for m in models.values()))
        shared_rows = [(t, s) for t, s in shared.tolist() if id_to_token[t] in words]
        new = [t for t in new_tokens if t in words]
        results.update(shared_tokens=len(shared), shared_in_fasttext=len(shared_rows), new_tokens=len(new_tokens),
                       new_in_fasttext=len(new))
        supports, embeddings = {}, {}
        for run, model in models.items():
            weights = sparsemax_support([model.get_word_vector(t) for t in new],
                                        [model.get_word_vector(id_to_token[t]) for t, _ in shared_rows])
            supports[run] = weights
            embeddings[run] = weights @ source_embeddings[[s for _, s in shared_rows]]
            results["runs"][run]["mean_support"] = round(float((weights > 0).sum(1).float().mean()), 2)
        for first, second in itertools.combinations(models, 2):
            a_on, b_on = supports[first] > 0, supports[second] > 0
            jaccard = ((a_on & b_on).sum(1) / (a_on | b_on).sum(1)).float().mean()
            top1 = (supports[first].argmax(1) == supports[second].argmax(1)).float().mean()
            cosine = torch.nn.functional.cosine_similarity(embeddings[first], embeddings[second]).mean()
            results["pairs"][f"{first} vs {second}"] = {
                "support_jaccard": round(float(jaccard), 3), "top1_agreement": round(float(top1), 3),
                "embedding_cosine": round(float(cosine), 3)}
    print(json.dumps(results, indent=2))
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
