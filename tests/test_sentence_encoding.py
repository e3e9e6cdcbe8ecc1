"""SE adapter: additive on top of LA, only SE trains, MNRL learns, the store files, bad input.

The language store of a test language is written by hand in the LA store format
(tokenizer/, la/embeddings.safetensors, la/lora.* , la/config.json), so these tests
do not depend on training an LA.
"""

from __future__ import annotations

import json
from dataclasses import replace
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from modsent.modules.composition import build_encoder
from modsent.modules.lora import ALL_LINEAR, LoraConfig, LoraLinear, add_lora, save_lora
from modsent.losses import MultipleNegativesRankingLoss
from modsent.sentence_encoding import SentenceEncodingSettings, main, train_sentence_encoder
from modsent.store import ModuleStore
from modsent.training import TokenizedTexts, length_bucketed_batches, tokenize_texts
from modsent.tsv import Example, write_examples

ANIMALS = ["cat", "dog", "child", "man", "woman", "bird"]
PLACES = ["park", "house", "garden", "city"]
# Small, fast and still able to learn on a random tiny model.
FAST = SentenceEncodingSettings(r=4, alpha=8, dropout=0.0, max_seq_length=16, batch_size=8, learning_rate=1e-2,
                                warmup_ratio=0.0)


def paraphrase_rows(with_negatives: bool) -> list[tuple[str, ...]]:
    """(anchor, positive[, hard negative]) rows: the negative shares the place, not the animal."""
    rows = []
    for i, animal in enumerate(ANIMALS):
        for place in PLACES:
            other = ANIMALS[(i + 1) % len(ANIMALS)]
            row = (f"the {animal} sits in the {place}", f"a {animal} is sitting in a {place}")
            rows.append(row + (f"the {other} sits in the {place}",) if with_negatives else row)
    return rows


