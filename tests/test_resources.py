"""A job resubmitted after its time limit gets more time: runtime grows with the attempt."""

import re

from workflow_helpers import run_snakemake, write_config


def _runtimes(workdir, config, attempt, *args):
    """rule -> runtime (minutes) of the jobs a dry-run plans at `attempt`."""
    # targets first: --set-resources takes every word after it
    proc = run_snakemake(workdir, config, "results/modules/de/se", "results/mt/shards/nli/de/0.tsv",
                         "--dry-run", "--forceall", "--attempt", str(attempt), *args)
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: .*?runtime=(\d+)", proc.stdout, re.MULTILINE)
    return {rule: int(minutes) for rule, minutes in jobs}


def test_runtime_grows_with_the_attempt_and_set_resources_overrides_it(tmp_path):
    config = write_config(tmp_path, languages=["en", "de"])
    first, third = _runtimes(tmp_path, config, 1), _runtimes(tmp_path, config, 3)
    assert first["train_sentence_encoder"] == 120 and third["train_sentence_encoder"] == 360
    assert first["train_language_adapter"] == 24 * 60 and third["train_language_adapter"] == 3 * 24 * 60
    assert first["translate_shard"] == 240 and third["translate_shard"] == 720
    overridden = _runtimes(tmp_path, config, 1, "--set-resources", "translate_shard:runtime=50")
    assert overridden["translate_shard"] == 50 and overridden["train_sentence_encoder"] == 120


def test_checkpoint_interval_of_se_cla_and_full_comes_from_the_config(tmp_path):
    """SE, CLA and Full checkpoint every `checkpoint_every` steps of their config section."""
    config = write_config(tmp_path, languages=["en", "de"], sentence_encoding={"checkpoint_every": 7},
                          alignment={"checkpoint_every": 11}, full={"checkpoint_every": 13})
    proc = run_snakemake(tmp_path, config, "--dry-run", "--forceall", "--printshellcmds",
                         "results/modules/de/se", "results/modules/de/cla-jt", "results/full/full_m")
    commands = proc.stdout
    assert re.search(r"modsent\.sentence_encoding .*--checkpoint-every=7\b", commands)
    assert re.search(r"modsent\.align .*--checkpoint-every=11\b", commands)
    assert re.search(r"modsent\.full .*--checkpoint-every=13\b", commands)
