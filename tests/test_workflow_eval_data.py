"""Evaluation data files are inputs of the jobs that read them: editing a FLORES line or an
STS17 gold score makes Snakemake plan the texts and score jobs again (dry runs only)."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from workflow_helpers import REPO, RESOURCES, default_config, dry_run_jobs, run_snakemake, write_config

TINY_EVAL = REPO / RESOURCES / "tiny" / "eval"
CASES = [  # (dataset, shipped folder, file edited, texts job language, score unit)
    ("flores", "flores200", "deu_Latn.devtest", "de", "de-en"),
    ("sts17", "sts17", "STS.gs.track5.en-en.txt", "en", "en"),
]


def _fake_outputs(workdir, paths):
    """Existing outputs, each newer than everything before it (as after a finished run)."""
    stamp = time.time() - 100
    for rel in paths:
        path = workdir / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n")
        stamp += 10
        os.utime(path, (stamp, stamp))


def _score_file(workdir, config, dataset, unit):
    """The score file of `unit` that the default target needs (read from a full dry run)."""
    proc = run_snakemake(workdir, config, "--dry-run", "--forceall")
    outputs = [line.split(":", 1)[1].strip() for line in proc.stdout.splitlines() if line.strip().startswith("output:")]
    (path,) = [o for o in outputs if o.startswith(f"results/eval/scores/{dataset}/") and o.endswith(f"/{unit}.csv")]
    return path


def _edit(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = "4.5\n" if path.name.startswith("STS.gs") else "Ein geänderter Satz.\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("dataset, folder, edited, lang, unit", CASES)
def test_editing_an_evaluation_file_reruns_its_texts_and_score_jobs(tmp_path, dataset, folder, edited, lang, unit):
    data = tmp_path / "data" / folder
    shutil.copytree(TINY_EVAL / folder, data)
    for path in data.iterdir():  # older than the outputs below, however fresh the checkout is
        os.utime(path, (time.time() - 1000, time.time() - 1000))
    evaluation = default_config()["evaluation"]
    evaluation["datasets"] = {dataset: {"format": "raw", "path": str(data)}}
    work = tmp_path / "work"
    config = write_config(work, evaluation=evaluation, variants=["base"])
    langs = unit.split("-")
    texts = f"results/eval/texts/{dataset}/{lang}.txt"
    score = _score_file(work, config, dataset, unit)
    _fake_outputs(work, [f"results/eval/texts/{dataset}/{x}.txt" for x in langs]
                  + [f"results/eval/embeddings/per_language/{dataset}/{x}/" for x in langs] + [score])

    def planned(target, rule):
        return [job for job, _ in dry_run_jobs(work, config, "--allowed-rules", rule, "--", target)]

    assert planned(texts, "eval_texts") == [] and planned(score, "score_unit") == []
    _edit(data / edited)
    assert planned(texts, "eval_texts") == ["eval_texts"]
    assert planned(score, "score_unit") == ["score_unit"]


@pytest.mark.slow
def test_unaligned_flores_fails_the_run_before_any_other_job(tmp_path):
    """The texts jobs run first and check the bitext alignment: the run stops there, naming
    both files and their line counts, before a model is built or trained."""
    data = tmp_path / "data" / "flores200"
    shutil.copytree(TINY_EVAL / "flores200", data)
    german = data / "deu_Latn.devtest"
    lines = german.read_text(encoding="utf-8").splitlines(keepends=True)
    german.write_text("".join(lines[:-1]), encoding="utf-8")
    evaluation = default_config()["evaluation"]
    evaluation["datasets"] = {"flores": {"format": "raw", "path": str(data)}}
    work = tmp_path / "work"
    config = write_config(work, evaluation=evaluation, variants=["base", "mod_m"])
    proc = run_snakemake(work, config, "--cores", "1", check=False, timeout=1800)
    assert proc.returncode != 0
    started = {line.split()[-1].rstrip(":") for line in (proc.stdout + proc.stderr).splitlines()
               if line.startswith(("rule ", "localrule "))}
    assert started == {"eval_texts"}
    logs = "".join(p.read_text() for p in (work / "logs" / "eval" / "texts" / "flores").glob("*.log"))
    assert f"{german} has {len(lines) - 1} lines but " in logs  # and the file it was compared with
    assert f".devtest has {len(lines)}; bitext files must be line-aligned" in logs
