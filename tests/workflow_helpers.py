"""Run the real Snakefile from tests: a work directory, a config derived from the embedded
default one (shipped tiny data referenced by absolute paths), and a snakemake subprocess."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RESOURCES = "modsent/resources"


def default_config() -> dict:
    return yaml.safe_load((REPO / RESOURCES / "default_config.yaml").read_text())


def absolute_paths(value):
    if isinstance(value, str) and value.startswith(RESOURCES + "/"):
        return str(REPO / value)
    if isinstance(value, dict):
        return {k: absolute_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [absolute_paths(v) for v in value]
    return value


def write_config(workdir: Path, name: str = "config.yaml", **overrides) -> Path:
    """The default config with shipped-data paths made absolute and top-level keys replaced."""
    config = absolute_paths(copy.deepcopy(default_config()))
    config.setdefault("tiny_models", {})["corpus"] = str(REPO / RESOURCES / "tiny" / "multilingual.txt")
    config.update(absolute_paths(copy.deepcopy(overrides)))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def snakemake_command(workdir: Path, config: Path, *args: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(config), "--cores", "2", *args,
    ]


def run_snakemake(workdir: Path, config: Path, *args: str, check: bool = True, timeout: int = 3600):
    cmd = snakemake_command(workdir, config, *args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env(), timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}): {' '.join(cmd)}\n--- stdout\n{proc.stdout[-6000:]}"
            f"\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def planned_jobs(workdir: Path, config: Path, *args: str) -> dict[str, int]:
    """Rule -> number of jobs a dry-run would run (from the job-stats table)."""
    proc = run_snakemake(workdir, config, "--dry-run", "--quiet", "rules", *args)
    counts: dict[str, int] = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def dry_run_jobs(workdir: Path, config: Path, *args: str) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job a dry-run would run, with the reason text (`_reason`)
    and the job's resources as a dict of strings (`_resources`)."""
    proc = run_snakemake(workdir, config, "--dry-run", "--printshellcmds", *args)
    jobs, rule, wildcards = [], None, {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("rule ") and line.endswith(":"):
            if rule:
                jobs.append((rule, wildcards))
            rule, wildcards = line[5:-1], {}
        elif line.startswith("localrule ") and line.endswith(":"):
            if rule:
                jobs.append((rule, wildcards))
            rule, wildcards = line[10:-1], {}
        elif line.startswith("wildcards:") and rule:
            for item in line[len("wildcards:"):].split(","):
                if "=" in item:
                    k, v = item.strip().split("=", 1)
                    wildcards[k] = v
        elif line.startswith("reason:") and rule:
            wildcards["_reason"] = line[len("reason:"):].strip()
        elif line.startswith("resources:") and rule:
            items = (item.split("=", 1) for item in line[len("resources:"):].split(",") if "=" in item)
            wildcards["_resources"] = {k.strip(): v.strip() for k, v in items}
    if rule:
        jobs.append((rule, wildcards))
    return jobs
