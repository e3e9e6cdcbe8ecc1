"""CLA adapters: only CLA parameters train, the pivot stays frozen and in eval mode,
saved adapters reload to identical embeddings, same seed gives the same adapter."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from modsent.align import AlignmentSettings, train_alignment_adapter, train_cla
from modsent.modules.alignment import add_alignment_adapter, apply_alignment_adapter, save_alignment_adapter
from modsent.store import ModuleStore

EN = ["the cat sits on the mat", "a dog runs in the park", "the child reads a book", "a man plays the guitar",
      "a woman cooks dinner", "the sun is shining today", "the cat reads a book", "a dog plays in the park"]
DE = ["die katze sitzt auf der matte", "ein hund läuft im park", "das kind liest ein buch", "ein mann spielt",
      "eine frau kocht", "die sonne scheint heute", "die katze liest ein buch", "ein hund spielt im park"]
FR = ["le chat est assis sur le tapis", "un chien court dans le parc", "l'enfant lit un livre", "un homme joue",
      "une femme cuisine", "le soleil brille", "le chat lit un livre", "un chien joue dans le parc"]
CROSS = list(zip(EN, DE[1:] + DE[:1]))  # (English sentence, a German "paraphrase")
PARALLEL = list(zip(EN, DE))

SMALL = AlignmentSettings(batch_size=4, learning_rate=1e-3, epochs=1, max_seq_length=32, warmup_ratio=0.0, seed=3)


def _encoder(path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _cla_parameter_names(model):
    return {n for n, p in model.named_parameters() if ".adapters.cla." in n}


def test_only_cla_parameters_change_and_never_the_pivot(tiny_encoder):
    model, pivot = _encoder(tiny_encoder), _encoder(tiny_encoder)
    pivot_before, model_before = _state(pivot), _state(model)
    record = train_cla(model, pivot, kind="jt", cross=CROSS, parallel=PARALLEL, settings=SMALL)

    assert record["steps"] > 0
    for name, value in pivot.state_dict().items():
        assert torch.equal(value, pivot_before[name]), f"pivot parameter {name} changed"
    after = _state(model)
    cla = {k for k in after if ".adapters.cla." in k}
    assert cla, "no CLA parameters were added"
    for name, value in model_before.items():  # (adapters also adds aliases of existing tensors)
        assert torch.equal(after[name], value), f"non-CLA parameter {name} changed"
    assert any(after[k].abs().sum() > 0 for k in cla if "adapter_up" in k), "the CLA adapter did not train"
    assert {n for n, p in model.named_parameters() if p.requires_grad} == _cla_parameter_names(model)


def test_pivot_is_in_eval_mode_for_every_forward(tiny_encoder):
    model, pivot = _encoder(tiny_encoder), _encoder(tiny_encoder)
    modes = []
    for module in pivot.modules():
        module.register_forward_hook(lambda m, args, out: modes.append(m.training))
    own_modes = []
    model[0].register_forward_hook(lambda m, args, out: own_modes.append(m.training))
    train_cla(model, pivot, kind="jt", cross=CROSS, parallel=PARALLEL, settings=SMALL)
    assert modes, "the pivot encoder was never called"
    assert not any(modes), "the frozen pivot ran in train mode (dropout on) during CLA training"
    assert own_modes and all(own_modes), "the aligned encoder must train in train mode"


def test_alignment_pulls_translations_to_the_pivot(tiny_encoder, tmp_path):
    from modsent.tiny_models import build_tiny_encoder

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(EN + DE) + "\n", encoding="utf-8")
    other = build_tiny_encoder(corpus, tmp_path / "other", vocab_size=200, seed=7)
    model, pivot = _encoder(other), _encoder(tiny_encoder)

    def mean_cosine():
        a = model.encode(DE, convert_to_tensor=True)
        b = pivot.encode(EN, convert_to_tensor=True)
        return torch.nn.functional.cosine_similarity(a, b).mean().item()

    before = mean_cosine()
    settings = AlignmentSettings(batch_size=4, learning_rate=1e-2, epochs=8, max_seq_length=32, warmup_ratio=0.0)
    train_cla(model, pivot, kind="pl", parallel=PARALLEL, settings=settings)
    assert mean_cosine() > before + 0.05


def test_kinds_choose_batches(tiny_encoder):
    settings = AlignmentSettings(batch_size=2, epochs=1, max_seq_length=32)
    cross, parallel = CROSS, PARALLEL[:4]  # 4 paraphrase batches, 2 parallel batches
    pp = train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="pp", cross=cross, settings=settings)
    assert pp["pairs"] == {"paraphrase": 8} and pp["steps"] == 4
    pl = train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="pl", parallel=parallel, settings=settings)
    assert pl["pairs"] == {"parallel": 4} and pl["steps"] == 2
    # jt trains on every pair of both views, its batches interleaved evenly
    jt = train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="jt", cross=cross, parallel=parallel,
                   settings=settings)
    assert jt["pairs"] == {"paraphrase": 8, "parallel": 4} and jt["steps"] == 6


def test_cross_view_hard_negatives_join_the_mnrl_candidates(tiny_encoder, tmp_path, monkeypatch):
    """A cross row (English anchor, X positive, X negative): MNRL scores the anchor against the
    batch's X positives and X negatives, as SE does within X."""
    from modsent import losses
    from modsent.align import PARAPHRASE, _read_pairs
    from modsent.tsv import CROSS_COLUMNS, write_table

    view = tmp_path / "cross.tsv"
    negatives = ["niemand sitzt", "", "kein kind liest", "", "", "", "", ""]
    write_table(view, CROSS_COLUMNS, [(str(i), en, x, n) for i, (en, x, n) in enumerate(zip(EN, DE, negatives))])
    cross = _read_pairs(view, PARAPHRASE)
    assert cross[0] == (EN[0], DE[0], "niemand sitzt") and cross[1] == (EN[1], DE[1])
    seen = []
    forward = losses.MultipleNegativesRankingLoss.forward

    def spy(self, anchor, positive, negative=None):
        seen.append((len(anchor), 0 if negative is None else len(negative)))
        return forward(self, anchor, positive, negative)

    monkeypatch.setattr(losses.MultipleNegativesRankingLoss, "forward", spy)
    settings = AlignmentSettings(batch_size=8, epochs=1, max_seq_length=32)
    record = train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="pp", cross=cross, settings=settings)
    assert record["hard_negatives"] == 2 and seen == [(8, 2)]


