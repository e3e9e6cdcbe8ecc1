"""The MT rules through Snakemake with a tiny random NLLB: a shard job killed mid-way resumes
from its saved chunks, and a shard leaving only a temporary file reruns alone; the gathered files are complete and
aligned; a provided-translation language and the pivot get views in the same format."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modsent.tsv import Example, read_examples, read_table, read_view
from modsent.translate import SHARD_COLUMNS, unique_sentences, verify_alignment
from workflow_helpers import REPO, planned_jobs, run_snakemake, snakemake_env, write_config

pytestmark = pytest.mark.slow

LONG = " ".join(["the old farmer sells fresh bread and cheese at the busy market"] * 6)
NLI = [Example("", "A man plays a guitar.", "A man makes music.", "Nobody plays."),
       Example("", "A man plays a guitar.", "Someone has a guitar.", "The man sleeps."),
       Example("", LONG, "A farmer sells food.", ""),
       Example("", "Two kids run in a park.", "Children are outside.", "The kids sit inside.")]
# Enough unique sentences for a shard job to run a few seconds (the tiny model decodes to max_length).
BIG = [Example("", f"Sentence number {i} is about the {w} in the garden.", f"The {w} number {i} is outside.", "")
       for i, w in enumerate(["cat", "dog", "child", "teacher", "bicycle"] * 50)]
XNLI = {"en": [("The cat sleeps.", "A cat rests.", "entailment"), ("The cat sleeps.", "It is black.", "neutral"),
               ("The cat sleeps.", "The cat runs.", "contradiction"), ("A boy reads.", "A child reads.", "entailment")],
        "de": [("Die Katze schläft.", "Eine Katze ruht.", "entailment"), ("Die Katze schläft.", "Sie ist schwarz.",
                                                                          "neutral"),
               ("Die Katze schläft.", "Die Katze rennt.", "contradiction"), ("Ein Junge liest.", "Ein Kind liest.",
                                                                              "entailment")]}
TARGETS = [f"results/train/{lang}/{view}.tsv" for lang in ("en", "de", "fr") for view in ("mono", "cross", "parallel")]


def _data(root: Path) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in (("nli", NLI), ("big", BIG)):
        with open(root / f"{name}.tsv", "w", encoding="utf-8") as f:
            f.write("anchor\tpositive\tnegative\n")
            f.writelines(f"{e.anchor}\t{e.positive}\t{e.negative}\n" for e in rows)
    for code, rows in XNLI.items():
        (root / f"dev-{code}.tsv").write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return {
        "paraphrase": {"nli": {"format": "raw", "path": str(root / "nli.tsv")},
                       "big": {"format": "raw", "path": str(root / "big.tsv")}},
        "provided_translations": {"de": {"format": "nli", "path": str(root), "splits": ["dev"]}},
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("mt-workflow")
    config = write_config(work, languages=["en", "de", "fr"], data=_data(work / "data"),
                          translate={"model": "tiny-random", "shards": 2, "beam_size": 2, "max_length": 200,
                                     "max_input_tokens": 48, "max_batch_tokens": 64})
    return work, config


def _shards(work: Path, pattern: str = "[0-9]*.tsv") -> list[Path]:
    return sorted((work / "results/mt/shards").rglob(pattern))


def _check_gathered(work: Path, dataset: str) -> None:
    source, gathered = work / f"results/mt/source/{dataset}.tsv", work / f"results/mt/{dataset}/fr.tsv"
    verify_alignment(source, gathered)
    shards = sorted((work / f"results/mt/shards/{dataset}/fr").glob("[0-9]*.tsv"))
    by_source = {row[1]: row[2] for path in shards for row in read_table(path, SHARD_COLUMNS)[1]}
    english = read_examples(source)
    assert set(by_source) == set(unique_sentences(english))
    for e, f in zip(english, read_examples(gathered)):
        assert tuple(f[1:]) == tuple(by_source[t] if t else "" for t in e[1:])


def _translate_pid(checkpoints: Path) -> int | None:
    """The pid of the shard job whose --checkpoint-dir is `checkpoints`."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"modsent.translate" in argv and str(checkpoints).encode() in argv:
            return int(proc.name)
    return None


