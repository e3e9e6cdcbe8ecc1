"""Language adaptation: what trains, what is saved, how it is applied, resume after SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from modsent.adapt import AdaptationConfig, AdaptationTrainer, ChunkBatches, ChunkFormat, MaskedLanguageModel, TERMINATED_EXIT_CODE, mask_tokens, train_language_adapter

from modsent.modules.language import apply_language_adapter, load_base_encoder, load_language_encoder, set_word_embeddings
from modsent.modules.lora import LoraConfig, LoraLinear
from modsent.tokenizer import train_tokenizer

GERMAN = [
    "der hund läuft schnell über die grüne wiese", "die katze schläft auf dem warmen sofa",
    "ein kind liest ein spannendes buch im garten", "wir trinken morgens kaffee in der küche",
    "das wetter ist heute sonnig und sehr warm", "meine schwester spielt gerne klavier am abend",
]
SMALL = AdaptationConfig(steps=12, batch_size=4, seq_len=24, learning_rate=1e-2, checkpoint_every=5, log_every=1)


@contextmanager
def one_thread():
    """The subprocess runs with one thread; in-process runs must sum in the same order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, tiny_encoder):
    """A German tokenizer of the tiny encoder's type and random embeddings for it."""
    root = tmp_path_factory.mktemp("la")
    corpus = root / "de.txt"
    corpus.write_text("\n".join(GERMAN * 20) + "\n", encoding="utf-8")
    tokenizer = train_tokenizer(tiny_encoder, corpus, root / "tokenizer", vocab_size=120)
    embeddings = root / "embeddings.safetensors"
    save_file({"weight": torch.randn(120, 32, generator=torch.Generator().manual_seed(0)) * 0.02}, str(embeddings))
    return {"base": tiny_encoder, "corpus": corpus, "tokenizer": tokenizer, "embeddings": embeddings, "root": root}


@pytest.fixture(scope="module")
def trained(inputs):
    with one_thread():
        out = train_language_adapter(inputs["base"], inputs["tokenizer"], inputs["embeddings"], inputs["corpus"],
                                     inputs["root"] / "modules" / "la", config=SMALL, device="cpu")
    return out


def _trainer(inputs, config=SMALL):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(inputs["tokenizer"]))
    chunk_format = ChunkFormat.of(tokenizer)
    weight = load_file(str(inputs["embeddings"]))["weight"]
    model = MaskedLanguageModel(load_base_encoder(inputs["base"]), weight, chunk_format.pad_id, config.lora)
    return AdaptationTrainer(model, chunk_format, config, "cpu"), tokenizer


def test_only_embeddings_lora_and_head_train(inputs):
    trainer, tokenizer = _trainer(inputs)
    model = trainer.model
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}

    layers = model.encoder.config.num_hidden_layers
    expected = {"encoder.embeddings.word_embeddings.weight"} | {n for n in before if n.startswith("head.")} | {
        f"encoder.encoder.layer.{i}.attention.self.{m}.lora_{ab}"
        for i in range(layers) for m in ("query", "key", "value") for ab in "AB"}
    assert trainable == expected

    ids = torch.tensor([tokenizer(GERMAN[i % 6] + " " + GERMAN[(i + 1) % 6], truncation=True, max_length=24,
                                  padding="max_length")["input_ids"] for i in range(4)])
    for _ in range(3):
        trainer.step(ids)
    for name, p in model.named_parameters():
        if name in trainable:
            assert not torch.equal(p, before[name]), f"{name} did not train"
        else:
            assert torch.equal(p, before[name]), f"frozen {name} changed"


