"""The module-size table (paper Table 4): counts, % of base, training times, bad input."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from safetensors.torch import save_file
from test_sentence_encoding import write_language_store

from modsent.modules.lora import ALL_LINEAR, ATTENTION_QKV, LoraConfig, add_lora, lora_state_dict, save_lora
from modsent.module_sizes import main, module_sizes


def _lora_parameters(model, targets, r=8) -> int:
    add_lora(model, LoraConfig(r=r, targets=targets))
    return sum(t.numel() for t in lora_state_dict(model).values())


def test_labse_shaped_modules_have_the_papers_sizes():
    """Table 4 of the paper (% of LaBSE's 472M): embeddings 8.15, LA 0.09, SE 0.25."""
    from transformers import BertConfig, BertModel

    with torch.device("meta"):
        model = BertModel(BertConfig(vocab_size=501_153, hidden_size=768, num_hidden_layers=12,
                                     num_attention_heads=12, intermediate_size=3072))
    labse = 471_000_000
    la = _lora_parameters(model, ATTENTION_QKV)
    assert la == 442_368 and round(100 * la / labse, 2) == 0.09
    with torch.device("meta"):
        model = BertModel(model.config)
    se = _lora_parameters(model, ALL_LINEAR)
    assert se == 1_179_648
    assert round(100 * se / labse, 2) == 0.25
    assert round(100 * 50_000 * 768 / labse, 2) == 8.15


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_encoder):
    from sentence_transformers import SentenceTransformer

    store = tmp_path_factory.mktemp("modules")
    write_language_store(tiny_encoder, store, "de", seed=0)
    body = SentenceTransformer(str(tiny_encoder), device="cpu")[0].auto_model
    config = LoraConfig(r=4, alpha=8, targets=ALL_LINEAR)
    add_lora(body, config)
    for se_dir, seconds in [(store / "de" / "se", 60.0), (store / "base" / "se-de", 50.0)]:
        save_lora(body, config, se_dir)
        (se_dir / "config.json").write_text(json.dumps({"pooling": "mean"}))
        (se_dir / "record.json").write_text(json.dumps({"seconds": seconds}))
    cla = store / "de" / "cla-jt"
    cla.mkdir()
    save_file({"down.weight": torch.zeros(16, 32), "down.bias": torch.zeros(16), "up.weight": torch.zeros(32, 16)},
              str(cla / "adapter.safetensors"))
    (cla / "adapter_config.json").write_text("{}")
    (cla / "record.json").write_text(json.dumps({"seconds": 30.0, "steps": 4}))
    return store


def test_table_counts_every_module(store, tiny_encoder, tmp_path):
    from sentence_transformers import SentenceTransformer

    base = sum(p.numel() for p in SentenceTransformer(str(tiny_encoder), device="cpu").parameters())
    dirs = [store / "de" / "cla-jt", store / "base" / "se-de", store / "de" / "se", store / "de" / "la"]
    out = tmp_path / "tables" / "modules.csv"
    module_sizes(str(tiny_encoder), dirs, out)
    with out.open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    rows = {r["module"]: r for r in table}
    vocab = len((store / "de" / "tokenizer" / "vocab.txt").read_text().split())
    hidden, layers = 32, 2
    expected = {
        "base model": (base, ""),
        "embedding layer": (vocab * hidden, "12.5"),
        "language adapter": (3 * layers * 4 * 2 * hidden, "12.5"),  # r 4 on q, k, v
        "SE adapter": (16 * layers * 4 * hidden, "60.0"),  # r 4 on q, k, v, intermediate, output
        "SE adapter (w/o LA)": (16 * layers * 4 * hidden, "50.0"),
        "CLA adapter (jt)": (16 * 32 + 16 + 32 * 16, "30.0"),
    }
    assert [r["module"] for r in table] == list(expected)  # pipeline order, as in Table 4
    for module, (parameters, seconds) in expected.items():
        row = rows[module]
        assert int(row["parameters"]) == parameters, module
        assert float(row["percent_of_base"]) == pytest.approx(100 * parameters / base, abs=1e-4), module
        assert row["training_seconds"] == seconds, module
    assert rows["SE adapter (w/o LA)"]["lang"] == "de" and rows["CLA adapter (jt)"]["lang"] == "de"


def test_bad_module_directories_fail_before_the_base_model_loads(store, tmp_path):
    missing_model = str(tmp_path / "no-such-model")
    with pytest.raises(FileNotFoundError, match="fr/se"):
        module_sizes(missing_model, [store / "de" / "se", store / "fr" / "se"], tmp_path / "a.csv")
    with pytest.raises(ValueError, match="tokenizer"):
        module_sizes(missing_model, [store / "de" / "tokenizer"], tmp_path / "b.csv")
    assert not (tmp_path / "a.csv").exists() and not (tmp_path / "b.csv").exists()


def test_cli(store, tiny_encoder, tmp_path):
    main(["--base-model", str(tiny_encoder), "--out", str(tmp_path / "m.csv"), str(store / "de" / "se")])
    with (tmp_path / "m.csv").open(encoding="utf-8") as f:
        assert [r["module"] for r in csv.DictReader(f)] == ["base model", "SE adapter"]
