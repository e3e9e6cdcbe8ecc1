"""The workflow end to end on tiny models: a finished two-language run, then dry-runs that
show adding a language, removing one and adding a dataset schedule only what they should;
rerunning everything reproduces every number; a training job killed by SIGTERM resumes on the rerun;
the HTML report."""

import csv
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from workflow_helpers import (default_config, dry_run_jobs, run_snakemake, snakemake_command, snakemake_env,
                              write_config)

pytestmark = pytest.mark.slow

# A subset of the grid that has every kind of job: per-language modules (mod_m, mod_mc_jt),
# a multilingual full baseline (full_m) and all-pair alignment (both need every language).
VARIANTS = ["base", "full_m", "mod_m", "mod_mc_jt", "mod_mc_jt_allpair"]
FIRST_DATASETS = ["stsb", "flores", "sib"]
# Jobs that by their nature read every language (the multilingual Full baselines, all-pair
# alignment, the encoders built from them and their scores), and what is computed from all of them.
EVERY_LANGUAGE_RULES = {"train_full_baseline", "train_alignment_adapter_allpair", "embed_multilingual",
                        "score_multilingual", "module_sizes", "aggregate_scores", "render_tables", "plot_scores",
                        "train_language_identifier", "identifier_accuracy", "all"}


def _config(workdir, name, languages, datasets):
    all_datasets = default_config()["evaluation"]["datasets"]
    return write_config(
        workdir, name, languages=languages, variants=VARIANTS,
        evaluation={"batch_size": 64, "max_seq_length": 64, "datasets": {d: all_datasets[d] for d in datasets}},
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("workflow")
    config = _config(workdir, "config.yaml", ["en", "fr"], FIRST_DATASETS)
    run_snakemake(workdir, config, timeout=3000)
    return workdir


def _unit_languages(dataset, unit, plan) -> set[str]:
    """The languages a score unit involves; the language-bias unit "all": its dataset's."""
    if unit == "all":
        return {wc["lang"] for rule, wc in plan if rule == "eval_texts" and wc["dataset"] == dataset}
    return set(unit.split("-"))


def test_the_run_produced_tables_modules_and_plots(finished):
    tables = finished / "results" / "tables"
    with open(tables / "scores.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["variant"] for r in rows} == set(VARIANTS)
    assert {r["dataset"] for r in rows} == set(FIRST_DATASETS)
    assert {r["unit"] for r in rows if r["dataset"] == "flores"} == {"en-fr"}
    table = (tables / "table1.md").read_text()
    for label in ("Base", "Full_m", "Mod_m", "Mod_mc-jt"):
        assert f"| {label} |" in table
    assert (tables / "modules.csv").is_file()
    assert any((tables / "plots").glob("cross_flores_xsim_*.png"))


def test_nothing_left_to_do(finished):
    assert dry_run_jobs(finished, finished / "config.yaml") == []


def test_the_run_gives_an_encoder_to_export_and_to_route(finished, tmp_path):
    """The product of the run: `modsent export` of mod_mc_jt/fr loaded with plain
    SentenceTransformer equals ModularEncoder; `modsent encode` of interleaved en/fr FLORES
    sentences routes each line as the identifier's accuracy table says."""
    import json

    import numpy as np
    from sentence_transformers import SentenceTransformer

    from modsent.cli import main
    from modsent.modules.composition import ModularEncoder

    results = finished / "results"
    base = str(results / "models" / "tiny-encoder")
    common = ["--store", str(results / "modules"), "--base-model", base]
    assert main(["export", *common, "--variant", "mod_mc_jt", "--lang", "fr",
                 "--scores", str(results / "tables" / "scores.csv"), "--out", str(tmp_path / "fr")]) == 0
    texts = {lang: (results / "eval" / "texts" / "flores" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
             for lang in ("en", "fr")}
    exported = SentenceTransformer(str(tmp_path / "fr"), device="cpu").encode(texts["fr"])
    modular = ModularEncoder(results / "modules", base, "mod_mc_jt", device="cpu")
    np.testing.assert_allclose(exported, modular.encode(texts["fr"], lang="fr"), atol=1e-5)
    assert "| flores | en-fr | xsim |" in (tmp_path / "fr" / "README.md").read_text()

    mixed = [s for pair in zip(texts["en"], texts["fr"]) for s in pair]
    (tmp_path / "mixed.txt").write_text("".join(s + "\n" for s in mixed), encoding="utf-8")
    assert main(["encode", *common, "--input", str(tmp_path / "mixed.txt"), "--out", str(tmp_path / "mixed.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "mixed.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(results / "tables" / "identifier.csv", newline="") as f:
        table = {r["lang"]: r for r in csv.DictReader(f)}
    for lang, offset in (("en", 0), ("fr", 1)):
        routed = [r["lang"] for r in rows[offset::2]]
        assert sum(x == lang for x in routed) == int(table[lang]["correct"]) and len(routed) == int(table[lang]["sentences"])
        assert float(table[lang]["accuracy"]) >= 0.9, table[lang]


def test_adding_a_language_runs_its_own_jobs_and_the_multilingual_ones_only(finished):
    """The exact plan, rule by rule: every job of de's own chain (all of them: the same jobs as
    a plan from scratch), its per-language score units, and the jobs that by nature read every
    language: all-pair alignment of each non-pivot language, the multilingual Full baselines,
    the multilingual embeddings of every (dataset, language) and scores of each dataset, the module
    table, the routing identifier and its accuracy, the aggregation."""
    languages = ["en", "fr", "de"]
    config = _config(finished, "add_de.yaml", languages, FIRST_DATASETS)
    plan = dry_run_jobs(finished, config)
    scratch = dry_run_jobs(finished, config, "--forceall")
    own = [(rule, wc) for rule, wc in scratch if wc.get("lang") == "de" and rule != "train_alignment_adapter_allpair"]
    de_units = {(wc["dataset"], wc["unit"]) for rule, wc in scratch
                if rule == "score_unit" and "de" in _unit_languages(wc["dataset"], wc["unit"], scratch)}
    multilingual_full = [v for v in VARIANTS if v in ("full_m", "full_c", "full_mc")]
    # the multilingual variants' embeddings of the other languages (de's own are in `own`)
    others_multilingual = sum(1 for rule, wc in scratch if rule == "embed_multilingual" and wc["lang"] != "de")
    expected = Counter(rule for rule, _ in own) + Counter(
        {"score_unit": len(de_units), "train_alignment_adapter_allpair": len(languages) - 1,
         "train_full_baseline": len(multilingual_full),
         "embed_multilingual": others_multilingual, "score_multilingual": len(FIRST_DATASETS),
         "module_sizes": 1, "aggregate_scores": 1, "render_tables": 1, "plot_scores": 1, "all": 1,
         "train_language_identifier": 1, "identifier_accuracy": 1})
    assert Counter(rule for rule, _ in plan) == expected
    assert {(wc["dataset"], wc["unit"]) for rule, wc in plan if rule == "score_unit"} == de_units
    assert {(rule, wc.get("dataset")) for rule, wc in plan if wc.get("lang") == "de"} == {
        (rule, wc.get("dataset")) for rule, wc in own} | {("train_alignment_adapter_allpair", None)}
    assert {wc["variant"] for rule, wc in plan if rule == "train_full_baseline"} == set(multilingual_full)
    for rule, wildcards in plan:
        if rule in EVERY_LANGUAGE_RULES:
            assert wildcards.get("_reason"), f"{rule}: the dry-run gives no reason"
        elif rule != "score_unit":
            assert wildcards.get("lang") == "de", (rule, wildcards)


def test_removing_a_language_reruns_no_per_language_job(finished):
    config = _config(finished, "remove_fr.yaml", ["en"], FIRST_DATASETS)
    jobs = dry_run_jobs(finished, config)
    assert jobs
    # only the multilingual models (retrained without fr), what they feed, and the aggregation
    assert {rule for rule, _ in jobs} <= EVERY_LANGUAGE_RULES, jobs


def test_adding_a_dataset_runs_only_its_evaluation(finished):
    config = _config(finished, "add_dataset.yaml", ["en", "fr"], FIRST_DATASETS + ["tatoeba"])
    jobs = dry_run_jobs(finished, config)
    rules = {rule for rule, _ in jobs}
    assert rules == {"eval_texts", "embed_per_language", "embed_multilingual", "score_unit", "score_multilingual",
                     "aggregate_scores", "render_tables", "plot_scores", "all"}
    assert {wc["dataset"] for rule, wc in jobs if "dataset" in wc} == {"tatoeba"}


def test_rerunning_everything_reproduces_every_score(finished):
    """Same config, same numbers: rebuild the tiny models, translate, train every module and
    baseline (the default config's reproducible fastText in FOCUS), re-encode, re-score."""
    target = "results/tables/scores.csv"
    focus = finished / "results/modules/fr/focus/embeddings.safetensors"
    before, focus_time = (finished / target).read_text(), focus.stat().st_mtime_ns
    run_snakemake(finished, finished / "config.yaml", target, "--forceall", timeout=2400)
    assert focus.stat().st_mtime_ns != focus_time, "FOCUS was not rerun"
    assert (finished / target).read_text() == before


def test_report_holds_tables_and_plots(finished):
    report = finished / "report.html"
    run_snakemake(finished, finished / "config.yaml", "--report", str(report), timeout=600)
    html = report.read_text(errors="replace")
    assert "table1.html" in html and "scores.csv" in html and ".png" in html


def _job_process(workdir: Path, module: str) -> int:
    """PID of the running `python -m <module>` job started in `workdir`."""
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if module.encode() in argv and Path(os.readlink(proc / "cwd")) == workdir:
                return int(proc.name)
        except (OSError, ValueError):
            continue
    raise AssertionError(f"no running {module} job in {workdir}")


def test_a_language_adapter_killed_by_sigterm_resumes_when_the_workflow_is_rerun(tmp_path):
    """What Slurm does at a time limit: SIGTERM to the job's process. Snakemake removes the
    incomplete output, the checkpoint survives, and the rerun resumes from it."""
    steps = 2000
    la = {**default_config()["language_adaptation"], "steps": steps, "checkpoint_every": 25, "log_every": 25}
    config = write_config(tmp_path, languages=["en"], variants=["mod_m"], language_adaptation=la)
    target, log = "results/modules/en/la", tmp_path / "logs" / "specialize" / "en" / "la.log"
    driver = subprocess.Popen(snakemake_command(tmp_path, config, target), env=snakemake_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 900
        while not (log.is_file() and f" step 100/{steps} " in log.read_text()):
            assert driver.poll() is None and time.monotonic() < deadline, "LA never reached step 100"
            time.sleep(0.1)
        os.kill(_job_process(tmp_path, "modsent.adapt"), signal.SIGTERM)
        output = driver.communicate(timeout=300)[0]
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode != 0, output
    assert not (tmp_path / target).exists(), "the killed job left an output that looks complete"
    stopped_at = int((tmp_path / "results/checkpoints/la/en/latest").read_text().split("-")[1])
    assert 100 <= stopped_at < steps
    run_snakemake(tmp_path, config, target, timeout=1200)
    assert f"resumed from step {stopped_at}" in log.read_text()
    assert (tmp_path / target / "lora.safetensors").is_file()


def test_a_sentence_encoder_killed_by_sigterm_resumes_when_the_workflow_is_rerun(tmp_path):
    """The same for SE (CLA and Full share its checkpoints): killed mid-run under Snakemake,
    the rerun resumes from the step of the SIGTERM and removes the checkpoint when done."""
    se = {**default_config()["sentence_encoding"], "epochs": 300}
    config = write_config(tmp_path, languages=["en"], variants=["mod_m"], sentence_encoding=se)
    target, log = "results/modules/en/se", tmp_path / "logs" / "sentence_encoding" / "en" / "se.log"
    checkpoints = tmp_path / "results/checkpoints/se/en"
    driver = subprocess.Popen(snakemake_command(tmp_path, config, target), env=snakemake_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 900
        while not (log.is_file() and " step 100/" in log.read_text()):
            assert driver.poll() is None and time.monotonic() < deadline, "SE never reached step 100"
            time.sleep(0.1)
        os.kill(_job_process(tmp_path, "modsent.sentence_encoding"), signal.SIGTERM)
        output = driver.communicate(timeout=300)[0]
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode != 0, output
    assert not (tmp_path / target).exists(), "the killed job left an output that looks complete"
    stopped_at = int((checkpoints / "latest").read_text().split("-")[1])
    assert stopped_at >= 100
    run_snakemake(tmp_path, config, target, timeout=1200)
    assert f"resumed from step {stopped_at} " in log.read_text()
    assert (tmp_path / target / "lora.safetensors").is_file() and not checkpoints.exists()