def test_module_store_and_apply_match_the_trained_model(inputs, trained):
    assert sorted(p.name for p in trained.iterdir()) == [
        "config.json", "embeddings.safetensors", "lora.safetensors", "lora_config.json", "mlm_head.safetensors",
        "record.json"]
    assert not trained.with_name("la.checkpoints").exists()  # removed once the module is written
    lora = load_file(str(trained / "lora.safetensors"))
    assert all(k.startswith("encoder.layer.") and ".attention.self." in k for k in lora)
    la_config, la_record = (json.loads((trained / name).read_text()) for name in ("config.json", "record.json"))
    assert la_record["steps"] == SMALL.steps and la_record["tokens_seen"] == SMALL.steps * 4 * 24
    assert la_config["vocab_size"] == 120 and la_record["seconds"] > 0

    base = load_base_encoder(inputs["base"]).eval()
    applied = load_base_encoder(inputs["base"]).eval()
    apply_language_adapter(applied, trained)
    base_params, applied_params = dict(base.named_parameters()), dict(applied.named_parameters())
    assert base_params.keys() == applied_params.keys()
    changed = {n for n in base_params if not torch.equal(base_params[n], applied_params[n])}
    assert changed == {"embeddings.word_embeddings.weight"} | {
        f"encoder.layer.{i}.attention.self.{m}.weight" for i in range(2) for m in ("query", "key", "value")}
    assert torch.equal(applied.get_input_embeddings().weight, load_file(str(trained / "embeddings.safetensors"))["weight"])
    assert applied.config.vocab_size == 120

    # the merged encoder computes what the trained (unmerged LoRA) encoder computes
    unmerged = MaskedLanguageModel(load_base_encoder(inputs["base"]), load_file(str(trained / "embeddings.safetensors"))["weight"],
                                   la_config["pad_token_id"], LoraConfig()).eval()
    with torch.no_grad():
        for name, module in unmerged.encoder.named_modules():
            if isinstance(module, LoraLinear):
                module.lora_A.copy_(lora[f"{name}.lora_A"])
                module.lora_B.copy_(lora[f"{name}.lora_B"])
        ids = torch.randint(5, 120, (2, 10))
        expected = unmerged.encoder(input_ids=ids).last_hidden_state
        assert torch.allclose(applied(input_ids=ids).last_hidden_state, expected, atol=1e-5)
        assert not torch.allclose(base.embeddings.word_embeddings(ids.clamp(max=base.config.vocab_size - 1)),
                                  applied.embeddings.word_embeddings(ids))


def test_load_language_encoder_uses_the_new_tokenizer(inputs, trained, tmp_path):
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    lang_dir = trained.parent
    (lang_dir / "tokenizer").mkdir(exist_ok=True)
    AutoTokenizer.from_pretrained(str(inputs["tokenizer"])).save_pretrained(str(lang_dir / "tokenizer"))
    text = "die katze liest ein buch"

    encoder = load_language_encoder(inputs["base"], lang_dir / "tokenizer", lang_dir / "la", device="cpu")
    expected_ids = AutoTokenizer.from_pretrained(str(lang_dir / "tokenizer"))(text)["input_ids"]
    assert encoder.preprocess([text])["input_ids"][0].tolist() == expected_ids
    assert encoder[0].tokenizer.vocab_size == 120
    first = encoder.encode([text, "ein hund"], convert_to_tensor=True)
    again = load_language_encoder(inputs["base"], lang_dir / "tokenizer", lang_dir / "la", device="cpu").encode([text, "ein hund"], convert_to_tensor=True)
    assert torch.equal(first, again)  # a saved language reloads to identical embeddings
    base = SentenceTransformer(str(inputs["base"]), device="cpu").encode([text, "ein hund"], convert_to_tensor=True)
    assert not torch.allclose(first, base, atol=1e-3)


def test_sigterm_writes_a_checkpoint_and_the_rerun_ends_like_an_uninterrupted_run(inputs, tmp_path, caplog):
    config = AdaptationConfig(steps=120, batch_size=4, seq_len=24, learning_rate=1e-3, checkpoint_every=50,
                              log_every=1, seed=7)
    out, checkpoints = tmp_path / "la", tmp_path / "checkpoints"
    args = [sys.executable, "-m", "modsent.adapt", "--base-model", str(inputs["base"]), "--tokenizer",
            str(inputs["tokenizer"]), "--embeddings", str(inputs["embeddings"]), "--corpus", str(inputs["corpus"]),
            "--out", str(out), "--checkpoint-dir", str(checkpoints), "--device", "cpu", "--settings",
            json.dumps({"steps": 120, "batch_size": 4, "seq_len": 24, "learning_rate": 1e-3, "checkpoint_every": 50,
                        "log_every": 1, "seed": 7}), "--threads", "1"]
    job = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    for line in job.stderr:
        if " step 3/120 " in line:
            job.send_signal(signal.SIGTERM)
            break
    job.stderr.read()
    assert job.wait(timeout=120) == TERMINATED_EXIT_CODE
    assert not out.exists()
    stopped_at = int((checkpoints / "latest").read_text().split("-")[1])
    assert 3 <= stopped_at < 120

    caplog.set_level("INFO", logger="modsent")
    with one_thread():
        train_language_adapter(inputs["base"], inputs["tokenizer"], inputs["embeddings"], inputs["corpus"], out,
                               config=config, checkpoint_dir=checkpoints, device="cpu")
        assert f"resumed from step {stopped_at}" in caplog.text
        reference = train_language_adapter(inputs["base"], inputs["tokenizer"], inputs["embeddings"], inputs["corpus"],
                                           tmp_path / "reference", config=config, device="cpu")
    for name in ("embeddings.safetensors", "lora.safetensors", "mlm_head.safetensors"):
        resumed, uninterrupted = load_file(str(out / name)), load_file(str(reference / name))
        for key in uninterrupted:
            assert torch.allclose(resumed[key], uninterrupted[key], atol=1e-6), f"{name}:{key}"
    assert json.loads((out / "record.json").read_text())["tokens_seen"] == 120 * 4 * 24


