"""The Snakefile's own config checks (rule names, --config overrides, a language NLLB-200
lacks) and shell quoting: paths with spaces and `$(...)` reach the jobs as plain text."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from workflow_helpers import REPO, absolute_paths, default_config, dry_run_jobs, run_snakemake, snakemake_env, write_config

TINY = REPO / "modsent" / "resources" / "tiny"
ENCODER = "results/models/tiny-encoder"


def test_a_misspelled_rule_in_set_resources_fails_listing_the_rules(tmp_path):
    config = write_config(tmp_path)
    proc = run_snakemake(tmp_path, config, "--dry-run", "--set-threads", "train_tokenizer=1",
                         "--set-resources", "train_tokenzier:mem_mb=2000", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "set-resources: no rule named 'train_tokenzier'; the rules are: aggregate_scores," in out
    assert "train_tokenizer, training_views" in out and "translate_shard" in out
    assert not (tmp_path / "results").exists()


def test_nested_config_override_keeps_numbers(tmp_path):
    config = write_config(tmp_path)
    proc = run_snakemake(tmp_path, config, "--dry-run", "--printshellcmds", "--forceall",
                         "results/modules/fr/la", "--config", "language_adaptation={steps: 5, batch_size: 4}")
    assert '"steps": 5' in proc.stdout and '"batch_size": 4' in proc.stdout  # numbers, not strings
    assert '"seq_len": 32' in proc.stdout  # the rest of the section is the config file's


def test_a_config_file_is_the_whole_config_never_merged_onto_the_default(tmp_path):
    evaluation = absolute_paths(default_config()["evaluation"])
    evaluation["datasets"] = {"sts17": evaluation["datasets"]["sts17"]}
    config = write_config(tmp_path, evaluation=evaluation)
    datasets = {w["dataset"] for rule, w in dry_run_jobs(tmp_path, config) if rule == "eval_texts"}
    assert datasets == {"sts17"}  # merged onto the default, its other tiny sets would be planned


def test_without_a_config_file_the_embedded_default_runs_with_config_on_top(tmp_path):
    (tmp_path / "modsent").symlink_to(REPO / "modsent")  # the default's relative data paths
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(tmp_path), "--cores", "1", "--dry-run", "--printshellcmds", "--forceall",
           "results/modules/fr/la", "--config", "language_adaptation={steps: 5}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '"steps": 5' in proc.stdout
    assert f'"seq_len": {default_config()["language_adaptation"]["seq_len"]}' in proc.stdout


def test_a_language_nllb_lacks_is_planned_from_its_provided_translations(tmp_path):
    xnli = tmp_path / "xnli"
    xnli.mkdir()
    shutil.copy(TINY / "train" / "xnli" / "dev-en.tsv", xnli / "dev-en.tsv")
    shutil.copy(TINY / "train" / "xnli" / "dev-de.tsv", xnli / "dev-la.tsv")  # stands in for Latin text
    corpus = tmp_path / "la.txt"
    shutil.copy(TINY / "corpus" / "de.txt", corpus)
    config = write_config(tmp_path, languages=["en", "de", "fr", "la"], variants=["base", "mod_m"])
    text = config.read_text().replace("provided_translations:\n", "provided_translations:\n"
                                      f"    la: {{format: nli, path: '{xnli}', splits: [dev]}}\n", 1)
    text = text.replace("monolingual:\n", f"monolingual:\n    lat: {{sources: [{{format: text, path: '{corpus}'}}]}}\n", 1)
    config.write_text(text)
    jobs = dry_run_jobs(tmp_path, config, "results/modules/la/se")
    la_rules = {rule for rule, wildcards in jobs if wildcards.get("lang") == "la"}
    assert la_rules == {"training_views", "monolingual_corpus", "train_tokenizer", "focus_embeddings",
                        "train_language_adapter", "train_sentence_encoder"}  # no MT
    shell = run_snakemake(tmp_path, config, "--dry-run", "--printshellcmds", "results/modules/la/se").stdout
    assert str(xnli / "dev-la.tsv") in shell
    assert f'"path": "{corpus}"' in shell  # its own monolingual text (key lat -> la)


def test_paths_with_spaces_and_command_substitution_are_quoted(tmp_path):
    work = tmp_path / "work dir $(touch PWNED)"
    odd = work / "data; $(touch PWNED) `touch PWNED`"
    odd.mkdir(parents=True)
    corpus = odd / "corpus file.txt"
    shutil.copy(TINY / "multilingual.txt", corpus)
    config = write_config(work, tiny_models={"hidden_size": 16, "layers": 1, "heads": 2, "vocab_size": 200,
                                             "corpus": str(corpus)})
    dry = run_snakemake(work, config, "--dry-run", "--printshellcmds", ENCODER)
    assert f"--corpus {shlex.quote(str(corpus))} --out {ENCODER} --hidden-size=16" in dry.stdout

    run_snakemake(work, config, ENCODER)  # the cheap tiny-model rule, for real
    assert (work / ENCODER / "modules.json").is_file()
    assert not list(tmp_path.rglob("PWNED"))


def test_every_file_placeholder_in_a_shell_command_is_quoted():
    """Paths may come from the config (any characters): {input}, {output} and {log} are always :q."""
    unquoted = [
        f"{smk.name}:{n}: {line.strip()}"
        for smk in sorted((REPO / "rules").glob("*.smk")) + [REPO / "Snakefile"]
        for n, line in enumerate(smk.read_text().splitlines(), 1)
        if re.search(r"\{(input|output|log)(\.\w+)?\}", line)
    ]
    assert not unquoted, "\n".join(unquoted)
