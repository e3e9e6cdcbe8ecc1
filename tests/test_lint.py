"""`snakemake --lint` is clean on the embedded default config."""

from workflow_helpers import run_snakemake, write_config


def test_snakemake_lint_is_clean(tmp_path):
    config = write_config(tmp_path)
    proc = run_snakemake(tmp_path, config, "--lint", check=False, timeout=600)
    report = proc.stdout + proc.stderr
    assert "Lints for" not in report, report[-4000:]
    assert proc.returncode == 0, report[-3000:]