def test_jt_interleaves_both_views_evenly():
    from modsent.align import _epoch_schedule, _PairGroup
    from modsent.training import TokenizedTexts

    def group(task, n):
        texts = TokenizedTexts(np.zeros(n, dtype=np.int32), np.arange(n + 1))
        return _PairGroup(task, "en", texts, texts, np.full(n, -1))

    groups = [group("paraphrase", 6), group("parallel", 12)]  # 3 and 6 batches of 2
    schedule = _epoch_schedule(groups, ("paraphrase", "parallel"), 2, np.random.default_rng(0))
    # batch i of n at (i + 0.5) / n of the epoch: parallel at 1/12, 3/12, ...; paraphrase at 1/6, 3/6, 5/6
    pp, pl = "paraphrase", "parallel"
    assert [g.task for g, _ in schedule] == [pl, pp, pl] * 3
    for g in groups:  # every pair exactly once
        assert sorted(np.concatenate([rows for h, rows in schedule if h is g])) == list(range(len(g.negative_row)))
    equal = _epoch_schedule([group("paraphrase", 4), group("parallel", 4)], ("paraphrase", "parallel"), 2,
                            np.random.default_rng(0))
    assert [g.task for g, _ in equal] == ["paraphrase", "parallel"] * 2  # equal counts: strict alternation


def test_allpair_aligns_to_other_languages_with_frozen_partners(tiny_encoder):
    model, pivot, partner = _encoder(tiny_encoder), _encoder(tiny_encoder), _encoder(tiny_encoder)
    partner_before = _state(partner)
    seen = {"pivot": [], "fr": []}
    pivot[0].register_forward_hook(lambda m, args, out: seen["pivot"].append(m.training))
    partner[0].register_forward_hook(lambda m, args, out: seen["fr"].append(m.training))
    translations = {"fr": dict(zip(EN[:6], FR[:6]))}  # the last two rows can only pair with the pivot
    record = train_cla(model, pivot, kind="allpair", cross=CROSS, parallel=PARALLEL, partner_encoders={"fr": partner},
                       translations=translations, settings=SMALL)
    assert record["partners"] == ["en", "fr"]
    assert seen["pivot"] and seen["fr"] and not any(seen["pivot"] + seen["fr"])
    for name, value in partner.state_dict().items():
        assert torch.equal(value, partner_before[name]), f"partner parameter {name} changed"


