"""Interrupt a training loop at a given step, as a cluster does: SIGTERM at a time limit
(the loop checkpoints and stops) or SIGKILL (nothing more is saved; the job just dies)."""

from __future__ import annotations

import signal

from modsent.checkpoint import TrainingCheckpoints


class Killed(BaseException):
    """Stands for SIGKILL: no handler, no checkpoint, the job is gone."""


def interrupt_at(monkeypatch, step: int, how: str = "sigterm") -> None:
    """From now on (until monkeypatch.undo()), training is interrupted after `step` steps
    (counted over every loop the job runs: a two-stage job counts on in its second stage)."""
    after_step = TrainingCheckpoints.after_step
    calls = []

    def interrupted(self, done, progress=None):
        calls.append(done)
        if len(calls) == step:
            if how == "sigterm":
                signal.raise_signal(signal.SIGTERM)
            else:
                raise Killed(f"killed after step {step}")
        return after_step(self, done, progress)

    monkeypatch.setattr(TrainingCheckpoints, "after_step", interrupted)
