"""JupyterHub for a class on one machine: every student gets the lesson notebooks in JupyterLab.

    python3 run.py test                      # once: makes .venv with xcon_teach, JupyterHub and its proxy
    sudo .venv/bin/jupyterhub -f deploy/jupyterhub_config.py

Students sign in with their accounts on this machine (PAM); each gets a JupyterLab of their
own, started as that user (LocalProcessSpawner), opening on ``notebooks/00_start_here.ipynb``
in their home folder (copied there at their first start; a student's own edits are kept after
that). The proxy is configurable-http-proxy from the npm registry (``run.py`` installs it into
``.venv/node_modules``). Sizing: see the README's "How many students fit" (about 250 MB resident a
student with the lab open: 135 MB of server, 120 MB of kernel). For a trial without accounts, ``XCON_HUB_TRY=1`` lets anyone sign in with any
name and runs every server as the hub's own user (never for a real class).

``bench/bench_hub.py`` loads this file and changes only what a load test on loopback must: the
ports, the folders, the sign-in (a test account per student) and the spawner.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
NOTEBOOKS = ROOT / "notebooks"
PROXY = ROOT / ".venv" / "node_modules" / ".bin" / "configurable-http-proxy"

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (JupyterHub provides it)

c.JupyterHub.bind_url = os.environ.get("XCON_HUB_URL", "http://:8000")
c.ConfigurableHTTPProxy.command = [str(PROXY) if PROXY.exists() else "configurable-http-proxy"]

if os.environ.get("XCON_HUB_TRY"):
    c.JupyterHub.authenticator_class = "dummy"
    c.JupyterHub.spawner_class = "simple"
else:
    c.JupyterHub.authenticator_class = "pam"
    c.JupyterHub.spawner_class = "localprocess"
    c.Authenticator.allow_all = True  # every account on this machine; or list them: c.Authenticator.allowed_users = {...}

c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab/tree/notebooks/00_start_here.ipynb"
c.Spawner.environment = {"MPLBACKEND": "Agg", "JUPYTER_CONFIG_PATH": str(ROOT / "jupyter_config")}  # nbgrader's panels off
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.mem_limit = "512M"  # advisory for the local spawner; enforced by the Kubernetes one (deploy/z2jh-values.yaml)
c.JupyterHub.concurrent_spawn_limit = 200
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server


def copy_lessons(spawner: object) -> None:
    """Give a student the lesson notebooks at their first start (never overwrite their copy)."""
    home = Path(getattr(spawner, "home_dir", "") or os.path.expanduser(f"~{spawner.user.name}"))  # type: ignore[attr-defined]
    target = home / "notebooks"
    if not target.exists():
        shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.pcap"))
        if os.geteuid() == 0 and home.exists():
            stat = home.stat()
            for path in [target, *target.rglob("*")]:
                os.chown(path, stat.st_uid, stat.st_gid)


c.Spawner.pre_spawn_hook = copy_lessons
