"""The workflow on a real one-node Slurm (fake GPUs), through the Slurm executor plugin."""

import re

import pytest

from slurm_cluster import OneNodeSlurm, SlurmUnavailable
from workflow_helpers import default_config, run_snakemake, write_config

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = OneNodeSlurm(tmp_path_factory.mktemp("slurm-state"))
    try:
        cluster.start()
    except SlurmUnavailable as e:
        pytest.skip(str(e))
    yield cluster
    cluster.stop()


def test_workflow_runs_under_slurm_and_gpu_jobs_ask_for_a_gpu(slurm, tmp_path):
    datasets = default_config()["evaluation"]["datasets"]
    config = write_config(
        tmp_path,
        languages=["en", "fr"],
        variants=["base", "mod_m", "full_m"],
        evaluation={"batch_size": 32, "max_seq_length": 64,
                    "datasets": {k: datasets[k] for k in ("sts17", "flores")}},
        resources={"default": {"mem_mb": 1000, "runtime": 15}},
    )
    proc = run_snakemake(
        tmp_path, config, "--executor", "slurm", "--jobs", "2", "--verbose",
        "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "5",
        "--default-resources", "slurm_partition=debug", "runtime=15", "mem_mb=1000",
        timeout=2400,
    )
    log = proc.stdout + proc.stderr
    assert (tmp_path / "results" / "tables" / "table1.md").is_file()
    calls = re.findall(r"sbatch call: (sbatch .*)", log)
    assert calls, "no sbatch call was logged"
    gpu_calls = [c for c in calls if "--gpus=1" in c]
    assert gpu_calls, "no job asked Slurm for a GPU"
    assert any("rule_train_language_adapter" in c or "train_language_adapter" in c for c in gpu_calls)
    print("sbatch arguments of a GPU job:\n" + gpu_calls[0])
