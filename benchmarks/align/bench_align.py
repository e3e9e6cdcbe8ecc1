"""SE and CLA training throughput: modsent's path against a plain sentence-transformers loop.

Both sides train the same random model (LaBSE shape: BERT-base body, 50K vocabulary;
or a small shape for CPU runs) on the same synthetic pairs with the same batch size,
learning rate, losses and precision (bf16 autocast on a GPU):

  SE   modsent.sentence_encoding.train_sentence_encoder (LoRA r 8 on all linear layers,
       MNRL) vs the plain loop: LoRA added the same way, random batches, texts tokenised
       by SentenceTransformer.preprocess every step, one forward per column (as
       sentence-transformers' MNRL does).
  CLA  modsent.align.train_cla (ParBnConfig adapter, kind jt: paraphrase MNRL batch and
       parallel cosine batch alternating; the frozen pivot's embeddings computed once, in
       length-sorted batches) vs the same plain loop with the same adapter and the same
       frozen pivot run under no_grad every step.

Prints seconds per step (modsent's one-off work before the loop included, spread over the
steps), pairs per second, padding share of the tokens (for modsent's CLA: of the trained side), the projected
time of one epoch of the paper's 600K pairs (SE: 600K pairs at its batch; CLA jt: 600K
paraphrase + 600K parallel pairs at its batch) and the speed-up of modsent's path.

    python benchmarks/align/bench_align.py --small            # CPU, small shape
    python benchmarks/align/bench_align.py --steps 200        # LaBSE shape, one H100
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

SHAPES = {
    "labse": dict(hidden_size=768, layers=12, heads=12, vocab_size=50000, se_batch=128, cla_batch=256, max_len=128),
    "small": dict(hidden_size=128, layers=2, heads=2, vocab_size=4000, se_batch=32, cla_batch=64, max_len=64),
}
EPOCH_PAIRS = 600_000
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def synthetic_pairs(n: int, rng: np.random.Generator, lexicon: list[str]) -> list[tuple[str, str]]:
    """Pairs of made-up sentences: word counts log-normal (median 14, long tail) as in paraphrase
    data; the second side's length follows the first's (ratio log-normal, sigma 0.3), as for
    paraphrases and translations."""
    first = np.clip(rng.lognormal(np.log(14), 0.55, size=n), 2, 120)
    second = np.clip(first * rng.lognormal(0, 0.3, size=n), 2, 120)
    return [(" ".join(rng.choice(lexicon, size=int(a))), " ".join(rng.choice(lexicon, size=int(b))))
            for a, b in zip(first, second)]


def build_model(shape: dict, texts: list[str], out_dir: Path) -> Path:
    """A random BERT of the shape, mean pooling, WordPiece trained on the synthetic text."""
    from modsent.tiny_models import build_tiny_encoder

    corpus = out_dir / "corpus.txt"
    corpus.write_text("\n".join(texts[:50000]) + "\n", encoding="utf-8")
    return build_tiny_encoder(corpus, out_dir / "model", hidden_size=shape["hidden_size"], layers=shape["layers"],
                              heads=shape["heads"], vocab_size=shape["vocab_size"], seed=0)


def _features(model, texts, device):
    features = model.preprocess(list(texts))
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in features.items()}


def _padding(features) -> tuple[int, int]:
    mask = features["attention_mask"]
    return int(mask.numel()), int(mask.sum())


def plain_loop(model, batches, compute_loss, trainable, device, lr=2e-5) -> dict:
    """The sentence-transformers style loop: tokenise each batch, forward, loss, backward, step."""
    from transformers import get_linear_schedule_with_warmup

    optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.01, fused=device == "cuda")
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.1 * len(batches)), len(batches))
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    padded = real = 0
    model.train()
    start = time.perf_counter()
    for batch in batches:
        with autocast:
            loss, (p, r) = compute_loss(batch)
        padded, real = padded + p, real + r
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    if device == "cuda":
        torch.cuda.synchronize()
    return {"seconds": time.perf_counter() - start, "steps": len(batches), "padding_fraction": 1 - real / padded}


def random_batches(pairs, batch_size, rng):
    order = rng.permutation(len(pairs))
    return [[pairs[i] for i in order[s:s + batch_size]] for s in range(0, len(order), batch_size)]


def preparation_seconds(model, columns, max_len) -> float:
    """What the SE path does once before its loop: tokenise every text (timed here, since its
    record times the loop only; the plain loop tokenises inside its steps)."""
    from modsent.training import tokenize_texts

    start = time.perf_counter()
    for column in columns:
        tokenize_texts(model.tokenizer, list(column), max_len)
    return time.perf_counter() - start


def bench_se(model_dir: Path, pairs, shape, device, work: Path) -> tuple[dict, dict]:
    from sentence_transformers import SentenceTransformer

    from modsent.modules.lora import ALL_LINEAR, LoraConfig, add_lora
    from modsent.losses import MultipleNegativesRankingLoss
    from modsent.sentence_encoding import SentenceEncodingSettings, train_sentence_encoder
    from modsent.tsv import Example, write_examples

    data = work / "mono.tsv"
    write_examples(data, [Example(str(i), a, p) for i, (a, p) in enumerate(pairs)])
    train_sentence_encoder(str(model_dir), data, work / "se", device=device, settings=SentenceEncodingSettings(
        max_seq_length=shape["max_len"], batch_size=shape["se_batch"]))
    ours = json.loads((work / "se" / "record.json").read_text())

    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = shape["max_len"]
    ours["seconds"] += preparation_seconds(model, zip(*pairs), shape["max_len"])
    model.requires_grad_(False)
    add_lora(model[0].auto_model, LoraConfig(targets=ALL_LINEAR))
    model.to(device)
    trainable = [p for n, p in model.named_parameters() if n.endswith(("lora_A", "lora_B"))]
    for p in trainable:
        p.requires_grad_(True)
    mnrl = MultipleNegativesRankingLoss()

    def se_loss(batch):
        anchors, positives = _features(model, [a for a, _ in batch], device), _features(model, [p for _, p in batch], device)
        loss = mnrl(model(anchors)["sentence_embedding"], model(positives)["sentence_embedding"])
        (pa, ra), (pp, rp) = _padding(anchors), _padding(positives)
        return loss, (pa + pp, ra + rp)

    plain = plain_loop(model, random_batches(pairs, shape["se_batch"], np.random.default_rng(0)), se_loss,
                       trainable, device)
    return ours, plain


def bench_cla(model_dir: Path, cross, parallel, shape, device) -> tuple[dict, dict]:
    from sentence_transformers import SentenceTransformer

    from modsent.align import AlignmentSettings, train_cla

    from modsent.modules.alignment import add_alignment_adapter
    from modsent.losses import CosineSimilarityLoss, MultipleNegativesRankingLoss

    def encoders():
        own, pivot = (SentenceTransformer(str(model_dir), device="cpu") for _ in range(2))
        for m in (own, pivot):
            m.max_seq_length = shape["max_len"]
        return own, pivot

    own, pivot = encoders()
    settings = AlignmentSettings(batch_size=shape["cla_batch"], max_seq_length=shape["max_len"])
    # its record's seconds include the tokenisation and the frozen side's embeddings
    ours = train_cla(own, pivot, kind="jt", cross=cross, parallel=parallel, settings=settings, device=device)

    own, pivot = encoders()
    trainable = add_alignment_adapter(own)
    own.to(device)
    pivot.to(device).eval()
    pivot.requires_grad_(False)
    mnrl, cosine = MultipleNegativesRankingLoss(), CosineSimilarityLoss()
    rng = np.random.default_rng(0)
    paraphrase = random_batches(cross, shape["cla_batch"], rng)
    translation = random_batches(parallel, shape["cla_batch"], rng)
    batches = [(task, b) for pair in zip(paraphrase, translation) for task, b in zip(("pp", "pl"), pair)]

    def cla_loss(item):
        task, batch = item
        target_features, own_features = (_features(m, [row[i] for row in batch], device)
                                          for m, i in ((pivot, 0), (own, 1)))
        with torch.no_grad():
            target = pivot(target_features)["sentence_embedding"]
        embedded = own(own_features)["sentence_embedding"]
        loss = mnrl(target, embedded) if task == "pp" else cosine(embedded, target)
        (pt, rt), (po, ro) = _padding(target_features), _padding(own_features)
        return loss, (pt + po, rt + ro)

    plain = plain_loop(own, batches, cla_loss, trainable, device)
    return ours, plain


def summary(name: str, ours: dict, plain: dict, batch: int, epoch_steps: int) -> dict:
    row = {"module": name, "batch": batch}
    for label, run in (("modsent", ours), ("plain", plain)):
        per_step = run["seconds"] / run["steps"]
        row[label] = {"s_per_step": round(per_step, 4), "pairs_per_s": round(batch / per_step, 1),
                      "padding": round(run.get("padding_fraction", float("nan")), 3),
                      "epoch_600k_min": round(per_step * epoch_steps / 60, 1), "steps": run["steps"]}
    row["speedup"] = round(row["plain"]["s_per_step"] / row["modsent"]["s_per_step"], 2)
    return row


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="the small CPU shape instead of LaBSE's")
    p.add_argument("--steps", type=int, default=None, help="training steps timed per path (default 200; 12 with --small)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args(argv)

    from modsent.utils import pick_device, seed_everything

    shape = SHAPES["small" if a.small else "labse"]
    steps = a.steps or (12 if a.small else 200)
    device = pick_device(a.device)
    seed_everything(0)
    rng = np.random.default_rng(0)
    n_se = steps * shape["se_batch"]
    n_cla = steps // 2 * shape["cla_batch"]  # jt: steps/2 paraphrase + steps/2 parallel batches
    lexicon = ["".join(rng.choice(SYLLABLES, size=rng.integers(1, 4))) for _ in range(20000)]
    se_pairs, cross, parallel = (synthetic_pairs(n, rng, lexicon) for n in (n_se, n_cla, n_cla))
    texts = [t for pair in se_pairs + cross + parallel for t in pair]

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model_dir = build_model(shape, texts, work)
        if device == "cuda":  # CUDA context and kernels loaded before anything is timed
            warm = torch.randn(256, 256, device="cuda", requires_grad=True)
            (warm @ warm).sum().backward()
            torch.cuda.synchronize()
        rows = [
            summary("SE", *bench_se(model_dir, se_pairs, shape, device, work), shape["se_batch"],
                    EPOCH_PAIRS // shape["se_batch"]),
            summary("CLA-jt", *bench_cla(model_dir, cross, parallel, shape, device), shape["cla_batch"],
                    2 * (EPOCH_PAIRS // shape["cla_batch"])),
        ]
    where = torch.cuda.get_device_name() if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    print(f"\nshape {'small' if a.small else 'LaBSE'} {shape}, device {where}")
    print(f"{'module':8} {'path':8} {'s/step':>8} {'pairs/s':>9} {'padding':>8} {'600K epoch':>11}")
    for row in rows:
        for label in ("plain", "modsent"):
            r = row[label]
            print(f"{row['module']:8} {label:8} {r['s_per_step']:8.4f} {r['pairs_per_s']:9.1f} "
                  f"{100 * r['padding']:7.1f}% {r['epoch_600k_min']:9.1f} min")
        print(f"{row['module']:8} speed-up of modsent's path: {row['speedup']:.2f}x")
    if a.json:
        Path(a.json).write_text(json.dumps({"device": where, "shape": shape, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