def write_view(path: Path, rows) -> Path:
    """A mono training view (id, anchor, positive, negative)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_examples(path, [Example(str(i), *row) for i, row in enumerate(rows)])
    return path


def write_language_store(base_model: Path, store: Path, lang: str, seed: int) -> Path:
    """modules/{lang}/tokenizer + la/ in the LA store format, by hand: a new (fixed) WordPiece
    vocabulary, random embeddings and a non-zero q/k/v LoRA; deterministic for a seed."""
    from sentence_transformers import SentenceTransformer
    from transformers import BertTokenizerFast

    lang_dir = store / lang
    words = sorted({w for row in paraphrase_rows(True) for text in row for w in text.split()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words + [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    vocab_file = lang_dir / "tokenizer" / "vocab.txt"
    vocab_file.parent.mkdir(parents=True)
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True)
    tokenizer.save_pretrained(lang_dir / "tokenizer")
    body = SentenceTransformer(str(base_model), device="cpu")[0].auto_model
    generator = torch.Generator().manual_seed(seed)
    la_dir = lang_dir / "la"
    la_dir.mkdir(parents=True)
    weight = torch.randn(len(tokenizer), body.config.hidden_size, generator=generator) * 0.5
    save_file({"weight": weight}, str(la_dir / "embeddings.safetensors"))
    config = LoraConfig(r=4, alpha=8)
    for layer in add_lora(body, config).values():
        layer.lora_B.data = torch.randn(layer.lora_B.shape, generator=generator) * 0.2
    save_lora(body, config, la_dir)
    (la_dir / "config.json").write_text(json.dumps({"pad_token_id": tokenizer.pad_token_id}), encoding="utf-8")
    (la_dir / "record.json").write_text(json.dumps({"seconds": 12.5, "steps": 10}), encoding="utf-8")
    return lang_dir


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_encoder) -> Path:
    store = tmp_path_factory.mktemp("modules")
    write_language_store(tiny_encoder, store, "de", seed=1)
    return store


@pytest.fixture(scope="module")
def triplets(tmp_path_factory) -> Path:
    return write_view(tmp_path_factory.mktemp("train") / "de" / "mono.tsv", paraphrase_rows(with_negatives=True))


def _texts():
    return [row[0] for row in paraphrase_rows(False)][:10]


def _plain_state(model) -> dict[str, torch.Tensor]:
    """Parameters without LoRA tensors, named as in an un-wrapped model."""
    return {k.replace(".base.", "."): v for k, v in model.state_dict().items() if "lora_" not in k}


def test_se_at_initialisation_is_the_la_only_encoder(tiny_encoder, store):
    la_only = build_encoder(tiny_encoder, ModuleStore(str(store)).language_module("de"), device="cpu")
    with_se = build_encoder(tiny_encoder, ModuleStore(str(store)).language_module("de"), device="cpu")
    add_lora(with_se[0].auto_model, LoraConfig(targets=ALL_LINEAR))
    with_se.eval()
    la_emb = la_only.encode(_texts(), convert_to_tensor=True)
    np.testing.assert_allclose(with_se.encode(_texts(), convert_to_tensor=True), la_emb, atol=1e-6)
    # The LA is really in there: the same tokenizer and embeddings without the LA merge differ.
    no_la = build_encoder(tiny_encoder, ModuleStore(str(store)).language_module("de"), device="cpu")
    body = no_la[0].auto_model
    state = load_file(str(store / "de" / "la" / "lora.safetensors"))
    scale = LoraConfig.load(store / "de" / "la" / "lora_config.json").scale
    with torch.no_grad():
        for name in {k.rsplit(".", 1)[0] for k in state}:
            body.get_submodule(name).weight -= (state[f"{name}.lora_B"] @ state[f"{name}.lora_A"]) * scale
    assert not torch.allclose(no_la.encode(_texts(), convert_to_tensor=True), la_emb, atol=1e-3)


def test_training_changes_only_the_se_adapter_and_learns(tiny_encoder, store, triplets, tmp_path):
    rows = paraphrase_rows(with_negatives=True)
    columns = [[r[k] for r in rows] for k in range(3)]
    la_only = build_encoder(tiny_encoder, ModuleStore(str(store)).language_module("de"), device="cpu")

    def mnrl(model):  # the training objective over all rows at once
        return MultipleNegativesRankingLoss()(*(model.encode(c, convert_to_tensor=True) for c in columns)).item()

    out = tmp_path / "se"
    trained = train_sentence_encoder(tiny_encoder, triplets, out, language_module=ModuleStore(str(store)).language_module("de"), settings=replace(FAST, epochs=8), device="cpu")

    frozen, after = _plain_state(la_only), _plain_state(trained)
    assert frozen.keys() == after.keys()
    for name, tensor in frozen.items():
        assert torch.equal(tensor, after[name]), f"{name} changed during SE training"
    lora_layers = [m for m in trained.modules() if isinstance(m, LoraLinear)]
    assert lora_layers and all(m.lora_B.abs().sum() > 0 for m in lora_layers)
    assert mnrl(trained) < 0.7 * mnrl(la_only)

    record = json.loads((out / "record.json").read_text())
    assert record["pairs"] == len(rows) and record["hard_negatives"] == len(rows)
    assert record["steps"] == 8 * 3 and record["seconds"] > 0 and record["pooling"] == "mean"


def test_se_lora_covers_all_linear_layers_but_the_attention_output(tiny_encoder, store, triplets, tmp_path):
    train_sentence_encoder(tiny_encoder, triplets, tmp_path / "se", language_module=ModuleStore(str(store)).language_module("de"), settings=FAST, device="cpu")
    state = load_file(str(tmp_path / "se" / "lora.safetensors"))
    modules = {k.rsplit(".", 1)[0] for k in state}
    expected = {f"encoder.layer.{i}.{m}" for i in range(2) for m in (
        "attention.self.query", "attention.self.key", "attention.self.value", "intermediate.dense", "output.dense")}
    assert modules == expected
    assert LoraConfig.load(tmp_path / "se" / "lora_config.json") == LoraConfig(r=4, alpha=8, dropout=0.0, targets=ALL_LINEAR)


def test_cli_trains_without_language_adapter(tiny_encoder, tmp_path):
    data = write_view(tmp_path / "mono.tsv", paraphrase_rows(with_negatives=False))
    main(["--base-model", str(tiny_encoder), "--data", str(data), "--out", str(tmp_path / "se-de"),
          "--settings", json.dumps({"r": 2, "alpha": 4, "batch_size": 16, "max_seq_length": 16}), "--device", "cpu"])
    record = json.loads((tmp_path / "se-de" / "record.json").read_text())
    assert record["language_module"] is None and record["hard_negatives"] == 0 and record["steps"] == 2
    assert LoraConfig.load(tmp_path / "se-de" / "lora_config.json").r == 2


def test_length_bucketing_covers_every_pair_once_and_pads_less():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 128, size=1000)
    batches = length_bucketed_batches(lengths, 32, np.random.default_rng(1), window=8)
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    assert all(len(b) <= 32 for b in batches)
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random_batches = np.array_split(rng.permutation(1000), len(batches))
    assert padded < 0.8 * sum(len(b) * lengths[b].max() for b in random_batches)


def test_tokenized_texts_pad_like_the_tokenizer(tiny_encoder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder / "hf"))
    texts = ["the cat sits", "a dog runs in the park today", "hi"]
    flat = tokenize_texts(tokenizer, texts, max_length=6, chunk=2)
    assert isinstance(flat, TokenizedTexts)
    ids, mask = flat.padded(np.array([2, 0, 1]), tokenizer.pad_token_id)
    ref = tokenizer([texts[2], texts[0], texts[1]], truncation=True, max_length=6, padding=True)
    assert ids.tolist() == ref["input_ids"] and mask.tolist() == ref["attention_mask"]


def test_bad_input_fails_before_training(tiny_encoder, store, tmp_path):
    data = write_view(tmp_path / "mono.tsv", paraphrase_rows(with_negatives=False))
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        train_sentence_encoder(tiny_encoder, tmp_path / "missing.tsv", tmp_path / "a", device="cpu")
    with pytest.raises(ValueError, match="batch_size"):
        train_sentence_encoder(tiny_encoder, data, tmp_path / "b", settings=SentenceEncodingSettings(batch_size=1),
                               device="cpu")
    with pytest.raises(FileNotFoundError, match="xx"):
        train_sentence_encoder(tiny_encoder, data, tmp_path / "c", language_module=ModuleStore(str(store)).language_module("xx"), device="cpu")
    one = write_view(tmp_path / "one.tsv", paraphrase_rows(with_negatives=False)[:1])
    with pytest.raises(ValueError, match="one.tsv"):
        train_sentence_encoder(tiny_encoder, one, tmp_path / "d", device="cpu")
    assert not any((tmp_path / name).exists() for name in "abcd")


@pytest.mark.parametrize("how, every, stop", [("sigterm", 100, 5), ("sigkill", 3, 8)])
def test_an_interrupted_run_resumes_and_ends_like_an_uninterrupted_one(tiny_encoder, store, triplets, tmp_path,
                                                                        monkeypatch, caplog, how, every, stop):
    from interruptions import Killed, interrupt_at

    from modsent.checkpoint import TrainingInterrupted

    caplog.set_level("INFO", logger="modsent")
    settings = dict(settings=replace(FAST, dropout=0.1, epochs=4), language_module=ModuleStore(str(store)).language_module("de"), device="cpu",
                    checkpoint_every=every)
    # the output in the language's store, as in the workflow (results/modules/de/se)
    out, checkpoints = store / "de" / f"se-{how}", tmp_path / "checkpoints" / "se"
    interrupt_at(monkeypatch, stop, how)
    with pytest.raises(TrainingInterrupted if how == "sigterm" else Killed):
        train_sentence_encoder(tiny_encoder, triplets, out, checkpoint_dir=checkpoints, **settings)
    monkeypatch.undo()
    assert not out.exists() and (checkpoints / "latest").is_file()
    resumed_from = stop if how == "sigterm" else stop // every * every  # SIGKILL: the last periodic checkpoint
    orphan = out.with_name(f".{out.name}.tmp-99999")  # what a job killed while writing its output leaves
    (orphan / "lora.safetensors").parent.mkdir()
    (orphan / "lora.safetensors").write_bytes(b"half")

    train_sentence_encoder(tiny_encoder, triplets, out, checkpoint_dir=checkpoints, **settings)
    assert f"resumed from step {resumed_from} " in caplog.text
    assert not checkpoints.exists() and not orphan.exists()  # removed once the adapter is written / on start
    train_sentence_encoder(tiny_encoder, triplets, tmp_path / "reference", **settings)
    resumed, reference = load_file(str(out / "lora.safetensors")), load_file(str(tmp_path / "reference" / "lora.safetensors"))
    assert resumed.keys() == reference.keys()
    for key in reference:
        assert torch.equal(resumed[key], reference[key]), key
    record = json.loads((out / "record.json").read_text())
    assert record["steps"] == 12 and record["padding_fraction"] == json.loads(
        (tmp_path / "reference" / "record.json").read_text())["padding_fraction"]
    shutil.rmtree(out)


def test_training_logs_progress_with_rate_and_eta(tiny_encoder, triplets, tmp_path, caplog):
    caplog.set_level("INFO", logger="modsent")
    train_sentence_encoder(tiny_encoder, triplets, tmp_path / "se", settings=FAST, device="cpu")
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("step 3/3 "))
    assert re.search(r"mean loss \d+\.\d+, \d+\.\d+ steps/s, ETA 0s$", line), line
