"""The paper config plans offline, and its scoring units are exactly App. C.2's sets.

The hub sets are listed from the static facts (modsent/resources/eval_hub_sources.yaml).
The sets published outside the hub are clones (`clone_of`): in a bare checkout the plan
takes their languages from the repositories' facts (modsent/resources/eval_clone_sources.yaml)
and fetches them first; with the clones there (tiny ones written here in the layouts of
the repositories at the commits the facts pin) it lists them from their files. Both plans
must give the same units.
"""

from __future__ import annotations

import itertools
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from workflow_helpers import REPO, dry_run_jobs

SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def raw_clones(root: Path) -> None:
    """One row of each raw set, where the paper config expects its clone."""
    # gitlab.com/tigi.cz/cross-lingual-sts: dataset.zip at the root, holding
    # dataset/STS.2017.{gs,input}.track5.*.txt
    (root / "cross-lingual-sts").mkdir(parents=True)
    with zipfile.ZipFile(root / "cross-lingual-sts" / "dataset.zip", "w") as z:
        z.writestr("dataset/STS.2017.gs.track5.first-second.txt", "4.8\n")
        for lang in ("EN", "CS", "DE", "FR"):
            for side in ("first", "second"):
                z.writestr(f"dataset/STS.2017.input.track5.{lang}.{side}.txt", f"{lang} {side}.\n")
    # kakaobrain/kor-nlu-datasets at 469aced: KorSTS/sts-{train,dev,test}.tsv
    write(root / "kor-nlu-datasets" / "KorSTS" / "sts-test.tsv",
          "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\nmain-news\theadlines\t2015\t0001\t4.8\t가.\t나.\n")
    # lksenel/Kardes-NLU at 8cfef41: Data/<language name>/sts.<split>.<code>.csv
    for name, code in (("azeri", "az"), ("kazakh", "kk"), ("kyrgyz", "ky"), ("uyghur", "ug"), ("uzbek", "uz")):
        write(root / "Kardes-NLU" / "Data" / name / f"sts.test.{code}.csv",
              ",sentence1,sentence2,score,s1_translation,s2_translation\n0,A.,B.,4.8,x,y\n")
    # OpenCENIA/Spanish-Sentence-Evaluation at 555ac95, sdadas/polish-sentence-evaluation at
    # 4d1ce3a, gijswijnholds/sick_nl at 188b9cd
    write(root / "Spanish-Sentence-Evaluation" / "data" / "senteval" / "SICK" / "SICK_test.txt",
          SICK_HEADER + "1\ta\tb\t3.0\tNEUTRAL\n")
    write(root / "polish-sentence-evaluation" / "resources" / "downstream" / "SICK" / "SICK_test_annotated.txt",
          SICK_HEADER + "1\ta\tb\t3.0\tNEUTRAL\n")
    write(root / "sick_nl" / "data" / "tasks" / "sick_nl" / "SICK_NL.txt",
          "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tSemEval_set\n1\ta\tb\t3.0\tTEST\n")


def pairs(*langs: str) -> set[str]:
    return {"-".join(sorted(p)) for p in itertools.combinations(langs, 2)}


STSB_LANGS = ("en", "ko", "az", "kk", "ky", "ug", "uz")
SICK_LANGS = ("en", "es", "nl", "pl")
APP_C2 = {
    # the original tracks, Hercig & Kral, Reimers & Gurevych, the combined pairs; ko (KorSTS in MTEB's STS17)
    "sts17": {"en", "ar", "es", "de", "fr", "cs", "ko",
              "ar-en", "en-tr", "en-es",
              "de-en", "en-fr", "cs-en", "de-fr", "cs-de", "cs-fr",
              "en-nl", "en-it",
              "de-nl", "fr-nl", "cs-nl", "de-it", "fr-it", "cs-it"},
    "stsb": set(STSB_LANGS) | pairs(*STSB_LANGS) | {"all"},
    "sick": set(SICK_LANGS) | pairs(*SICK_LANGS) | {"all"},
    "str24": {"en", "am", "ha", "rw", "mr", "te"},
}


CLONES = {"data/eval/cross-lingual-sts", "data/eval/kor-nlu-datasets", "data/eval/Kardes-NLU",
          "data/eval/Spanish-Sentence-Evaluation", "data/eval/sick_nl", "data/eval/polish-sentence-evaluation"}


@pytest.mark.parametrize("checkout", ["bare", "with clones"])
def test_paper_config_plans_offline_with_app_c2_units(tmp_path, checkout):
    if checkout == "with clones":
        raw_clones(tmp_path / "data" / "eval")
    config = tmp_path / "workflow_config.yaml"
    shutil.copy(REPO / "workflow_config.yaml", config)
    datasets = yaml.safe_load(config.read_text())["evaluation"]["datasets"]
    assert "stsb_multi_mt" not in datasets and "PhilipMay/stsb_multi_mt" not in config.read_text()

    # HF_HUB_OFFLINE=1: nothing may reach the hub; how long it takes: benchmarks/plan
    jobs = dry_run_jobs(tmp_path, config)
    assert sum(rule == "score_unit" for rule, _ in jobs) > 0
    fetched = {w["clone"] for rule, w in jobs if rule == "fetch_eval_clone"}
    assert fetched == (CLONES if checkout == "bare" else set())

    units: dict[str, set[str]] = {}
    for rule, wildcards in jobs:
        if rule == "score_unit":
            units.setdefault(wildcards["dataset"], set()).add(wildcards["unit"])
    for dataset, expected in APP_C2.items():
        assert units[dataset] == expected, (dataset, sorted(units[dataset] - expected), sorted(expected - units[dataset]))
