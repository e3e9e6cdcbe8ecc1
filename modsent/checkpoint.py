"""Resumable long jobs: checkpoint directories that survive a killed job, and SIGTERM.

Slurm ends a job at its time limit with SIGTERM, then SIGKILL. A long job keeps its
resumable state in a directory outside its rule's output (results/checkpoints/<stage>/...),
which Snakemake leaves alone when the job fails; the job removes it once its output is
written. A `CheckpointDir`:

- holds entries that are written atomically (complete or absent); the temporaries of a job
  killed while writing one are removed when the next attempt starts;
- records a fingerprint of the job's inputs and settings: checkpoints made with other
  inputs or settings are discarded, never resumed.

`TrainingCheckpoints` keeps a training loop's state in one: the trainable tensors, the
optimizer, the LR schedule, the RNG states and the step, every `every` steps and when
SIGTERM arrives (the loop then stops with TrainingInterrupted, exit code
TERMINATED_EXIT_CODE). Restoring it makes the rest of the run what it would have been
without the interruption, as long as the batches are a function of the step.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Mapping

from modsent.utils import atomic_output

log = logging.getLogger("modsent.checkpoint")

TERMINATED_EXIT_CODE = 128 + signal.SIGTERM
CHECKPOINT_EVERY = 1000  # steps between two checkpoints of a training loop
FINGERPRINT = "fingerprint.txt"
LATEST = "latest"


class TrainingInterrupted(RuntimeError):
    """SIGTERM arrived: a checkpoint was written and the job stopped (start it again to resume)."""


class TerminationFlag:
    """Turns SIGTERM into a flag a loop polls (the previous handler is restored on exit)."""

    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread: no handler, Slurm's SIGKILL follows anyway
            self._previous = None
        return self

    def _handle(self, signum, frame):
        self.raised = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def remove_temporaries(directory: str | Path, of: str | None = None) -> int:
    """Delete the temporaries `atomic_output` leaves when a job is killed mid-write
    (".<name>.tmp-<pid>", files or directories) under `directory`, or only those of the
    entry named `of` directly in it (other jobs may be writing beside it); return how many."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    candidates = directory.glob(f".{of}.tmp-*") if of else directory.rglob(".*.tmp-*")
    stale = [p for p in candidates if p.name.rsplit("-", 1)[-1].isdigit()]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()
    if stale:
        log.info("removed %d temporary file(s) of an interrupted job under %s", len(stale), directory)
    return len(stale)


def path_stamp(value) -> object:
    """What identifies an input: a local file or directory by its files' names, sizes and
    modification times; anything else (a hub id, None) by its value."""
    if value is None:
        return None
    path = Path(value)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        return str(value)
    stats = [(f.relative_to(path).as_posix() if f != path else f.name, f.stat()) for f in files]
    return [str(path.resolve()), [[name, s.st_size, s.st_mtime_ns] for name, s in stats]]


def fingerprint(settings: Mapping, inputs: Mapping[str, object]) -> str:
    """A digest of a job's settings and the stamps of its inputs (files, directories or ids)."""
    data = {"settings": settings, "inputs": {name: path_stamp(value) for name, value in inputs.items()}}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def default_checkpoint_dir(out: str | Path) -> Path:
    """Where a job keeps its checkpoints unless told: the sibling "<out>.checkpoints"."""
    out = Path(out)
    return out.with_name(out.name + ".checkpoints")


class CheckpointDir:
    """A job's checkpoint directory, tied to the fingerprint of its inputs and settings.

    Opening it removes the temporaries an interrupted attempt left in it and beside the
    job's `output` (atomic_output's, when the job was killed while writing it).
    """

    def __init__(self, root: str | Path, fingerprint: str, *, output: str | Path | None = None):
        self.root, self.fingerprint = Path(root), fingerprint
        remove_temporaries(self.root)
        if output is not None:
            remove_temporaries(Path(output).parent, of=Path(output).name)
        recorded = self.root / FINGERPRINT
        if self.root.exists() and not (recorded.is_file() and recorded.read_text(encoding="utf-8") == fingerprint):
            if any(p.name != FINGERPRINT for p in self.root.iterdir()):
                log.warning("%s holds checkpoints of other inputs or settings: starting afresh", self.root)
            shutil.rmtree(self.root)
        if not recorded.is_file():
            with atomic_output(recorded) as tmp:
                tmp.write_text(fingerprint, encoding="utf-8")

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    def remove(self) -> None:
        """The job's output is written: its checkpoints are no longer needed."""
        shutil.rmtree(self.root, ignore_errors=True)


