"""ModularEncoder (one shared base, modules switched per language) against a plain
SentenceTransformer of the same composed model, on a LaBSE-shaped model with random weights.

Builds, in a temporary folder: a base encoder of LaBSE's shape (bench_encode.LABSE; random
weights, a small WordPiece tokenizer trained on the package's tiny text) and a store of
`--languages` languages, each with LaBSE-sized modules for variant mod_mc_jt: embeddings of
`--language-vocab` rows, an LA LoRA (r 8, q/k/v), an SE LoRA (r 8, all linear layers) and a
CLA adapter (ParBnConfig), all random. Then, in one run:

1. throughput: sentences/s of ModularEncoder.encode(lang=...) and of the composed model
   (compose_encoder: LA + SE merged into a full copy) on the same texts and batch size,
   alternated, median of `--repeats`; the ratio (target: at least 0.9);
2. the cost of switching languages: batches alternating between two loaded languages
   against batches of one language;
3. memory (resident set, each in a fresh process): ModularEncoder with 1, 3 and all
   languages loaded, and 1 and 3 composed copies (the old ModularEncoder kept one per
   language); the composed figure for all languages is computed from the per-copy size.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/encode/bench_modular.py --languages 23
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_encode import LABSE  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# 23 codes standing for the paper's languages (all en-pivot non-pivot languages get a CLA)
CODES = ["en", "de", "fr", "am", "ar", "az", "cs", "es", "ha", "it", "kk", "ko", "ky", "mr", "nl", "pl", "ru",
         "rw", "te", "tr", "ug", "uz", "zh"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def build(root: Path, languages: int, language_vocab: int) -> tuple[Path, Path]:
    """The base model and the module store (random weights)."""
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel

    from modsent.modules.alignment import add_alignment_adapter, save_alignment_adapter
    from modsent.modules.lora import ALL_LINEAR, ATTENTION_QKV, LoraConfig, add_lora, save_lora
    from modsent.tiny_models import train_wordpiece_tokenizer

    torch.manual_seed(0)
    texts = (REPO / "modsent" / "resources" / "tiny" / "multilingual.txt").read_text(encoding="utf-8").splitlines()
    tokenizer = train_wordpiece_tokenizer(texts, 2000)
    hf = root / "base-hf"
    BertModel(BertConfig(**LABSE), add_pooling_layer=False).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    word = Transformer(str(hf), max_seq_length=128)
    base_dir = root / "base"
    SentenceTransformer(modules=[word, Pooling(768, pooling_mode="mean")], device="cpu").save(str(base_dir))
    store = root / "modules"
    for i, lang in enumerate(CODES[:languages]):
        tokenizer.save_pretrained(store / lang / "tokenizer")
        la = store / lang / "la"
        la.mkdir(parents=True)
        save_file({"weight": torch.randn(language_vocab, 768) * 0.05}, str(la / "embeddings.safetensors"))
        for targets, out, extra in ((ATTENTION_QKV, la, {"pad_token_id": tokenizer.pad_token_id}),
                                    (ALL_LINEAR, store / lang / "se", {"pooling": "mean"})):
            body = BertModel(BertConfig(**dict(LABSE, vocab_size=8)), add_pooling_layer=False)
            config = LoraConfig(r=8, alpha=16, targets=targets)
            for layer in add_lora(body, config).values():
                layer.lora_B.data = torch.randn(layer.lora_B.shape) * 0.01
            save_lora(body, config, out)
            (out / "config.json").write_text(json.dumps(extra))
        if lang != "en":
            if i == 1:
                model = SentenceTransformer(str(base_dir), device="cpu")
                adapter = add_alignment_adapter(model)
            with torch.no_grad():
                for p in adapter:
                    p.normal_(0, 0.01)
            save_alignment_adapter(model, store / lang / "cla-jt", {"seconds": 0})
    return base_dir, store


def throughput(base_dir: Path, store: Path, texts: list[str], batch_size: int, repeats: int) -> dict:
    from modsent.modules.composition import ModularEncoder, compose_encoder

    composed = compose_encoder("mod_mc_jt", "de", base_model=str(base_dir), store=store, device="cpu")
    modular = ModularEncoder(store, str(base_dir), "mod_mc_jt", device="cpu")
    modular.encode(texts[:batch_size], lang="de")  # loads de
    composed.encode(texts[:batch_size], batch_size=batch_size)
    rates = {"composed": [], "modular": []}
    for _ in range(repeats):
        for name, run in (("composed", lambda: composed.encode(texts, batch_size=batch_size)),
                          ("modular", lambda: modular.encode(texts, lang="de", batch_size=batch_size))):
            start = time.perf_counter()
            run()
            rates[name].append(len(texts) / (time.perf_counter() - start))
    modular.encode(texts[:8], lang="fr")  # loads fr
    small = texts[:8]
    timings = {"same": [], "alternating": []}
    for _ in range(repeats):
        for name, order in (("same", ["de"] * 8), ("alternating", ["de", "fr"] * 4)):
            start = time.perf_counter()
            for lang in order:
                modular.encode(small, lang=lang, batch_size=8)
            timings[name].append((time.perf_counter() - start) / len(order))
    composed_rate, modular_rate = statistics.median(rates["composed"]), statistics.median(rates["modular"])
    same, alternating = statistics.median(timings["same"]), statistics.median(timings["alternating"])
    return {"sentences": len(texts), "batch_size": batch_size, "repeats": repeats,
            "composed_sentences_per_s": round(composed_rate, 2), "modular_sentences_per_s": round(modular_rate, 2),
            "ratio_modular_to_composed": round(modular_rate / composed_rate, 3),
            "batch_of_8_same_language_ms": round(1000 * same, 1),
            "batch_of_8_switching_language_ms": round(1000 * alternating, 1),
            "switch_cost_ms": round(1000 * (alternating - same), 1)}


def memory(kind: str, base_dir: str, store: str, n: int) -> dict:
    """Run in a fresh process: resident MB after loading `n` languages."""
    from modsent.modules.composition import ModularEncoder, compose_encoder

    langs = CODES[:n]
    before = rss_mb()
    if kind == "modular":
        encoder = ModularEncoder(store, base_dir, "mod_mc_jt", device="cpu")
        for lang in langs:
            encoder.encode(["a short sentence"], lang=lang)
        kept = [encoder]
    else:
        kept = [compose_encoder("mod_mc_jt", lang, base_model=base_dir, store=store, device="cpu") for lang in langs]
    return {"kind": kind, "languages": n, "resident_mb": round(rss_mb() - before), "kept": len(kept)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--languages", type=int, default=23, choices=range(2, len(CODES) + 1), metavar="N")
    p.add_argument("--language-vocab", type=int, default=50000, help="rows of each language's embeddings")
    p.add_argument("--sentences", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--memory", nargs=4, metavar=("KIND", "BASE", "STORE", "N"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.memory:
        kind, base_dir, store, n = a.memory
        print(json.dumps(memory(kind, base_dir, store, int(n))))
        return
    flores = REPO / "modsent" / "resources" / "tiny" / "eval" / "flores200" / "deu_Latn.devtest"
    lines = flores.read_text(encoding="utf-8").splitlines()
    texts = (lines * (a.sentences // len(lines) + 1))[:a.sentences]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        base_dir, store = build(Path(tmp), a.languages, a.language_vocab)
        print(json.dumps({"built_s": round(time.perf_counter() - start, 1), "languages": a.languages,
                          "language_vocab": a.language_vocab, "threads": torch.get_num_threads()}), flush=True)
        print(json.dumps(throughput(base_dir, store, texts, a.batch_size, a.repeats)), flush=True)
        measured = {}
        for kind, counts in (("modular", sorted({1, 3, a.languages})), ("composed", [1, 3])):
            for n in counts:
                out = subprocess.run([sys.executable, __file__, "--memory", kind, str(base_dir), str(store), str(n)],
                                     capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
                row = json.loads(out)
                measured[kind, n] = row["resident_mb"]
                print(json.dumps(row), flush=True)
        per_copy = (measured["composed", 3] - measured["composed", 1]) / 2
        print(json.dumps({"kind": "composed", "languages": a.languages, "computed_mb": round(
            measured["composed", 1] + (a.languages - 1) * per_copy), "from": "1 and 3 copies measured"}), flush=True)


if __name__ == "__main__":
    main()
