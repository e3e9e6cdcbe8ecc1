"""The Slurm profile: every GPU rule goes to the GPU partition with its GPU in the GRES form
(dry runs); and the workflow on a real one-node Slurm (a CPU and a GPU partition, fake GPUs of
a GRES type) through the Slurm executor plugin and the shipped profile, filled in for it."""

import re

import pytest
import yaml

from slurm_cluster import CPU_PARTITION, GPU_PARTITION, GPU_TYPE, OneNodeSlurm, SlurmUnavailable
from workflow_helpers import REPO, default_config, dry_run_jobs, run_snakemake, write_config

PROFILE = REPO / "profiles" / "slurm" / "config.yaml"


def _resources(jobs) -> dict[str, list[dict]]:
    """Rule -> the resources of each of its jobs in a dry-run plan."""
    by_rule: dict[str, list[dict]] = {}
    for rule, wildcards in jobs:
        by_rule.setdefault(rule, []).append(wildcards.get("_resources", {}))
    return by_rule


def test_the_profile_gives_every_gpu_rule_the_gpu_partition_and_a_gres_gpu(tmp_path):
    config = write_config(tmp_path)  # the whole default grid: every rule has jobs
    plain = _resources(dry_run_jobs(tmp_path, config, "--forceall"))
    gpu_rules = {rule for rule, jobs in plain.items() if any(int(r.get("gpu", 0)) for r in jobs)}
    assert {"translate_shard", "train_language_adapter", "train_full_baseline"} <= gpu_rules
    assert set(yaml.safe_load(PROFILE.read_text())["set-resources"]) == gpu_rules

    profiled = _resources(dry_run_jobs(tmp_path, config, "--forceall", "--profile", str(PROFILE)))
    assert set(profiled) == set(plain)
    for rule, jobs in profiled.items():
        for r in jobs:
            if rule in gpu_rules:  # --gres=gpu:1 and not --gpus=1 as well
                assert (r["slurm_partition"], r["gres"], r["gpu"]) == ("<your-gpu-partition>", "gpu:1", "0"), rule
            elif r:
                assert r["slurm_partition"] == "<your-partition>" and "gres" not in r and "gpu" not in r, rule


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = OneNodeSlurm(tmp_path_factory.mktemp("slurm-state"))
    try:
        cluster.start()
    except SlurmUnavailable as e:
        pytest.skip(str(e))
    yield cluster
    cluster.stop()


def _profile_for_the_test_cluster(directory):
    """The shipped profile with its placeholders filled in; the test cluster has no accounts.
    One GPU rule asks for a GPU model instead (`--gpus=<model>:1`), one rule for an sbatch
    option of its own (slurm_extra) beside its partition and GPU."""
    profile = yaml.safe_load(PROFILE.read_text())
    defaults = profile["default-resources"]
    del defaults["slurm_account"]
    defaults["slurm_partition"] = CPU_PARTITION
    per_rule = profile["set-resources"]  # the GPU rules; every rule gets a small size below
    for rule, resources in per_rule.items():
        per_rule[rule] = {**resources, "slurm_partition": GPU_PARTITION}
    per_rule["train_full_baseline"] = {"slurm_partition": GPU_PARTITION, "gpu_model": GPU_TYPE}
    per_rule["embed_per_language"] = {**per_rule["embed_per_language"], "slurm_extra": "--nice=10"}
    for rule in re.findall(r"^rule (\w+):", "".join(p.read_text() for p in (REPO / "rules").glob("*.smk")), re.M):
        per_rule[rule] = {**per_rule.get(rule, {}), "mem_mb": 1000, "runtime": 15}  # the test machine is small
    directory.mkdir()
    (directory / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return directory


def _sbatch_calls(log: str) -> dict[str, list[str]]:
    """Rule -> the sbatch options the plugin logged for each of its jobs (--verbose), without
    the wrapped job command (which repeats the profile's resources of every rule)."""
    calls: dict[str, list[str]] = {}
    for call in re.findall(r"sbatch call: (sbatch .*?)(?: --wrap=.*)?$", log, re.MULTILINE):
        rule = re.search(r"--comment '?rule_(\w+?)(?:_wildcards_\S*?)?'?(?:\s|$)", call).group(1)
        calls.setdefault(rule, []).append(call)
    return calls


@pytest.mark.slow
@pytest.mark.slurm
def test_workflow_runs_under_slurm_with_the_profile_gres_gpus_and_a_gpu_partition(slurm, tmp_path):
    datasets = default_config()["evaluation"]["datasets"]
    config = write_config(
        tmp_path,
        languages=["en", "fr"],
        variants=["base", "mod_m", "full_m"],
        evaluation={"batch_size": 32, "max_seq_length": 64,
                    "datasets": {k: datasets[k] for k in ("sts17", "flores")}},
    )
    profile = _profile_for_the_test_cluster(tmp_path / "profile")
    # This cluster has sacct but no accounting database (slurmdbd): squeue must be named.
    proc = run_snakemake(
        tmp_path, config, "--profile", str(profile), "--jobs", "2", "--verbose",
        "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "5",
        timeout=2400,
    )
    assert (tmp_path / "results" / "tables" / "table1.md").is_file()
    calls = _sbatch_calls(proc.stdout + proc.stderr)
    set_resources = yaml.safe_load((profile / "config.yaml").read_text())["set-resources"]
    gres_rules = {rule for rule, resources in set_resources.items() if "gres" in resources}
    ran = {"translate_shard", "train_language_adapter", "train_sentence_encoder", "train_full_baseline",
           "embed_per_language", "build_tiny_encoder"}
    assert ran <= set(calls), sorted(calls)
    for rule, rule_calls in calls.items():
        for call in rule_calls:
            args = call.split()
            partition = args[args.index("-p") + 1]
            gpu_args = [a for a in args if a.startswith(("--gres", "--gpus"))]
            if rule in gres_rules:
                assert (partition, gpu_args) == (GPU_PARTITION, ["--gres=gpu:1"]), call
            elif rule == "train_full_baseline":
                assert (partition, gpu_args) == (GPU_PARTITION, [f"--gpus={GPU_TYPE}:1"]), call
            else:
                assert (partition, gpu_args) == (CPU_PARTITION, []), call
    assert all("--nice=10" in call for call in calls["embed_per_language"])
    assert not any("--nice" in call for rule in calls if rule != "embed_per_language" for call in calls[rule])
    print("sbatch arguments of a GPU job in the GRES form:\n" + calls["train_language_adapter"][0])
    print("sbatch arguments of a GPU job with a GPU model:\n" + calls["train_full_baseline"][0])
