"""Embedding jobs at the paper's scale: every embedding job encodes one language of one
dataset (multilingual variants too), asks for a GPU and for threads, and passes its threads
to torch."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import torch

from workflow_helpers import default_config, dry_run_jobs, run_snakemake, write_config

LANGUAGES = ["en", "de", "fr"]


def test_every_embedding_job_is_one_language_of_one_dataset_with_a_gpu_and_threads(tmp_path):
    datasets = default_config()["evaluation"]["datasets"]
    config = write_config(tmp_path, languages=LANGUAGES, variants=["base", "mod_m", "full_m", "mod_mc_pp_allpair"],
                          evaluation={"batch_size": 8, "max_seq_length": 64,
                                      "datasets": {k: datasets[k] for k in ("stsb", "belebele")}})
    jobs = dry_run_jobs(tmp_path, config, "--forceall", "--set-threads", "embed_multilingual=2")
    for rule in ("embed_per_language", "embed_multilingual"):
        planned = [wc for r, wc in jobs if r == rule]
        assert Counter((wc["dataset"], wc["lang"]) for wc in planned) == Counter(
            (d, lang) for d in ("stsb", "belebele") for lang in LANGUAGES), rule
        for wc in planned:
            assert wc["_resources"]["gpu"] == "1" and int(wc["_resources"]["runtime"]) > 0, (rule, wc)
    out = run_snakemake(tmp_path, config, "--dry-run", "--forceall", "--printshellcmds",
                        "--set-threads", "embed_multilingual=2").stdout
    commands = [line for line in out.splitlines() if "modsent.evaluate embed" in line]
    assert len(commands) == 2 * 2 * len(LANGUAGES)
    for command in commands:
        (languages,) = re.findall(r"--lang (\S+)", command)
        assert languages in LANGUAGES, command  # one language a job
        assert re.search(r"--threads [12]\b", command), command  # the job's threads (capped by --cores 2)


def test_the_embed_command_runs_torch_on_the_jobs_threads(tiny_encoder, tmp_path):
    from modsent.evaluate import main
    from modsent.evaluation.embeddings import embeddings_path

    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "en.txt").write_text("a dog runs\nthe cat sleeps\n", encoding="utf-8")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        main(["embed", "--lang", "en", "--texts", str(texts / "en.txt"), "--encoders", json.dumps({"base": {}}),
              "--out", str(tmp_path / "emb" / "en"), "--base-model", str(tiny_encoder), "--device", "cpu",
              "--threads", "1"])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert np.load(embeddings_path(tmp_path / "emb", "en", "base")).shape[0] == 2
