"""The conda environment and pyproject.toml pin the same versions (conda cannot run here)."""

import re
import tomllib

import yaml

from conftest import REPO


def _pins(requirements) -> dict[str, str]:
    pins = {}
    for req in requirements:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", req.strip())
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_every_env_pins_what_pyproject_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"]) | _pins(project["optional-dependencies"]["gpu"])
    assert wanted, "pyproject.toml pins nothing"
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        deps = yaml.safe_load(env.read_text())["dependencies"]
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        pinned = _pins(pip)
        assert pinned == wanted, f"{env.name} differs from pyproject.toml: {set(pinned.items()) ^ set(wanted.items())}"


def test_pyproject_pins_every_dependency_exactly():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    loose = [d for d in project["dependencies"] if "==" not in d]
    assert not loose, f"unpinned dependencies: {loose}"


def test_every_rule_uses_an_existing_env():
    for smk in (REPO / "rules").glob("*.smk"):
        for env in re.findall(r'conda:\s*\n\s*"([^"]+)"', smk.read_text()):
            assert (smk.parent / env).resolve().is_file(), f"{smk.name}: missing conda env {env}"
