"""The project's promises about itself: dependencies in step, a pure core, CI running the README."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"matplotlib": "matplotlib-base"}  # same package, without Qt
CONDA_ONLY = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return {CONDA_NAMES.get(_name(r), _name(r)): r.strip() for r in reqs}


def _conda_requirements() -> dict[str, str]:
    deps: dict[str, str] = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        match = re.match(r"^  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if in_deps and match and match.group(1) not in CONDA_ONLY:
            deps[match.group(1).lower()] = (match.group(1) + match.group(2)).strip()
    return deps


def test_environment_yml_lists_the_same_packages_as_pyproject() -> None:
    pip, conda = _pyproject_requirements(), _conda_requirements()
    assert set(pip) == set(conda), f"only in pyproject: {set(pip) - set(conda)}; only in environment.yml: {set(conda) - set(pip)}"
    for name, req in pip.items():
        pip_bound = re.sub(r"^[A-Za-z0-9_.\[\]-]+", "", req)
        conda_bound = re.sub(r"^[A-Za-z0-9_.-]+", "", conda[name])
        assert pip_bound == conda_bound, f"{name}: pyproject says {req!r}, environment.yml says {conda[name]!r}"


def test_environment_yml_is_binder_ready() -> None:
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text and "- python=3.11" in text and "- -e ." in text


def test_importing_the_package_loads_no_drawing_or_widgets() -> None:
    code = (
        "import sys, xcon_teach; "
        "xcon_teach.simulate(xcon_teach.load_scenario('kb-q169113')); "
        "print(','.join(m for m in ('matplotlib', 'ipywidgets', 'networkx', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_core_modules_import_no_drawing_or_widgets() -> None:
    for folder in ("scenario", "sim"):
        for path in (ROOT / "xcon_teach" / folder).glob("*.py"):
            text = path.read_text()
            for banned in ("matplotlib", "ipywidgets", "networkx"):
                assert not re.search(rf"^\s*(import|from)\s+{banned}", text, re.M), f"{path.name} imports {banned}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in readme and "python3 run.py lab" in readme
    assert "python3 run.py test" in ci and "set -euo pipefail" in ci


def test_scenario_files_ship_as_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "scenarios/*.toml" in project["tool"]["setuptools"]["package-data"]["xcon_teach"]


def test_the_readme_transcript_is_what_the_reference_scenario_prints() -> None:
    """Issue 11: the README's transcript of the first failed attempt is current, line for line (RTM, 144 tries)."""
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"```text\n(.*?)```", readme, re.S)
    assert shown is not None
    from xcon_teach import load_scenario, simulate

    printed = set(simulate(load_scenario("kb-q169113"), until=0).to_text().splitlines())
    lines = shown.group(1).splitlines()
    assert len(lines) >= 10 and [line for line in lines if line not in printed] == []
    assert "RTM (build 1960)" in shown.group(1) and "attempt 1 of at most 144" in shown.group(1)
    assert "23:50:00" in readme