def test_mask_tokens_masks_a_fixed_count_of_non_special_positions():
    ids = torch.randint(10, 1000, (64, 50))
    ids[:, 0], ids[:, -1], ids[:, 20] = 1, 2, 2
    masked, positions, labels = mask_tokens(ids, torch.tensor([0, 1, 2, 3]), count=7, mask_id=3, vocab_size=1000,
                                            generator=torch.Generator().manual_seed(0))
    assert positions.shape == labels.shape == (64, 7)
    assert (positions.sort(dim=1).values.diff(dim=1) > 0).all()  # distinct positions
    assert not torch.isin(positions, torch.tensor([0, 20, 49])).any()
    assert torch.equal(labels, ids.gather(1, positions))
    untouched = torch.ones_like(ids, dtype=torch.bool).scatter(1, positions, False)
    assert torch.equal(masked[untouched], ids[untouched])
    share_masked = (masked.gather(1, positions) == 3).float().mean().item()
    assert 0.7 < share_masked < 0.9


def test_batches_follow_the_step_and_cover_every_chunk_once_per_epoch():
    tokens = np.arange(10 * 8, dtype=np.uint16)
    frame = ChunkFormat(prefix=(1,), suffix=(2,), mask_id=3, pad_id=0, special_ids=(0, 1, 2, 3))
    batches = ChunkBatches(tokens, frame, seq_len=10, batch_size=5, seed=0)
    assert len(batches) == 10
    first = torch.cat([batches.batch(0), batches.batch(1)])
    assert (first[:, 0] == 1).all() and (first[:, -1] == 2).all()
    assert sorted(first[:, 1].tolist()) == list(range(0, 80, 8))  # every chunk once
    assert torch.equal(ChunkBatches(tokens, frame, 10, 5, 0).batch(1), batches.batch(1))  # a function of the step
    assert not torch.equal(batches.batch(2), batches.batch(0))  # a new order in the next epoch


def test_empty_corpus_fails_before_loading_the_model(inputs, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty corpus"):
        train_language_adapter(tmp_path / "no-model", inputs["tokenizer"], inputs["embeddings"], empty, tmp_path / "la")


def test_embeddings_that_do_not_fit_the_tokenizer_fail(inputs, tmp_path):
    wrong = tmp_path / "wrong.safetensors"
    save_file({"weight": torch.zeros(50, 32)}, str(wrong))
    with pytest.raises(ValueError, match="50 rows, the tokenizer .* 120 tokens"):
        train_language_adapter(tmp_path / "no-model", inputs["tokenizer"], wrong, inputs["corpus"], tmp_path / "la")


def test_corpus_shorter_than_one_sequence_fails(inputs, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("die katze\n", encoding="utf-8")
    with pytest.raises(ValueError, match="too few for one sequence of 24 tokens"):
        train_language_adapter(tmp_path / "no-model", inputs["tokenizer"], inputs["embeddings"], short,
                               tmp_path / "la", config=SMALL, checkpoint_dir=tmp_path / "ckpt")


def test_xlmr_position_ids_need_the_base_pad_id():
    from transformers import XLMRobertaConfig, XLMRobertaModel

    model = XLMRobertaModel(XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                             intermediate_size=32, pad_token_id=1))
    with pytest.raises(ValueError, match="pads with id 0, the base model's position ids assume 1"):
        set_word_embeddings(model, torch.zeros(30, 16), pad_token_id=0)
    set_word_embeddings(model, torch.ones(30, 16), pad_token_id=1)
    assert model.config.vocab_size == 30 and model.get_input_embeddings().weight.shape == (30, 16)
