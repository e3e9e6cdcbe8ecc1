"""Language-adaptation (MLM) training throughput: modsent's step against a plain HF MLM loop.

Both sides train the same random BERT (LaBSE shape: BERT-base body, 50K new vocabulary,
batch 128 x 256 tokens; or a small shape for CPU runs) with the same trainable set (new
embeddings, LoRA r 8 on query/key/value, MLM head with the output projection tied to the
embeddings), learning rate, precision (bf16 autocast on a GPU), SDPA attention and AdamW
(fused on a GPU):

  modsent  modsent.adapt.AdaptationTrainer.step on ChunkBatches: pre-tokenised fixed
           chunks, masking on the device (fixed count per row), no attention mask, the
           vocabulary projection only at the masked positions; optionally torch.compile.
  plain    the run_mlm_no_trainer loop: BertForMaskedLM with the same LoRA (peft-style),
           DataCollatorForLanguageModeling on the CPU per batch (special-token masks,
           Bernoulli masking, labels -100 elsewhere), an all-ones attention mask, logits
           over the full vocabulary at every position.

Prints seconds per step, tokens per second, model-FLOPs utilisation (MFU) and the speed-up,
and projects the paper's 200K-step LA. MFU counts the FLOPs the method needs, the same for
both sides: forward of the body, its backward to the activations only (frozen weights),
LoRA, and the head at the masked positions (forward + both backward products); peak =
989 TFLOP/s bf16 dense on an H100 SXM, 312 on an A100, else a measured fp32 GEMM rate.

    python benchmarks/adapt/bench_adapt.py --small                 # CPU, small shape
    python benchmarks/adapt/bench_adapt.py --steps 30 --compile    # LaBSE shape, one H100
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
    "labse": dict(hidden_size=768, layers=12, heads=12, intermediate=3072, vocab_size=50000, batch_size=128, seq_len=256),
    "small": dict(hidden_size=128, layers=2, heads=2, intermediate=512, vocab_size=8000, batch_size=16, seq_len=128),
}
PAPER_STEPS = 200_000
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PEAK_FLOPS = {"H100": 989e12, "A100": 312e12}


def bert_config(shape: dict):
    from transformers import BertConfig

    return BertConfig(vocab_size=shape["vocab_size"], hidden_size=shape["hidden_size"],
                      num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
                      intermediate_size=shape["intermediate"], max_position_embeddings=512,
                      attn_implementation="sdpa")


def tokenizer_for(vocab_size: int, directory: Path):
    """A WordPiece tokenizer with `vocab_size` entries (the collator needs one; the text is synthetic ids)."""
    from transformers import BertTokenizerFast

    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(SPECIALS + [f"t{i}" for i in range(vocab_size - len(SPECIALS))]) + "\n")
    return BertTokenizerFast(vocab_file=str(vocab))


def model_flops_per_step(shape: dict, masked_per_row: int, lora_r: int = 8) -> float:
    """FLOPs the LA step needs (see the module docstring)."""
    h, i, layers, v = shape["hidden_size"], shape["intermediate"], shape["layers"], shape["vocab_size"]
    tokens = shape["batch_size"] * shape["seq_len"]
    body_forward = tokens * layers * (2 * (4 * h * h + 2 * h * i) + 4 * shape["seq_len"] * h)
    lora = tokens * layers * 3 * (2 * 2 * h * lora_r) * 3
    head = shape["batch_size"] * masked_per_row * (2 * h * h + 2 * h * v) * 3
    return 2 * body_forward + lora + head


def peak_flops(device: str) -> tuple[float, str]:
    if device == "cuda":
        name = torch.cuda.get_device_name()
        for key, value in PEAK_FLOPS.items():
            if key in name:
                return value, f"{name}, bf16 dense peak"
    a, b = torch.randn(2048, 2048, device=device), torch.randn(2048, 2048, device=device)
    for _ in range(3):
        a @ b
    start, runs = time.perf_counter(), 20
    for _ in range(runs):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return runs * 2 * 2048**3 / (time.perf_counter() - start), "measured fp32 GEMM rate"


def random_stream(shape: dict, steps: int, seed: int = 0) -> np.ndarray:
    tokens = (steps + 1) * shape["batch_size"] * shape["seq_len"]
    return np.random.default_rng(seed).integers(len(SPECIALS), shape["vocab_size"], tokens, dtype=np.int64).astype(np.uint16)


def measure(steppers: dict, steps: int, warmup: int, rounds: int, device: str) -> dict:
    """Median seconds per step of each stepper; the sides alternate in `rounds` blocks so a
    busy machine slows them alike. A stepper takes the step index and returns the loss."""
    for step in steppers.values():
        for index in range(warmup):
            step(index)
    per_round: dict[str, list[float]] = {name: [] for name in steppers}
    block = max(1, steps // rounds)
    for r in range(rounds):
        for name, step in steppers.items():
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for index in range(warmup + r * block, warmup + (r + 1) * block):
                loss = step(index)
            float(loss)
            if device == "cuda":
                torch.cuda.synchronize()
            per_round[name].append((time.perf_counter() - start) / block)
    return {name: float(np.median(times)) for name, times in per_round.items()}


def modsent_stepper(shape: dict, body_state: dict, embeddings: torch.Tensor, stream: np.ndarray, device: str,
                    compile: bool):
    from transformers import BertModel

    from modsent.adapt import AdaptationConfig, AdaptationTrainer, ChunkBatches, ChunkFormat, MaskedLanguageModel

    config = AdaptationConfig(steps=PAPER_STEPS, batch_size=shape["batch_size"], seq_len=shape["seq_len"],
                              compile=compile)
    frame = ChunkFormat(prefix=(2,), suffix=(3,), mask_id=4, pad_id=0, special_ids=(0, 1, 2, 3, 4))
    encoder = BertModel(bert_config(shape), add_pooling_layer=False)
    encoder.load_state_dict(body_state, strict=False)
    trainer = AdaptationTrainer(MaskedLanguageModel(encoder, embeddings, 0, config.lora), frame, config, device)
    chunks = ChunkBatches(stream, frame, shape["seq_len"], shape["batch_size"], seed=0)
    return lambda index: trainer.step(chunks.batch(index))


def plain_stepper(shape: dict, body_state: dict, embeddings: torch.Tensor, stream: np.ndarray, device: str,
                  tokenizer):
    from transformers import BertForMaskedLM, DataCollatorForLanguageModeling

    from modsent.modules.lora import LoraConfig, add_lora

    model = BertForMaskedLM(bert_config(shape))
    model.bert.load_state_dict(body_state, strict=False)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight.copy_(embeddings)
    model.tie_weights()
    for p in model.parameters():
        p.requires_grad_(False)
    add_lora(model.bert, LoraConfig())
    for p in [model.bert.embeddings.word_embeddings.weight, *model.cls.parameters()]:
        p.requires_grad_(True)
    model.to(device).train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=5e-5, fused=device == "cuda" or None)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    content = shape["seq_len"] - 2
    rows = stream[: len(stream) // content * content].reshape(-1, content)

    def examples(step):  # group_texts output: [CLS] chunk [SEP], one dict per example
        chunk = rows[step * shape["batch_size"]:(step + 1) * shape["batch_size"]]
        return [{"input_ids": [2, *row.tolist(), 3]} for row in chunk]

    def step(index):
        batch = {k: v.to(device, non_blocking=True) for k, v in collator(examples(index)).items()}
        with autocast:
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    return step


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="small shape (CPU)")
    p.add_argument("--steps", type=int, default=12, help="timed steps per side")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3, help="alternating timing blocks per side")
    p.add_argument("--compile", action="store_true", help="also time modsent's path under torch.compile")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", help="write the results here")
    a = p.parse_args(argv)

    from modsent.utils import pick_device

    device = pick_device(a.device)
    shape = SHAPES["small" if a.small else "labse"]
    torch.manual_seed(0)
    from transformers import BertModel

    body_state = BertModel(bert_config(shape), add_pooling_layer=False).state_dict()
    embeddings = torch.randn(shape["vocab_size"], shape["hidden_size"]) * 0.02
    stream = random_stream(shape, a.warmup + a.steps)
    masked_per_row = max(1, round(0.15 * (shape["seq_len"] - 2)))
    flops = model_flops_per_step(shape, masked_per_row)
    peak, peak_source = peak_flops(device)
    tokens = shape["batch_size"] * shape["seq_len"]

    with tempfile.TemporaryDirectory() as tmp:
        steppers = {"plain": plain_stepper(shape, body_state, embeddings, stream, device,
                                           tokenizer_for(shape["vocab_size"], Path(tmp))),
                    "modsent": modsent_stepper(shape, body_state, embeddings, stream, device, compile=False)}
        if a.compile:
            steppers["modsent+compile"] = modsent_stepper(shape, body_state, embeddings, stream, device, compile=True)
        seconds = measure(steppers, a.steps, a.warmup, a.rounds, device)

    results = {"device": torch.cuda.get_device_name() if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
               "shape": shape, "model_tflops_per_step": flops / 1e12, "peak_tflops": peak / 1e12,
               "peak_source": peak_source, "paths": {}}
    print(f"{results['device']}; shape {shape}; {flops / 1e12:.3f} model TFLOP per step; "
          f"peak {peak / 1e12:.3f} TFLOP/s ({peak_source})")
    for name, step_s in seconds.items():
        row = {"seconds_per_step": step_s, "tokens_per_second": tokens / step_s, "mfu": flops / step_s / peak,
               "hours_for_200k_steps": step_s * PAPER_STEPS / 3600, "speedup_vs_plain": seconds["plain"] / step_s}
        results["paths"][name] = row
        print(f"  {name:16s} {step_s:8.4f} s/step  {row['tokens_per_second']:10.0f} tokens/s  MFU {row['mfu']:6.1%}"
              f"  200K steps: {row['hours_for_200k_steps']:7.1f} h  speed-up {row['speedup_vs_plain']:.2f}x")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
