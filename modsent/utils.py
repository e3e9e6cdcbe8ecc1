"""Small helpers shared by every stage: seeding, device choice, atomic outputs, logging."""

from __future__ import annotations

import logging
import os
import random
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(device: str = "auto") -> str:
    """'cuda' when asked for (or 'auto') and a GPU is visible, else 'cpu'.

    A Slurm GPU job on a node without a working CUDA (or with fake GPUs) runs on the CPU.
    """
    import torch

    if device == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        logging.getLogger("modsent").warning("CUDA requested but not available: running on the CPU")
    return "cpu"


@contextmanager
def atomic_output(path: str | Path):
    """Yield a temporary sibling path; move it onto `path` only when the block succeeds.

    An interrupted job therefore never leaves an output that looks complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.is_dir():
        shutil.rmtree(tmp)
    elif tmp.exists():
        tmp.unlink()
    try:
        yield tmp
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
        raise
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    os.replace(tmp, path)


def lang_path_argument(value: str) -> tuple[str, str]:
    """argparse type of a LANG=PATH option."""
    import argparse

    lang, sep, path = value.partition("=")
    if not sep or not lang or not path:
        raise argparse.ArgumentTypeError(f"expected LANG=PATH, got {value!r}")
    return lang, path


def setup_logging(level: int = logging.INFO) -> logging.Logger:
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return logging.getLogger("modsent")
