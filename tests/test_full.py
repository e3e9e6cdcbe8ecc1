"""Full-parameter baselines: the paper's batching, every parameter trains, safetensors output."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from modsent.full import CROSS, MONO, FullSettings, MultiParallelPairs, epoch_batches, train_full_baseline
from modsent.tsv import Example, FormatError, write_examples

LANGS = ("en", "de", "fr")
N = 12
TINY = FullSettings(batch_size=4, learning_rate=1e-3, epochs=1, max_seq_length=32, warmup_ratio=0.0, seed=5)


def _examples(lang, n=N):
    # Row i is the same pair in every language; every third row has a hard negative.
    return [Example(f"r{i}", f"{lang} anchor {i}", f"{lang} positive {i}", f"{lang} negative {i}" if i % 3 == 0 else "")
            for i in range(n)]


@pytest.fixture()
def mono_views(tmp_path):
    paths = {}
    for lang in LANGS:
        paths[lang] = tmp_path / "train" / lang / "mono.tsv"
        write_examples(paths[lang], _examples(lang))
    return paths


def _lang(text):
    return text.split()[0]


def test_monolingual_epoch_draws_each_row_once_in_one_language_per_batch():
    pairs = MultiParallelPairs({lang: _examples(lang, 400) for lang in LANGS})
    rng = np.random.default_rng(0)
    rows, groups = pairs.draw_epoch(MONO, rng)
    assert [int(r[0].split()[-1]) for r in rows] == list(range(400))  # every row once
    assert all(_lang(a) == _lang(p) and (not n or _lang(n) == _lang(a)) for a, p, n in rows)
    assert {_lang(r[0]) for r in rows} == set(LANGS)
    lengths = np.ones(len(rows), dtype=np.int64)
    batches = epoch_batches(groups, lengths, 16, rng)
    assert sorted(np.concatenate(batches).tolist()) == list(range(400))
    for batch in batches:
        assert len({_lang(rows[i][0]) for i in batch}) == 1, "a Full_m batch mixes languages"
        assert len({bool(rows[i][2]) for i in batch}) == 1, "pairs and triplets share a batch"
    assert len({_lang(rows[b[0]][0]) for b in batches}) == len(LANGS)


def test_cross_lingual_epoch_draws_each_side_language_independently():
    pairs = MultiParallelPairs({lang: _examples(lang, 400) for lang in LANGS})
    rows, groups = pairs.draw_epoch(CROSS, np.random.default_rng(0))
    sides = [(_lang(a), _lang(p)) for a, p, _ in rows]
    assert len(set(sides)) == len(LANGS) ** 2  # every (anchor, positive) language combination occurs
    assert all(not n or _lang(n) == _lang(p) for _, p, n in rows)  # the negative goes with the positive
    assert all(int(a.split()[-1]) == int(p.split()[-1]) for a, p, _ in rows)  # still the same pair
    batches = epoch_batches(groups, np.ones(len(rows), dtype=np.int64), 16, np.random.default_rng(1))
    assert any(len({_lang(rows[i][0]) for i in b}) > 1 for b in batches)


def _record(out):
    return json.loads((out / "record.json").read_text())


def test_a_language_with_its_own_source_keeps_its_rows_to_itself():
    own = [Example(f"x{i}", f"de anchor {i}", f"de positive {i}") for i in range(50)]
    pairs = MultiParallelPairs({"en": _examples("en", 50), "fr": _examples("fr", 50), "de": own})
    assert len(pairs) == 100
    rows, _ = pairs.draw_epoch(CROSS, np.random.default_rng(0))
    de_rows = [r for r in rows if _lang(r[0]) == "de" or _lang(r[1]) == "de"]
    assert len(de_rows) == 50 and all(_lang(a) == _lang(p) == "de" for a, p, _ in de_rows)
    assert {(_lang(a), _lang(p)) for a, p, _ in rows} - {("de", "de")} == {
        (x, y) for x in ("en", "fr") for y in ("en", "fr")}


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_full_m_trains_every_parameter_and_reloads_identically(tiny_encoder, mono_views, tmp_path):
    from sentence_transformers import SentenceTransformer

    before = _weights(SentenceTransformer(str(tiny_encoder), device="cpu"))
    out = tmp_path / "full" / "full_m"
    trained = train_full_baseline("full_m", out, base_model=str(tiny_encoder), mono=mono_views, settings=TINY,
                                  device="cpu")
    record = _record(out)
    assert record["stages"][0]["stage"] == MONO and record["stages"][0]["languages"] == sorted(LANGS)
    # 12 rows once each, in batches of at most 4 split by language and by pair/triplet
    assert record["stages"][0]["pairs"] == N and N // 4 <= record["steps"] <= N // 2
    files = {p.name for p in out.iterdir()}
    assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pkl")) for f in files), files
    assert record["variant"] == "full_m" and record["seconds"] >= 0

    model = SentenceTransformer(str(out), device="cpu")
    after = _weights(model)
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    layer_weights = [k for k in before if k.endswith("weight") and "encoder.layer" in k]
    assert set(layer_weights) <= set(changed), "full-parameter training left encoder weights untouched"
    texts = ["de anchor 1", "fr positive 2"]
    np.testing.assert_array_equal(model.encode(texts), trained.encode(texts))


def test_same_seed_same_model(tiny_encoder, mono_views, tmp_path):
    from sentence_transformers import SentenceTransformer

    def train(name, seed):
        settings = FullSettings(**{**TINY.__dict__, "seed": seed})
        train_full_baseline("full_c", tmp_path / name, base_model=str(tiny_encoder), mono=mono_views,
                            settings=settings, device="cpu")
        return SentenceTransformer(str(tmp_path / name), device="cpu").encode(["en anchor 3", "de positive 4"])

    first, second, other = train("a", 5), train("b", 5), train("c", 6)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_full_en_uses_the_pivot_only_and_full_mc_continues_full_m(tiny_encoder, mono_views, tmp_path):
    train_full_baseline("full_en", tmp_path / "full_en", base_model=str(tiny_encoder), mono=mono_views,
                        settings=TINY, device="cpu")
    assert _record(tmp_path / "full_en")["stages"][0]["languages"] == ["en"]
    train_full_baseline("full_mc", tmp_path / "mc", base_model=str(tiny_encoder), mono=mono_views,
                        settings=TINY, device="cpu")
    assert [s["stage"] for s in _record(tmp_path / "mc")["stages"]] == [MONO, CROSS]
    train_full_baseline("full_mc", tmp_path / "mc2", base_model=str(tiny_encoder), mono=mono_views,
                        start_from=tmp_path / "full_en", settings=TINY, device="cpu")
    cont = _record(tmp_path / "mc2")
    assert [s["stage"] for s in cont["stages"]] == [CROSS] and cont["start_from"].endswith("full_en")


def test_bad_inputs_fail_before_training(tiny_encoder, mono_views, tmp_path):
    write_examples(mono_views["fr"], _examples("fr") + _examples("fr")[:1])  # a row id twice
    with pytest.raises(ValueError, match="fr.*'r0' occurs twice"):
        train_full_baseline("full_m", tmp_path / "x", base_model=str(tiny_encoder), mono=mono_views, settings=TINY)
    with pytest.raises(ValueError, match="unknown full baseline"):
        train_full_baseline("full_x", tmp_path / "x", base_model=str(tiny_encoder), mono=mono_views)
    with pytest.raises(ValueError, match="full_mc only"):
        train_full_baseline("full_m", tmp_path / "x", base_model=str(tiny_encoder), mono=mono_views,
                            start_from=tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        train_full_baseline("full_en", tmp_path / "x", base_model=str(tiny_encoder), mono={"en": tmp_path / "missing.tsv"})
    with pytest.raises(ValueError, match="pivot"):
        train_full_baseline("full_m", tmp_path / "x", base_model=str(tiny_encoder), mono={"de": mono_views["de"]})
    mono_views["fr"].write_text("id\tanchor\n", encoding="utf-8")
    with pytest.raises(FormatError, match="mono.tsv"):
        train_full_baseline("full_m", tmp_path / "x", base_model=str(tiny_encoder), mono=mono_views)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("how, every, stage, stop", [
    ("sigterm", 100, 0, 2),  # in the monolingual stage
    ("sigkill", 100, 0, 2),  # before any checkpoint: starts afresh
    ("sigkill", 2, 1, 3),  # in the cross-lingual stage: resumes there, the monolingual stage is done
    ("sigkill", 100, 1, 1),  # resumes from the checkpoint at the end of the monolingual stage
])
def test_an_interrupted_full_mc_resumes_and_ends_like_an_uninterrupted_one(tiny_encoder, mono_views, tmp_path,
                                                                           monkeypatch, caplog, how, every, stage,
                                                                           stop):
    from interruptions import Killed, interrupt_at
    from safetensors.torch import load_file

    from modsent.checkpoint import TrainingInterrupted

    caplog.set_level("INFO", logger="modsent")
    settings = FullSettings(**{**TINY.__dict__, "epochs": 2})
    out, checkpoints = tmp_path / "full_mc", tmp_path / "checkpoints" / "full_mc"
    common = dict(base_model=str(tiny_encoder), mono=mono_views, settings=settings, device="cpu")
    reference = tmp_path / "reference"
    train_full_baseline("full_mc", reference, **common)
    mono_steps = _record(reference)["stages"][0]["steps"]
    interrupt_at(monkeypatch, stop + stage * mono_steps, how)
    with pytest.raises(TrainingInterrupted if how == "sigterm" else Killed):
        train_full_baseline("full_mc", out, checkpoint_dir=checkpoints, checkpoint_every=every, **common)
    monkeypatch.undo()
    assert not out.exists() and checkpoints.is_dir()
    caplog.clear()
    train_full_baseline("full_mc", out, checkpoint_dir=checkpoints, checkpoint_every=every, **common)
    expected = {("sigterm", 0): stop, ("sigkill", 0): None}.get((how, stage), stop // every * every or mono_steps)
    assert ("resumed from step" in caplog.text) == (expected is not None)
    if expected is not None:
        assert f"resumed from step {expected} " in caplog.text
    assert not checkpoints.exists()
    resumed, uninterrupted = (load_file(str(d / "model.safetensors")) for d in (out, reference))
    for key in uninterrupted:
        assert torch.equal(resumed[key], uninterrupted[key]), key
    assert [s["steps"] for s in _record(out)["stages"]] == [s["steps"] for s in _record(reference)["stages"]]