def test_saved_adapter_reloads_to_identical_embeddings(tiny_encoder, tmp_path):
    model = _encoder(tiny_encoder)
    record = train_cla(model, _encoder(tiny_encoder), kind="jt", cross=CROSS, parallel=PARALLEL, settings=SMALL)
    out = tmp_path / "cla-jt"
    save_alignment_adapter(model, out, record)
    files = {p.name for p in out.iterdir()}
    assert {"adapter.safetensors", "adapter_config.json", "record.json"} <= files
    assert not any(name.endswith((".bin", ".pt", ".pth", ".pkl")) for name in files), files
    saved = json.loads((out / "record.json").read_text())
    assert saved["steps"] == record["steps"] and saved["seconds"] >= 0 and saved["pairs"]

    reloaded = _encoder(tiny_encoder)
    plain = reloaded.encode(DE)
    apply_alignment_adapter(reloaded, out)
    expected = model.encode(DE)
    np.testing.assert_array_equal(reloaded.encode(DE), expected)
    assert not np.allclose(plain, expected), "the adapter must change the embeddings"
    with pytest.raises(ValueError, match="already has a CLA adapter"):
        apply_alignment_adapter(reloaded, out)


def test_same_seed_gives_the_same_adapter(tiny_encoder):
    def adapter(seed):
        model = _encoder(tiny_encoder)
        settings = AlignmentSettings(**{**SMALL.__dict__, "seed": seed})
        train_cla(model, _encoder(tiny_encoder), kind="jt", cross=CROSS, parallel=PARALLEL, settings=settings)
        return {k: v for k, v in _state(model).items() if ".adapters.cla." in k}

    first, second, other = adapter(3), adapter(3), adapter(4)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_parbn_defaults_give_the_paper_module_size():
    """ParBnConfig(): bottleneck hidden/2 at the feed-forward output; LaBSE -> 7.09M (Table 4, 1.50%)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=50, hidden_size=768, num_hidden_layers=1, num_attention_heads=12,
                        intermediate_size=64)
    transformer = Transformer.__new__(Transformer)
    torch.nn.Module.__init__(transformer)
    transformer.model = BertModel(config)
    model = SentenceTransformer(modules=[transformer, Pooling(768)], device="cpu")
    per_layer = sum(p.numel() for p in add_alignment_adapter(model))
    assert per_layer == 768 * 384 + 384 + 384 * 768 + 768
    assert round(12 * per_layer / 1e6, 2) == 7.09


def test_bad_inputs_fail_before_training(tiny_encoder, tmp_path):
    with pytest.raises(ValueError, match="unknown alignment kind"):
        train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="xx", cross=CROSS)
    with pytest.raises(ValueError, match="at least 2 parallel pairs"):
        train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind="jt", cross=CROSS, parallel=PARALLEL[:1])
    model = _encoder(tiny_encoder)
    with pytest.raises(ValueError, match="shares parameters"):
        train_cla(model, model, kind="pp", cross=CROSS)
    with pytest.raises(ValueError, match="batch_size"):
        AlignmentSettings(batch_size=1)
    missing = tmp_path / "nope.tsv"
    with pytest.raises(FileNotFoundError, match="nope.tsv"):
        train_alignment_adapter("de", "pp", tmp_path / "out", base_model=str(tiny_encoder), encoders={}, cross=missing)
    with pytest.raises(ValueError, match="needs the parallel view"):
        train_alignment_adapter("de", "jt", tmp_path / "out", base_model=str(tiny_encoder), encoders={}, cross=missing)
    with pytest.raises(ValueError, match="pivot"):
        train_alignment_adapter("en", "pp", tmp_path / "out", base_model=str(tiny_encoder), encoders={}, cross=missing)
    with pytest.raises(FileNotFoundError, match="no adapter.safetensors"):
        apply_alignment_adapter(_encoder(tiny_encoder), tmp_path)


def _write_store(base_model, store, lang, seed):
    """modules/{lang}: tokenizer/, la/ (embeddings + q/k/v LoRA), se/ (all-linear LoRA), by hand."""
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    from modsent.modules.lora import ALL_LINEAR, ATTENTION_QKV, LoraConfig, add_lora, save_lora

    generator = torch.Generator().manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    tokenizer.save_pretrained(store / lang / "tokenizer")
    for module, targets in (("la", ATTENTION_QKV), ("se", ALL_LINEAR)):
        body = SentenceTransformer(str(base_model), device="cpu")[0].auto_model
        config = LoraConfig(r=2, alpha=4, targets=targets)
        for layer in add_lora(body, config).values():
            layer.lora_B.data = torch.randn(layer.lora_B.shape, generator=generator) * 0.2
        save_lora(body, config, store / lang / module)
    weight = body.embeddings.word_embeddings.base_layer.weight if hasattr(
        body.embeddings.word_embeddings, "base_layer") else body.embeddings.word_embeddings.weight
    save_file({"weight": (weight + 0.1 * torch.randn(weight.shape, generator=generator)).detach().contiguous()},
              str(store / lang / "la" / "embeddings.safetensors"))
    (store / lang / "la" / "config.json").write_text(json.dumps({"pad_token_id": tokenizer.pad_token_id}))
    (store / lang / "se" / "config.json").write_text(json.dumps({"pooling": "mean"}))


def _write_views(train, lang, texts):
    from modsent.tsv import PAIR_COLUMNS, write_table

    write_table(train / lang / "cross.tsv", PAIR_COLUMNS, [(str(i), en, x) for i, (en, x) in
                                                           enumerate(zip(EN, texts[1:] + texts[:1]))])
    write_table(train / lang / "parallel.tsv", PAIR_COLUMNS, [(str(i), en, x) for i, (en, x) in enumerate(zip(EN, texts))])


def _digest(directory):
    import hashlib

    return {p.relative_to(directory): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_cli_trains_from_the_module_store_and_composes(tiny_encoder, tmp_path):
    from modsent.align import main
    from modsent.modules.composition import compose_encoder

    store, train = tmp_path / "modules", tmp_path / "train"
    for seed, lang in enumerate(("en", "de", "fr")):
        _write_store(tiny_encoder, store, lang, seed)
    _write_views(train, "de", DE)
    _write_views(train, "fr", FR)
    pivot_files = _digest(store / "en")
    settings = ["--settings", json.dumps({"batch_size": 4, "max_seq_length": 32, "seed": 1}), "--device", "cpu"]
    common = ["--base-model", str(tiny_encoder), "--lang", "de",
              "--cross", str(train / "de" / "cross.tsv"), "--parallel", str(train / "de" / "parallel.tsv")]

    def encoders(kind, partners=()):
        return ["--encoders", json.dumps(ModuleStore(str(store)).alignment_encoders("de", kind, "en", partners))]

    main(common + ["--kind", "jt", "--out", str(store / "de" / "cla-jt")] + encoders("jt") + settings)
    main(common + ["--kind", "c-jt", "--out", str(store / "de" / "cla-c-jt")] + encoders("c-jt") + settings)
    main(common + ["--kind", "allpair", "--out", str(store / "de" / "cla-allpair"),
                   "--partner-parallel", f"fr={train / 'fr' / 'parallel.tsv'}"] + encoders("allpair", ("fr",)) + settings)
    assert _digest(store / "en") == pivot_files, "CLA training wrote to the pivot's modules"

    record = json.loads((store / "de" / "cla-allpair" / "record.json").read_text())
    # batches are per partner language; every pair of both views trains
    assert record["partners"] == ["en", "fr"] and record["lang"] == "de"
    assert record["pairs"] == {"paraphrase": 8, "parallel": 8} and record["steps"] >= 4
    base = dict(base_model=str(tiny_encoder), store=store, device="cpu")
    mod_m = compose_encoder("mod_m", "de", **base).encode(DE)
    for variant in ("mod_mc_jt", "mod_c_jt", "mod_mc_jt_allpair"):
        aligned = compose_encoder(variant, "de", **base).encode(DE)
        assert not np.allclose(aligned, mod_m), f"{variant}: the CLA adapter had no effect"
    # English composes without a CLA, so its embeddings are the same in every variant
    np.testing.assert_array_equal(compose_encoder("mod_mc_jt", "en", **base).encode(EN),
                                  compose_encoder("mod_m", "en", **base).encode(EN))


def test_frozen_side_is_embedded_once_exactly_as_the_encoder_would(tiny_encoder):
    from modsent.align import _frozen_embeddings
    from modsent.training import tokenize_texts

    pivot = _encoder(tiny_encoder)
    texts = EN + ["a much longer sentence about the cat and the dog in the park today"]
    tokens = tokenize_texts(pivot.tokenizer, texts, 32)
    rows = np.array([8, 0, 3, 5, 1])  # unsorted, some rows left out
    embedded = _frozen_embeddings(pivot, tokens, rows, pivot.tokenizer.pad_token_id, 2, "cpu",
                                  torch.autocast("cuda", enabled=False))
    expected = pivot.encode([texts[i] for i in rows], convert_to_tensor=True)
    torch.testing.assert_close(embedded[torch.from_numpy(rows)], expected, atol=1e-5, rtol=1e-5)
    assert not embedded[[2, 4, 6, 7]].any(), "rows the schedule does not use are not embedded"


def test_pair_counts_of_pp_pl_jt_on_the_shipped_tiny_views(tiny_encoder, tmp_path):
    """pp trains on every cross row, pl on every parallel pair, jt on both: on the shipped
    tiny XNLI data the parallel view is the larger one (premise + hypothesis per row), so
    cutting jt to the shorter view would drop parallel pairs."""
    from conftest import REPO

    from modsent.align import PARALLEL, PARAPHRASE, _read_pairs
    from modsent.training_views import build_training_views

    spec = {"format": "nli", "path": str(REPO / "modsent/resources/tiny/train/xnli"), "splits": ["dev"]}
    views = build_training_views(tmp_path / "de", lang="de", pivot="en", provided=spec)
    cross, parallel = _read_pairs(views["cross"], PARAPHRASE), _read_pairs(views["parallel"], PARALLEL)
    triplets = sum(len(r) == 3 for r in cross)
    assert 0 < triplets <= len(cross) < len(parallel)
    settings = AlignmentSettings(batch_size=32, epochs=1, max_seq_length=32)
    records = {kind: train_cla(_encoder(tiny_encoder), _encoder(tiny_encoder), kind=kind, cross=cross,
                               parallel=parallel, settings=settings) for kind in ("pp", "pl", "jt")}
    batches = {n: -(-n // 32) for n in (len(cross), len(parallel))}
    assert records["pp"]["pairs"] == {"paraphrase": len(cross)} and records["pp"]["steps"] == batches[len(cross)]
    assert records["pl"]["pairs"] == {"parallel": len(parallel)} and records["pl"]["steps"] == batches[len(parallel)]
    assert records["jt"]["pairs"] == {"paraphrase": len(cross), "parallel": len(parallel)}
    assert records["jt"]["steps"] == records["pp"]["steps"] + records["pl"]["steps"]
    assert records["pp"]["hard_negatives"] == records["jt"]["hard_negatives"] == triplets


@pytest.mark.parametrize("how, every, stop", [("sigterm", 100, 3), ("sigkill", 2, 5)])
def test_an_interrupted_alignment_resumes_and_ends_like_an_uninterrupted_one(tiny_encoder, tmp_path, monkeypatch,
                                                                             caplog, how, every, stop):
    from interruptions import Killed, interrupt_at

    from modsent.checkpoint import TrainingInterrupted

    store, train = tmp_path / "modules", tmp_path / "train"
    for seed, lang in enumerate(("en", "de")):
        _write_store(tiny_encoder, store, lang, seed)
    _write_views(train, "de", DE)
    settings = AlignmentSettings(batch_size=2, learning_rate=1e-3, epochs=1, max_seq_length=32, seed=2)

    def train_jt(out, **checkpointing):
        return train_alignment_adapter("de", "jt", out, base_model=str(tiny_encoder),
                                       encoders=ModuleStore(str(store)).alignment_encoders("de", "jt", "en"),
                                       cross=train / "de" / "cross.tsv", parallel=train / "de" / "parallel.tsv",
                                       settings=settings, device="cpu", **checkpointing)

    caplog.set_level("INFO", logger="modsent")
    out, checkpoints = tmp_path / "cla-jt", tmp_path / "checkpoints" / "cla" / "de" / "jt"
    interrupt_at(monkeypatch, stop, how)
    with pytest.raises(TrainingInterrupted if how == "sigterm" else Killed):
        train_jt(out, checkpoint_dir=checkpoints, checkpoint_every=every)
    monkeypatch.undo()
    assert not out.exists()
    record = train_jt(out, checkpoint_dir=checkpoints, checkpoint_every=every)
    assert f"resumed from step {stop if how == 'sigterm' else stop // every * every} " in caplog.text
    assert not checkpoints.exists()
    reference = train_jt(tmp_path / "reference")
    assert record["steps"] == reference["steps"] == 8 and record["pairs"] == reference["pairs"]
    from safetensors.torch import load_file

    resumed, uninterrupted = (load_file(str(d / "adapter.safetensors")) for d in (out, tmp_path / "reference"))
    assert resumed.keys() == uninterrupted.keys()
    for key in uninterrupted:
        assert torch.equal(resumed[key], uninterrupted[key]), key