@pytest.fixture(scope="module")
def killed_run(workdir) -> dict:
    """Run the views' DAG, SIGKILL a shard job of `big` once it has saved a chunk, then complete the DAG."""
    work, config = workdir
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(work), "--configfile", str(config), "--cores", "2", *TARGETS]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=snakemake_env())
    checkpoints = work / "results/checkpoints/mt/big/fr"
    deadline, pid, saved = time.time() + 300, None, []
    while pid is None and proc.poll() is None and time.time() < deadline:
        saved = [p for p in checkpoints.glob("*/*.tsv") if not p.name.startswith(".")]
        if saved:
            pid = _translate_pid(saved[0].parent.relative_to(work))  # the rule passes it relative
        time.sleep(0.02)
    assert pid, f"no shard job of big saved a chunk:\n{proc.communicate()[0][-4000:]}"
    os.kill(pid, signal.SIGKILL)
    log = proc.communicate(timeout=600)[0]
    shard = saved[0].parent.name
    info = {"returncode": proc.returncode, "log": log, "final": work / f"results/mt/shards/big/fr/{shard}.tsv",
            "job_log": work / f"logs/mt/shards/big/fr/{shard}.log"}
    info["left"] = {"chunks": any(saved[0].parent.glob("[!.]*.tsv")), "final": info["final"].exists()}
    info["done"] = {p: p.stat().st_mtime for p in _shards(work)}
    run_snakemake(work, config, *TARGETS)
    return info


def test_killed_shard_job_resumes_alone(workdir, killed_run):
    work, _ = workdir
    assert killed_run["returncode"] != 0, killed_run["log"][-3000:]
    assert killed_run["left"] == {"chunks": True, "final": False}  # its saved chunks outlived it, no shard file
    assert killed_run["final"] not in killed_run["done"] and killed_run["final"].exists()  # rerun, completed
    assert all(p.stat().st_mtime == m for p, m in killed_run["done"].items())  # finished shards did not rerun
    assert re.search(r"resuming: [1-9]\d* of \d+ sentences already translated", killed_run["job_log"].read_text())
    assert not (work / "results/checkpoints/mt/big/fr").exists() or not any(
        (work / "results/checkpoints/mt/big/fr").rglob("*.tsv"))  # removed once the shards are written
    _check_gathered(work, "big")
    assert len(read_examples(work / "results/mt/big/fr.tsv")) == len(BIG)


def test_views_of_pivot_mt_and_provided_languages(workdir, killed_run):
    work, _ = workdir
    _check_gathered(work, "nli")
    en, fr, de = (read_examples(work / f"results/train/{lang}/mono.tsv") for lang in ("en", "fr", "de"))
    assert [e.id for e in en] == [e.id for e in fr] == [f"nli-{i}" for i in range(4)] + [f"big-{i}" for i in range(250)]
    assert [e.negative == "" for e in fr] == [e.negative == "" for e in en]  # empty stays empty
    assert en[0] == Example("nli-0", *NLI[0][1:])
    # the cross view keeps the hard negative, in the target language
    assert read_view(work / "results/train/fr/cross.tsv")[0] == (NLI[0].anchor, fr[0].positive, fr[0].negative)
    assert de[0] == Example("dev:1", "Die Katze schläft.", "Eine Katze ruht.", "Die Katze rennt.")
    assert read_view(work / "results/train/de/cross.tsv")[1] == ("A boy reads.", "Ein Kind liest.")
    for view in ("mono", "cross", "parallel"):
        headers = {(work / f"results/train/{lang}/{view}.tsv").read_text(encoding="utf-8").split("\n", 1)[0]
                   for lang in ("en", "de", "fr")}
        assert len(headers) == 1
    logs = "".join(p.read_text() for p in (work / "logs/mt/shards/nli/fr").glob("*.log"))
    assert logs.count("throughput:") == 2 and "tokens/s" in logs  # one summary per shard (chunks log their own rate)
    assert "truncated 1 of" in logs  # the over-long line, counted once


def test_interrupted_shard_with_only_a_temp_file_reruns_alone(workdir, killed_run):
    work, config = workdir
    shard = work / "results/mt/shards/nli/fr/1.tsv"
    partial = shard.read_text(encoding="utf-8").split("\n")[:2]
    # as after a job killed before its rename: a temp file, and nothing downstream of it
    lost = [shard, work / "results/mt/nli/fr.tsv", *(work / f"results/train/fr/{v}.tsv"
                                                     for v in ("mono", "cross", "parallel"))]
    for path in lost:
        path.unlink()
    shard.with_name(".1.tsv.tmp-4242").write_text("\n".join(partial), encoding="utf-8")
    others = {p: p.stat().st_mtime for p in (work / "results").rglob("*.tsv")}
    # "--": the targets must not be read as values of planned_jobs' `--quiet rules`
    assert planned_jobs(work, config, "--", *TARGETS) == {"translate_shard": 1, "gather_translations": 1,
                                                           "training_views": 1}
    run_snakemake(work, config, *TARGETS)
    assert all(path.exists() for path in lost)
    assert all(p.stat().st_mtime == m for p, m in others.items())
    _check_gathered(work, "nli")


def test_language_nllb_lacks_fails_before_any_job(tmp_path):
    config = write_config(tmp_path, languages=["en", "de", "la"], data=_data(tmp_path / "data"),
                          translate={"model": "tiny-random"})
    proc = run_snakemake(tmp_path, config, "--dry-run", *TARGETS, check=False)
    assert proc.returncode != 0
    assert "'la'" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()
