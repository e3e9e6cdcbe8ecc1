"""Fetching a set published as a repository: the pinned commit, checked before it appears.

The repository served here imitates github.com/lksenel/Kardes-NLU at commit 8cfef41
(Data/<language name>/sts.<split>.<code>.csv, an unnamed idx column first); it is served
from a local git repository through `--url`, as a mirror would be, with the facts' commit
pointed at its own history (the real commit cannot exist in it).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from modsent import fetch
from modsent.evaldata import DataSourceError, get_dataset
from modsent.evaldata.readers import clone_facts

KARDES = "https://github.com/lksenel/Kardes-NLU"
NAMES = (("azeri", "az"), ("kazakh", "kk"), ("kyrgyz", "ky"), ("uyghur", "ug"), ("uzbek", "uz"))


def git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def kardes_repository(root: Path, splits=("test", "dev")) -> tuple[Path, str, str]:
    """A repository in Kardeş-NLU's layout; returns it, its first commit (the data) and a
    later one that deletes the Uzbek test file."""
    root.mkdir()
    git(root, "init", "--quiet")
    for name, code in NAMES:
        for split in splits:
            path = root / "Data" / name / f"sts.{split}.{code}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(",sentence1,sentence2,score,s1_translation,s2_translation\n"
                            "0,A man.,A dog.,4.8,x,y\n", encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "data")
    first = git(root, "rev-parse", "HEAD")
    git(root, "rm", "--quiet", "Data/uzbek/sts.test.uz.csv")
    git(root, "commit", "--quiet", "-m", "drop uz")
    return root, first, git(root, "rev-parse", "HEAD")


@pytest.fixture
def pinned(monkeypatch):
    """Point the Kardeş-NLU facts' commit at a test repository's commit."""
    def pin(commit: str):
        facts = {url: dict(f) for url, f in clone_facts().items()}
        facts[KARDES]["commit"] = commit
        monkeypatch.setattr(fetch, "clone_facts", lambda: facts)
    return pin


def test_fetches_the_pinned_commit_and_the_set_reads_from_it(tmp_path, pinned):
    repo, first, _ = kardes_repository(tmp_path / "served")
    pinned(first)  # the later commit lacks a file: the pin decides what arrives
    out = tmp_path / "data" / "eval" / "Kardes-NLU"
    assert fetch.fetch_clone(KARDES, out, ["test", "dev"], url=repo.as_uri()) == first
    assert (out / "Data" / "uzbek" / "sts.test.uz.csv").is_file()
    # the fetched clone is read as the published layout
    stsb = tmp_path / "stsb"
    stsb.mkdir()
    (stsb / "stsb-en-test.csv").write_text("A man.,A dog.,4.8\n")
    spec = {"format": "raw", "path": str(stsb), "kardes": {"format": "raw", "path": str(out), "clone_of": KARDES}}
    dataset = get_dataset("stsb", spec, ["en", "az", "uz"])
    assert dataset.load("az", "uz").s1 == ["x"]
    # jobs depend on the clone as a whole, before and after fetching alike
    assert dataset.local_files(["uz"]) == sorted([str(out), str(stsb / "stsb-en-test.csv")])


def test_a_commit_lacking_a_file_leaves_nothing_behind(tmp_path, pinned):
    repo, _, later = kardes_repository(tmp_path / "served")
    pinned(later)
    out = tmp_path / "Kardes-NLU"
    with pytest.raises(DataSourceError, match=r"lacks \['Data/uzbek/sts.test.uz.csv'\]"):
        fetch.fetch_clone(KARDES, out, ["test"], url=repo.as_uri())
    assert not out.exists() and list(tmp_path.iterdir()) == [repo]
    # the dev split's files are all there at that commit
    assert fetch.fetch_clone(KARDES, out, ["dev"], url=repo.as_uri()) == later


def test_bad_requests_fail_before_any_git_call(tmp_path):
    with pytest.raises(DataSourceError, match="not among the supported repositories"):
        fetch.fetch_clone("https://github.com/someone/else", tmp_path / "x", ["test"])
    with pytest.raises(DataSourceError, match="publishes no \\['dev'\\] split"):
        fetch.fetch_clone("https://gitlab.com/tigi.cz/cross-lingual-sts", tmp_path / "x", ["dev"])
    (tmp_path / "there").mkdir()
    with pytest.raises(DataSourceError, match="exists; it is used as it is"):
        fetch.fetch_clone(KARDES, tmp_path / "there", ["test"])


def test_an_unreachable_repository_is_named(tmp_path, pinned):
    pinned("0" * 40)
    with pytest.raises(DataSourceError, match="git fetch"):
        fetch.fetch_clone(KARDES, tmp_path / "x", ["test"], url=(tmp_path / "nowhere").as_uri())
    assert not (tmp_path / "x").exists()


def test_a_clone_yet_to_fetch_is_planned_from_the_facts(tmp_path):
    stsb = tmp_path / "stsb"
    stsb.mkdir()
    (stsb / "stsb-en-test.csv").write_text("A man.,A dog.,4.8\n")
    missing = tmp_path / "Kardes-NLU"
    spec = {"format": "raw", "path": str(stsb), "kardes": {"format": "raw", "path": str(missing), "clone_of": KARDES}}
    dataset = get_dataset("stsb", spec, ["en", "az", "kk", "ky", "ug", "uz", "de"])
    assert dataset.languages() == ["en", "az", "kk", "ky", "ug", "uz"]
    assert dataset.local_files(["ug"]) == sorted([str(missing), str(stsb / "stsb-en-test.csv")])
    # without clone_of, a missing folder is an error naming it
    del spec["kardes"]["clone_of"]
    with pytest.raises(DataSourceError, match="data folder not found"):
        get_dataset("stsb", spec, ["en", "az"])
    spec["kardes"]["clone_of"] = "https://github.com/someone/Kardes-NLU"
    with pytest.raises(DataSourceError, match="not among the supported repositories"):
        get_dataset("stsb", spec, ["en", "az"])
