"""`snakemake --lint` is clean; the embedded default config is what runs without --configfile."""

import subprocess
import sys
from pathlib import Path

from workflow_helpers import REPO, run_snakemake, snakemake_env, write_config


def test_snakemake_lint_is_clean(tmp_path):
    config = write_config(tmp_path)
    proc = run_snakemake(tmp_path, config, "--lint", check=False, timeout=600)
    report = proc.stdout + proc.stderr
    assert "Lints for" not in report, report[-4000:]
    assert proc.returncode == 0, report[-3000:]


def _dry_run_in_repo(*config_args: str) -> subprocess.CompletedProcess:
    """`snakemake --dry-run` as the README runs it: in the repository, no --configfile
    (--forceall: the planned jobs do not depend on what results/ already holds)."""
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--dry-run", "--forceall", "--quiet", "rules",
           "--cores", "2", "--config", *config_args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=snakemake_env(), timeout=600)


def test_config_overrides_apply_on_top_of_the_embedded_default():
    proc = _dry_run_in_repo("variants=[base]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rules = {line.split()[0] for line in proc.stdout.splitlines() if line.split()[-1:] and line.split()[-1].isdigit()}
    assert {"translate_shard", "embed_per_language", "score_unit"} <= rules
    assert not rules & {"train_language_adapter", "train_full_baseline", "embed_multilingual"}


def test_a_misspelled_override_fails_naming_it():
    proc = _dry_run_in_repo("varients=[base]")
    assert proc.returncode != 0
    assert "varients" in proc.stdout + proc.stderr
