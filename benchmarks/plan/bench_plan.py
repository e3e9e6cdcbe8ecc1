"""How long `snakemake -n --configfile workflow_config.yaml` takes offline, and where it goes.

Times, in one run, for a bare checkout (the raw evaluation sets not fetched: planned from
the package's facts) and for one with one-row clones of them in their published layouts
(the same writer the paper-config test uses: tests/test_paper_eval_plan.py): parsing alone
(`--list-rules`), and the full dry run of the paper grid. HF_HUB_OFFLINE=1: nothing may
reach the hub.

    .venv/bin/python benchmarks/plan/bench_plan.py --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from test_paper_eval_plan import raw_clones  # noqa: E402
from workflow_helpers import snakemake_command, snakemake_env  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env())
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout + proc.stderr


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    for checkout in ("bare", "with clones"):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if checkout == "with clones":
                raw_clones(work / "data" / "eval")
            config = work / "workflow_config.yaml"
            shutil.copy(REPO / "workflow_config.yaml", config)
            parse, plan, jobs = [], [], 0
            for _ in range(a.repeats):
                parse.append(timed(snakemake_command(work, config, "--list-rules"))[0])
                seconds, out = timed(snakemake_command(work, config, "--dry-run", "--quiet", "rules"))
                plan.append(seconds)
                jobs = next(int(line.split()[1]) for line in out.splitlines() if line.startswith("total"))
        print(f"{checkout}: paper grid: {jobs} jobs")
        print(f"  parse only (--list-rules): median {statistics.median(parse):.2f} s of {a.repeats}")
        print(f"  dry run:                   median {statistics.median(plan):.2f} s of {a.repeats} "
              f"({1000 * statistics.median(plan) / jobs:.1f} ms a job)")

if __name__ == "__main__":
    main()
