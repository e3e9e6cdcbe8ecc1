"""Translation throughput: modsent's MT path against HF `generate` as the authors ran it.

One random NLLB-architecture model (M2M100 in the NLLB-200-distilled-600M shape: d_model
1024, 12 + 12 layers, 16 heads, FFN 4096, 256,206 vocabulary; or a small shape for a CPU
smoke run) translates the same sentences (8-59 source tokens) three ways; every path
decodes exactly --output-tokens tokens after the language token (min = max length), so
all do the same work:

  hf      transformers generate, batches of 32 in corpus order (unsorted, padded),
          forced_bos_token_id = the target language, greedy, in --hf-dtype (the authors'
          script: float32 weights, batch 32)
  ours    modsent.translate.NllbTranslator.translate on the CTranslate2 conversion
          (tokenise, sort by length, token-budget batches, forced target prefix, decode)
  raw     ctranslate2 translate_batch on pre-tokenised input, same token budget

Prints sentences/s of each, ours/hf (target >= 8x on one H100) and ours/raw (target >= 0.9).
Model loading and conversion are not timed; ours and raw report the best of --repeats runs.

    python benchmarks/translate/bench_translate.py --small                 # CPU smoke run
    python benchmarks/translate/bench_translate.py --sentences 4096        # 600M shape, one GPU
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

SHAPES = {
    "nllb-600m": dict(d_model=1024, layers=12, heads=16, ffn=4096, vocab_size=256206),
    "small": dict(d_model=256, layers=3, heads=4, ffn=1024, vocab_size=32000),
}
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
TARGET = "de"


def synthetic_sentences(n: int, rng: np.random.Generator) -> list[str]:
    lexicon = ["".join(rng.choice(SYLLABLES, size=rng.integers(1, 4))) for _ in range(5000)]
    return [" ".join(rng.choice(lexicon, size=rng.integers(3, 45))) for _ in range(n)]


def build_model(shape: dict, corpus: list[str], out_dir: Path, quantization: str | None) -> tuple[Path, Path]:
    """A random NLLB (HF directory) and its CTranslate2 conversion."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    from modsent.tiny_models import train_nllb_tokenizer
    from modsent.translate import convert_nllb

    torch.manual_seed(0)
    hf_dir = out_dir / "hf"
    tokenizer = train_nllb_tokenizer(corpus, 4000, hf_dir)
    config = M2M100Config(
        vocab_size=max(shape["vocab_size"], len(tokenizer)), d_model=shape["d_model"],
        encoder_layers=shape["layers"], decoder_layers=shape["layers"], encoder_attention_heads=shape["heads"],
        decoder_attention_heads=shape["heads"], encoder_ffn_dim=shape["ffn"], decoder_ffn_dim=shape["ffn"],
        max_position_embeddings=1024, scale_embedding=True, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
    )
    M2M100ForConditionalGeneration(config).save_pretrained(hf_dir)
    return hf_dir, convert_nllb(str(hf_dir), out_dir / "ct2", quantization=quantization)


def pick_sentences(tokenizer, candidates: list[str], n: int, rng) -> list[str]:
    """n sentences of 8-59 source tokens (language token and </s> included), lengths spread evenly."""
    lengths = [len(ids) for ids in tokenizer(candidates)["input_ids"]]
    by_length: dict[int, list[str]] = {}
    for text, length in zip(candidates, lengths):
        if 8 <= length <= 59:
            by_length.setdefault(length, []).append(text)
    pool = [by_length[k] for k in sorted(by_length)]
    return [pool[i % len(pool)][rng.integers(len(pool[i % len(pool)]))] for i in rng.permutation(n)]


def run_hf(hf_dir: Path, texts: list[str], output_tokens: int, device: str, dtype: str, batch: int) -> dict:
    import torch
    from transformers import AutoTokenizer, M2M100ForConditionalGeneration

    from modsent.languages import nllb_language_token

    tokenizer = AutoTokenizer.from_pretrained(hf_dir, src_lang="eng_Latn")
    model = M2M100ForConditionalGeneration.from_pretrained(hf_dir, dtype=getattr(torch, dtype)).to(device).eval()
    forced = tokenizer.convert_tokens_to_ids(nllb_language_token(TARGET))
    new_tokens = output_tokens + 1  # the forced language token is the first generated token

    def translate(chunk):
        inputs = tokenizer(chunk, return_tensors="pt", padding=True).to(device)
        with torch.inference_mode():
            out = model.generate(**inputs, forced_bos_token_id=forced, num_beams=1, do_sample=False,
                                 min_new_tokens=new_tokens, max_new_tokens=new_tokens)
        tokenizer.batch_decode(out, skip_special_tokens=True)
        return out.shape[1] - 2  # without the decoder start and the language token

    translate(texts[:batch])  # warm-up
    _sync(device)
    start = time.perf_counter()
    lengths = {translate(texts[i:i + batch]) for i in range(0, len(texts), batch)}
    _sync(device)
    return {"seconds": time.perf_counter() - start, "output_tokens": sorted(lengths)}


