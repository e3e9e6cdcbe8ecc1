"""Fetch an evaluation set published outside the hub: a clone of the repository that
publishes it, at the commit modsent/resources/eval_clone_sources.yaml names, checked to
hold every file the set's reader takes before it appears at its path.

    python -m modsent.fetch --clone-of https://github.com/lksenel/Kardes-NLU --split test \\
        --out data/eval/Kardes-NLU [--url MIRROR]

`--url` fetches the same repository from elsewhere (a mirror, a local bare copy); the
facts, and the check, stay those of `--clone-of`.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
from pathlib import Path
from typing import Sequence

from modsent.evaldata.base import DataSourceError
from modsent.evaldata.readers import clone_facts
from modsent.utils import atomic_output, setup_logging

log = logging.getLogger("modsent.fetch")


def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise DataSourceError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def fetch_clone(clone_of: str, out: str | Path, splits: Sequence[str], *, url: str | None = None) -> str:
    """Clone `clone_of` (from `url` if given) into `out`; return the commit fetched.

    Only the pinned commit is fetched (depth 1). The files of `splits` must be there;
    otherwise nothing appears at `out` and the error names what is missing."""
    facts = clone_facts().get(clone_of)
    if facts is None:
        raise DataSourceError(f"{clone_of!r} is not among the supported repositories: {sorted(clone_facts())}")
    unknown = [s for s in splits if s not in facts["files"]]
    if unknown:
        raise DataSourceError(f"{clone_of} publishes no {unknown} split (it has {sorted(facts['files'])})")
    out = Path(out)
    if out.exists():
        raise DataSourceError(f"{out} exists; it is used as it is (remove it to fetch {clone_of} again)")
    wanted = facts["commit"] or "HEAD"
    with atomic_output(out) as tmp:
        tmp.mkdir()
        _git("init", "--quiet", cwd=tmp)
        _git("fetch", "--quiet", "--depth", "1", url or clone_of, wanted, cwd=tmp)
        _git("-c", "advice.detachedHead=false", "checkout", "--quiet", "FETCH_HEAD", cwd=tmp)
        commit = _git("rev-parse", "HEAD", cwd=tmp)
        missing = [f for s in splits for f in facts["files"][s] if not (tmp / f).is_file()]
        if missing:
            raise DataSourceError(f"{clone_of} at {commit} lacks {missing}, which the reader takes; "
                                  "nothing was written to " + str(out))
    log.info("fetched %s at commit %s into %s", url or clone_of, commit, out)
    return commit


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=fetch_clone.__doc__)
    p.add_argument("--clone-of", required=True, help="the repository, as the config's clone_of names it")
    p.add_argument("--split", action="append", required=True, choices=["test", "dev"],
                   help="a split whose files must be there (repeatable)")
    p.add_argument("--out", required=True)
    p.add_argument("--url", help="fetch from here instead (a mirror)")
    a = p.parse_args(argv)
    setup_logging()
    fetch_clone(a.clone_of, a.out, a.split, url=a.url)


if __name__ == "__main__":
    main()
