"""Checkpoint directories: complete or absent, stale temporaries removed, other inputs discarded;
training state round trip."""

from __future__ import annotations

import os
import time

import pytest
import torch

from modsent.checkpoint import CheckpointDir, TrainingCheckpoints, fingerprint, remove_temporaries
from modsent.utils import atomic_output


def _loop(directory, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 / (1 + s))
    return model, TrainingCheckpoints(directory, dict(model.named_parameters()), optimizer, scheduler, every=2,
                                      total_steps=10)


def _step(model, checkpoints):
    loss = (model(torch.randn(4, 3)) ** 2).sum()  # consumes the torch RNG, as dropout does
    loss.backward()
    checkpoints.optimizer.step()
    checkpoints.scheduler.step()
    checkpoints.optimizer.zero_grad()


def test_a_restored_loop_continues_exactly(tmp_path):
    directory = CheckpointDir(tmp_path / "ckpt", "fp")
    model, checkpoints = _loop(directory)
    for step in range(1, 4):
        _step(model, checkpoints)
        checkpoints.after_step(step, lambda: {"seconds": 1.5})
    assert sorted(p.name for p in directory.root.iterdir()) == ["fingerprint.txt", "latest", "step-000000002"]
    for _ in range(3):  # steps 4..6 of the uninterrupted run
        _step(model, checkpoints)

    again, restored = _loop(CheckpointDir(tmp_path / "ckpt", "fp"), seed=1)
    state = restored.restore()
    assert state["step"] == 2 and state["seconds"] == 1.5
    for _ in range(4):  # steps 3..6 after the restore
        _step(again, restored)
    for name, value in model.state_dict().items():
        assert torch.equal(again.state_dict()[name], value), name


def test_a_checkpoint_killed_while_being_written_is_ignored_and_its_temporaries_removed(tmp_path, monkeypatch):
    directory = CheckpointDir(tmp_path / "ckpt", "fp")
    model, checkpoints = _loop(directory)
    _step(model, checkpoints)
    checkpoints.save(2)
    # SIGKILL while writing the next one: atomic_output never got to rename (or clean up)
    half = directory.root / f".step-000000004.tmp-{os.getpid() + 1}"
    half.mkdir()
    (half / "parameters.safetensors").write_bytes(b"\0" * 10)
    orphan = tmp_path / "out" / f".0.tsv.tmp-{os.getpid() + 1}"
    orphan.parent.mkdir()
    orphan.write_text("half a shard")
    assert remove_temporaries(tmp_path / "out") == 1 and not orphan.exists()

    _, restored = _loop(CheckpointDir(tmp_path / "ckpt", "fp"))
    assert not half.exists()
    assert restored.restore()["step"] == 2


def test_checkpoints_of_other_inputs_or_settings_are_discarded(tmp_path, caplog):
    data = tmp_path / "data.tsv"
    data.write_text("a\n")
    first = fingerprint({"lr": 1}, {"data": data, "model": "hub/id"})
    assert first == fingerprint({"lr": 1}, {"data": data, "model": "hub/id"})
    assert first != fingerprint({"lr": 2}, {"data": data, "model": "hub/id"})
    directory = CheckpointDir(tmp_path / "ckpt", first)
    model, checkpoints = _loop(directory)
    checkpoints.save(2)
    time.sleep(0.01)
    data.write_text("b\n")  # the input changed since the checkpoint
    changed = fingerprint({"lr": 1}, {"data": data, "model": "hub/id"})
    assert changed != first
    _, restored = _loop(CheckpointDir(tmp_path / "ckpt", changed))
    assert restored.restore() is None and "starting afresh" in caplog.text
    assert [p.name for p in (tmp_path / "ckpt").iterdir()] == ["fingerprint.txt"]


def test_atomic_output_leaves_nothing_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "entry") as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_checkpoints_and_stops(tmp_path):
    import signal

    from modsent.checkpoint import TrainingInterrupted

    model, checkpoints = _loop(CheckpointDir(tmp_path / "ckpt", "fp"))
    with checkpoints, pytest.raises(TrainingInterrupted, match="checkpoint at step 3"):
        _step(model, checkpoints)
        signal.raise_signal(signal.SIGTERM)
        checkpoints.after_step(3)
    assert (tmp_path / "ckpt" / "latest").read_text() == "step-000000003"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is restored
