"""Evaluation encode rate: sentences per second of a LaBSE-shaped encoder with random weights.

The shape is LaBSE's (BERT-base body: 12 layers, hidden 768, 12 heads, feed-forward 3072,
vocabulary 501,153), weights random: the rate depends on the shape, not on the weights.
The timed path is what an embedding job runs per batch: a forward in eval mode under
no_grad, mean pooling, L2 norm, the batch moved to NumPy. Tokenisation is left out (random
ids of a fixed length), so the figure is the model's rate at that length.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/encode/bench_encode.py --threads 2 --lengths 128 32

Prints one JSON line per length: tokens per sentence, batch size, sentences timed, seconds,
sentences per second, device.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

LABSE = dict(vocab_size=501153, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
             intermediate_size=3072, max_position_embeddings=512)


def build(vocab_size: int, device: str):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    model = BertModel(BertConfig(**dict(LABSE, vocab_size=vocab_size)), add_pooling_layer=False)
    return model.eval().to(device)


def encode_batch(model, input_ids, attention_mask):
    with torch.no_grad():
        hidden = model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()


def measure(model, length: int, batch_size: int, batches: int, device: str, vocab_size: int) -> dict:
    g = torch.Generator().manual_seed(length)
    ids = torch.randint(1000, vocab_size, (batch_size, length), generator=g).to(device)
    mask = torch.ones_like(ids)
    encode_batch(model, ids, mask)  # warm-up: allocations, kernel selection
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(batches):
        encode_batch(model, ids, mask)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    n = batches * batch_size
    return {"tokens": length, "batch_size": batch_size, "sentences": n, "seconds": round(seconds, 2),
            "sentences_per_s": round(n / seconds, 1), "device": device, "threads": torch.get_num_threads()}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 32], help="tokens per sentence")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--batches", type=int, default=4, help="timed batches per length")
    p.add_argument("--vocab-size", type=int, default=LABSE["vocab_size"])
    p.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    model = build(a.vocab_size, a.device)
    for length in a.lengths:
        print(json.dumps(measure(model, length, a.batch_size, a.batches, a.device, a.vocab_size)), flush=True)


if __name__ == "__main__":
    main()