def best_time(run, repeats: int) -> float:
    """The fastest of `repeats` timed calls (after one warm-up call): the least disturbed figure."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def run_ours(ct2_dir: Path, texts: list[str], output_tokens: int, device: str, compute_type: str,
             batch_tokens: int, threads: int, repeats: int) -> dict:
    from modsent.translate import NllbTranslator

    nt = NllbTranslator(ct2_dir, device=device, compute_type=compute_type, threads=threads)
    options = dict(beam_size=1, max_length=output_tokens, min_length=output_tokens, max_batch_tokens=batch_tokens,
                   max_input_tokens=1024)
    seconds = best_time(lambda: list(nt.translate(texts, TARGET, **options)), repeats)
    return {"seconds": seconds, "output_tokens": [nt.stats.target_tokens / max(nt.stats.sentences, 1)]}


def run_raw(ct2_dir: Path, texts: list[str], output_tokens: int, device: str, compute_type: str,
            batch_tokens: int, threads: int, repeats: int) -> dict:
    import ctranslate2
    from transformers import AutoTokenizer

    from modsent.languages import nllb_language_token

    tokenizer = AutoTokenizer.from_pretrained(ct2_dir, src_lang="eng_Latn")
    tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(texts)["input_ids"]]
    translator = ctranslate2.Translator(str(ct2_dir), device=device, compute_type=compute_type, intra_threads=threads)
    prefix = [[nllb_language_token(TARGET)]] * len(tokens)
    options = dict(max_batch_size=batch_tokens, batch_type="tokens", beam_size=1,
                   min_decoding_length=output_tokens + 1, max_decoding_length=output_tokens + 1)
    results = []

    def translate():
        results[:] = translator.translate_batch(tokens, prefix, **options)

    seconds = best_time(translate, repeats)
    return {"seconds": seconds, "output_tokens": sorted({len(r.hypotheses[0]) - 1 for r in results})}


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="small shape and few sentences (CPU smoke run)")
    p.add_argument("--sentences", type=int, help="default 2048 (256 with --small)")
    p.add_argument("--output-tokens", type=int, default=40)
    p.add_argument("--hf-batch", type=int, default=32)
    p.add_argument("--hf-dtype", default="float32", help="the authors loaded NLLB in float32")
    p.add_argument("--batch-tokens", type=int, default=4096)
    p.add_argument("--quantization", help="CTranslate2 weights (default float16 on a GPU, float32 on the CPU)")
    p.add_argument("--compute-type", default="default")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2, help="CPU threads (CTranslate2 and torch)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs of ours and raw; the fastest counts (hf: one)")
    p.add_argument("--json", help="also write the figures here")
    a = p.parse_args(argv)

    import torch

    from modsent.utils import pick_device, setup_logging

    setup_logging()
    device = pick_device(a.device)
    torch.set_num_threads(a.threads)
    shape = SHAPES["small" if a.small else "nllb-600m"]
    n = a.sentences or (256 if a.small else 2048)
    quantization = a.quantization or ("float16" if device == "cuda" else None)
    rng = np.random.default_rng(0)
    corpus = synthetic_sentences(20000, rng)
    with tempfile.TemporaryDirectory() as tmp:
        hf_dir, ct2_dir = build_model(shape, corpus, Path(tmp), quantization)
        from transformers import AutoTokenizer

        texts = pick_sentences(AutoTokenizer.from_pretrained(hf_dir, src_lang="eng_Latn"), corpus, n, rng)
        runs = {
            "hf": run_hf(hf_dir, texts, a.output_tokens, device, a.hf_dtype, a.hf_batch),
            "ours": run_ours(ct2_dir, texts, a.output_tokens, device, a.compute_type, a.batch_tokens, a.threads,
                             a.repeats),
            "raw": run_raw(ct2_dir, texts, a.output_tokens, device, a.compute_type, a.batch_tokens, a.threads,
                           a.repeats),
        }
    for run in runs.values():
        run["sentences_per_s"] = n / run["seconds"]
    summary = {
        "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu ({a.threads} threads)",
        "shape": "small" if a.small else "nllb-200-distilled-600M", "sentences": n,
        "output_tokens": a.output_tokens, "ct2_quantization": quantization or "float32",
        "runs": runs,
        "ours_over_hf": runs["ours"]["sentences_per_s"] / runs["hf"]["sentences_per_s"],
        "ours_over_raw": runs["ours"]["sentences_per_s"] / runs["raw"]["sentences_per_s"],
    }
    print(f"device {summary['device']}, shape {summary['shape']}, {n} sentences of 8-59 tokens, "
          f"{a.output_tokens} output tokens, CTranslate2 {summary['ct2_quantization']}")
    for name, run in runs.items():
        print(f"  {name:5s} {run['sentences_per_s']:9.1f} sentences/s  ({run['seconds']:.2f} s; "
              f"output tokens {run['output_tokens']})")
    print(f"  ours / hf  = {summary['ours_over_hf']:.2f}x   (target >= 8 on one H100)")
    print(f"  ours / raw = {summary['ours_over_raw']:.2f}    (target >= 0.90)")
    if a.json:
        Path(a.json).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
