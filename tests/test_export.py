"""`modsent export`: a sentence-transformers directory that plain `SentenceTransformer(dir)`
loads to the composed encoder's embeddings, every variant kind; the CLA adapter verifiably
loaded (a plain reload would drop it silently); a model card. On the store of every module
(`every_module`, tests/conftest.py)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer
from test_encoder import compose, encode

from modsent.cli import main
from modsent.evaluation.scoring import SCORE_COLUMNS
from modsent.export import export_encoder


@pytest.mark.parametrize("variant, lang", [
    ("mod_mc_jt", "de"),    # LA + SE merged, CLA as an adapter
    ("mod_c_jt", "de"),     # LA merged, CLA, no SE
    ("mod_m", "de"),        # LA + SE merged
    ("mod_mc_jt", "en"),    # the pivot: no CLA
    ("mod_m_no_la", "de"),  # SE on the base tokenizer
    ("base", "de"),
    ("full_m", "de"),
])
def test_the_export_loads_to_the_composed_embeddings(every_module, tiny_encoder, tmp_path, variant, lang):
    out = export_encoder(variant, lang, tmp_path / f"{variant}-{lang}", base_model=str(tiny_encoder),
                         store=every_module["store"], full_dir=every_module["root"] / "full")
    loaded = SentenceTransformer(str(out), device="cpu")
    np.testing.assert_allclose(encode(loaded), encode(compose(every_module, variant, lang, tiny_encoder)), atol=1e-5)
    assert not any(p.suffix in (".bin", ".pt", ".pkl") for p in out.rglob("*"))


def test_the_cla_verifiably_loads(every_module, tiny_encoder, tmp_path):
    out = export_encoder("mod_mc_jt", "de", tmp_path / "de", base_model=str(tiny_encoder), store=every_module["store"])
    modules = json.loads((out / "modules.json").read_text())
    assert modules[0]["type"] == "modsent.modules.exported.AlignedTransformer"
    loaded = SentenceTransformer(str(out), device="cpu")
    saved = load_file(str(out / "cla" / "adapter.safetensors"))
    params = dict(loaded[0].auto_model.named_parameters())
    matched = 0
    for key, tensor in saved.items():
        found = [p for name, p in params.items() if name.endswith(key.split("adapters.cla.", 1)[-1]) and ".cla." in name]
        assert found, key
        assert any(torch.equal(p.detach(), tensor) for p in found), key
        matched += 1
    assert matched == len(saved) > 0
    # the trap: the same files with a plain Transformer load without the adapter
    modules[0]["type"] = "sentence_transformers.base.modules.transformer.Transformer"
    (out / "modules.json").write_text(json.dumps(modules))
    plain = SentenceTransformer(str(out), device="cpu")
    assert not np.allclose(encode(plain), encode(loaded), atol=1e-4)


def test_the_model_card_and_the_cli(every_module, tiny_encoder, tmp_path, capsys):
    scores = tmp_path / "scores.csv"
    with open(scores, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SCORE_COLUMNS)
        writer.writeheader()
        writer.writerow(dict(variant="mod_mc_jt", task="sts", dataset="stsb", unit="de-en", setting="cross",
                             metric="spearman", value=0.4321))
        writer.writerow(dict(variant="mod_m", task="sts", dataset="stsb", unit="de", setting="mono",
                             metric="spearman", value=0.9))
    store = every_module["store"]
    assert main(["export", "--store", str(store), "--base-model", str(tiny_encoder), "--variant", "mod_mc_jt",
                 "--lang", "de", "--scores", str(scores), "--out", str(tmp_path / "card")]) == 0
    card = (tmp_path / "card" / "README.md").read_text()
    assert "variant `mod_mc_jt`, language `de`" in card and f"`{tiny_encoder}`" in card
    assert "| embedding layer |" in card and "| CLA adapter (jt) |" in card and "| SE adapter |" in card
    assert "| stsb | de-en | spearman | 0.4321 |" in card and "0.9000" not in card  # only this variant's rows
    assert "SentenceTransformer(" in card and "trust_remote_code=True" in card
    assert main(["export", "--store", str(store), "--base-model", str(tiny_encoder), "--variant", "mod_m",
                 "--lang", "fr", "--out", str(tmp_path / "fr")]) == 2
    assert "language 'fr'" in capsys.readouterr().err and not (tmp_path / "fr").exists()
