#!/usr/bin/env python3
"""Set up (or reuse) a local virtual environment in .venv, then do one job.

    python3 run.py lab      open the lab in JupyterLab (notebooks/)
    python3 run.py present [SCENARIO]
                            presenter mode: the lab alone, code hidden, large fonts (Voila)
    python3 run.py test     run the whole test suite: lint, types, unit, property, notebook and browser tests
    python3 run.py bench    print the speed figures (benchmarks in bench/)
    python3 run.py format   format the code with ruff

Needs only Python 3.11+ with pip and venv. The first run installs the dependencies (about a
minute); later runs reuse .venv and reinstall only when pyproject.toml changes. Extra arguments
go to the tool: `python3 run.py test -k receiver`, `python3 run.py lab --port 8899`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
EXTRAS = "test"
STAMP = VENV / ".xcon-teach-installed"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_tool(name: str) -> str:
    return str(VENV / ("Scripts" if os.name == "nt" else "bin") / name)


EDITABLE = "--config-settings editable_mode=compat"
"""An editable install that is one path line in a .pth file, not an import hook: the hook took
20-90 ms of every start of `xcon-teach`, before any code of ours runs, and a Ctrl-C in that window
is Python's own traceback (the fourth attack: 35 of 100 interrupts in the first 0.3 s)."""


def say(text: str) -> None:
    print(f"[run.py] {text}", flush=True)


def wanted_stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(f"{EXTRAS}|{sys.version_info[:2]}|{EDITABLE}".encode())
    return digest.hexdigest()


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on an old Python
        sys.exit(f"xcon_teach needs Python 3.11 or newer; this is {sys.version.split()[0]}. Run it with python3.11.")
    python = venv_python()
    healthy = python.exists() and subprocess.run([python, "-c", "pass"], capture_output=True).returncode == 0
    if not healthy:
        say(f"creating a virtual environment in {VENV.name}/ ...")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp = wanted_stamp()
    if STAMP.exists() and STAMP.read_text().strip() == stamp:
        return
    say("installing xcon_teach and its dependencies into .venv (the first time takes a minute) ...")
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *EDITABLE.split(), "-e", f".[{EXTRAS}]"]
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("[run.py] pip could not install the dependencies; see the messages above.")
    STAMP.write_text(stamp + "\n")


AXE = "axe-core@4.14.1"
"""The accessibility engine the browser tests run (from the npm registry; pinned)."""
AXE_JS = VENV / "node_modules" / "axe-core" / "axe.min.js"
PROXY = "configurable-http-proxy@5.3.0"
"""JupyterHub's proxy (from the npm registry; pinned): deploy/jupyterhub_config.py and the load test use it."""
PROXY_BIN = VENV / "node_modules" / ".bin" / "configurable-http-proxy"


def ensure_npm_tools() -> None:
    """Install axe-core (the browser tests' accessibility checks) and configurable-http-proxy
    (JupyterHub's proxy, for the hub test and deploy/) beside the virtual environment, when npm is there.

    Both in one npm call: npm removes what a later --no-save install does not name. Without npm
    the tests that need them skip and say why (and fail in CI, which has npm).
    """
    if AXE_JS.exists() and PROXY_BIN.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm not found: the accessibility checks (axe-core) and the JupyterHub test (its proxy) will be skipped")
        return
    say(f"installing {AXE} and {PROXY} into {VENV.name}/node_modules ...")
    cmd = [npm, "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", "--prefix", str(VENV), AXE, PROXY]
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        say("npm could not install them; the accessibility checks and the JupyterHub test will be skipped")


def run(cmd: list[str], **kw: object) -> int:
    say(" ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)))
    return subprocess.run(cmd, cwd=ROOT, **kw).returncode  # type: ignore[call-overload]


def lesson_env() -> dict[str, str]:
    """The environment of the lesson lab: ``jupyter_config/`` first on the config path (nbgrader's panels off)."""
    path = os.pathsep.join(p for p in (str(ROOT / "jupyter_config"), os.environ.get("JUPYTER_CONFIG_PATH", "")) if p)
    return {**os.environ, "JUPYTER_CONFIG_PATH": path}


def lab(args: list[str]) -> int:
    extra = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # containers often run as root
    return run([venv_tool("jupyter"), "lab", "--notebook-dir", str(ROOT / "notebooks"), *extra, *args], env=lesson_env())


def present(args: list[str]) -> int:
    scenario = args[0] if args and not args[0].startswith("-") else "kb-q169113"
    if Path(scenario).is_file():
        scenario = str(Path(scenario).resolve())  # Voila's kernel runs in presenter/, not here
    rest = args[1:] if args and not args[0].startswith("-") else args
    env = {**os.environ, "XCON_SCENARIO": scenario}
    say(f"presenter mode for {scenario}: the page opens in your browser (Ctrl+C here to stop)")
    cmd = [venv_tool("voila"), str(ROOT / "presenter" / "lab.ipynb"), "--theme=light", "--Voila.ip=127.0.0.1", *rest]
    return run(cmd, env=env)


def test(args: list[str]) -> int:
    ensure_npm_tools()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    steps = [
        [venv_tool("ruff"), "check", "."],
        [venv_tool("ruff"), "format", "--check", "."],
        [venv_tool("mypy")],
        [str(venv_python()), "-m", "pytest", *args],
    ]
    for cmd in steps:
        code = run(cmd, env=env)
        if code != 0:
            say(f"failed: {Path(cmd[0]).name} (exit status {code})")
            return code
    say("all checks passed")
    return 0


def bench(args: list[str]) -> int:
    ensure_npm_tools()
    code = 0
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        code |= run([str(venv_python()), str(script), *args], env={**os.environ, "MPLBACKEND": "Agg"})
    return code


def fmt(args: list[str]) -> int:
    return run([venv_tool("ruff"), "format", ".", *args]) or run([venv_tool("ruff"), "check", "--fix", ".", *args])


JOBS = {"lab": lab, "present": present, "test": test, "bench": bench, "format": fmt}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in JOBS:
        print(__doc__.strip())
        return 2
    ensure_venv()
    return JOBS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