class TrainingCheckpoints:
    """Save and restore a training loop's state in a CheckpointDir.

    `parameters` maps names to the tensors that train (restored in place), `generators`
    names extra torch generators of the loop. Use as a context manager around the loop
    (SIGTERM becomes a flag) and call `after_step` after every optimisation step. Without
    a directory (in-memory training) it does nothing.
    """

    def __init__(self, directory: CheckpointDir | None, parameters: Mapping, optimizer, scheduler, *, every: int,
                 total_steps: int, generators: Mapping | None = None):
        if every < 1:
            raise ValueError(f"checkpoint_every must be at least 1, got {every}")
        self.directory, self.parameters = directory, dict(parameters)
        self.optimizer, self.scheduler, self.generators = optimizer, scheduler, dict(generators or {})
        self.every, self.total_steps = every, total_steps
        self._terminated = TerminationFlag()

    def __enter__(self):
        if self.directory is not None:
            self._terminated.__enter__()
        return self

    def __exit__(self, *exc):
        self._terminated.__exit__(*exc)

    def latest(self) -> dict | None:
        """The state record (step, progress) of the newest checkpoint, without restoring it."""
        pointer = None if self.directory is None else self.directory / LATEST
        if pointer is None or not pointer.is_file():
            return None
        folder = self.directory / pointer.read_text(encoding="utf-8").strip()
        return json.loads((folder / "state.json").read_text(encoding="utf-8"))

    def save(self, step: int, progress: Mapping | None = None) -> None:
        """Write the loop's state after `step` steps atomically; keep only the newest."""
        import torch
        from safetensors.torch import save_file

        final = self.directory / f"step-{step:09d}"
        with atomic_output(final) as tmp:
            tmp.mkdir()
            save_file({name: p.detach().cpu().contiguous() for name, p in self.parameters.items()},
                      str(tmp / "parameters.safetensors"))
            optimizer_state = self.optimizer.state_dict()
            save_file({f"{index}.{key}": value.detach().cpu().contiguous()
                       for index, state in optimizer_state["state"].items() for key, value in state.items()},
                      str(tmp / "optimizer.safetensors"))
            rng = {"torch": torch.get_rng_state(),
                   **{f"generator.{name}": g.get_state().cpu() for name, g in self.generators.items()}}
            if torch.cuda.is_available():
                rng.update({f"cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
            save_file(rng, str(tmp / "rng.safetensors"))
            state = {"step": step, "param_groups": optimizer_state["param_groups"],
                     "scheduler": self.scheduler.state_dict(), **(progress or {})}
            (tmp / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
        with atomic_output(self.directory / LATEST) as tmp:
            tmp.write_text(final.name, encoding="utf-8")
        for old in self.directory.root.glob("step-*"):
            if old.name != final.name:
                shutil.rmtree(old)

    def restore(self) -> dict | None:
        """Restore the newest checkpoint into the model, optimizer, schedule and RNGs; return
        its state record (step, progress) or None when there is none."""
        import torch
        from safetensors.torch import load_file

        state = self.latest()
        if state is None:
            return None
        folder = self.directory / (self.directory / LATEST).read_text(encoding="utf-8").strip()
        saved = load_file(str(folder / "parameters.safetensors"))
        if saved.keys() != self.parameters.keys():
            raise ValueError(f"{folder}: the checkpoint's tensors {sorted(saved ^ self.parameters.keys())[:5]} "
                             "do not match the model's trainable parameters")
        with torch.no_grad():
            for name, value in saved.items():
                self.parameters[name].copy_(value)
        optimizer_state: dict[int, dict] = {}
        for key, value in load_file(str(folder / "optimizer.safetensors")).items():
            index, name = key.split(".", 1)
            optimizer_state.setdefault(int(index), {})[name] = value
        self.optimizer.load_state_dict({"state": optimizer_state, "param_groups": state["param_groups"]})
        self.scheduler.load_state_dict(state["scheduler"])
        rng = load_file(str(folder / "rng.safetensors"))
        torch.set_rng_state(rng["torch"])
        for name, generator in self.generators.items():
            generator.set_state(rng[f"generator.{name}"])
        if torch.cuda.is_available() and "cuda.0" in rng:
            torch.cuda.set_rng_state_all([rng[f"cuda.{i}"] for i in range(torch.cuda.device_count())])
        log.info("resumed from step %d (%s)", state["step"], self.directory.root)
        return state

    def after_step(self, step: int, progress: Callable[[], Mapping] | None = None) -> None:
        """Checkpoint when due (every `every` steps before the last) or when SIGTERM arrived;
        after SIGTERM stop with TrainingInterrupted. `progress()` gives the record to keep."""
        if self.directory is None:
            return
        terminated = self._terminated.raised
        if terminated or (step % self.every == 0 and step < self.total_steps):
            self.save(step, progress() if progress else None)
            if terminated:
                raise TrainingInterrupted(f"SIGTERM: checkpoint at step {step} in {self.directory.root}")


def add_checkpoint_arguments(parser, every: int | None = CHECKPOINT_EVERY) -> None:
    """The CLI options of a resumable training job (`every` None: the interval is one of its settings)."""
    parser.add_argument("--checkpoint-dir", help="resumable state, outside the output (default: <out>.checkpoints)")
    if every is not None:
        parser.add_argument("--checkpoint-every", type=int, default=every, help="steps between checkpoints")


@contextmanager
def stop_on_termination():
    """Around a CLI's job: TrainingInterrupted ends the process with TERMINATED_EXIT_CODE."""
    try:
        yield
    except TrainingInterrupted as stop:
        log.warning("%s", stop)
        raise SystemExit(TERMINATED_EXIT_CODE) from None
