"""The deployment files: they parse, they point at what exists, and the README names no placeholder account."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # PyYAML comes with JupyterLab (jupyter_events)

ROOT = Path(__file__).resolve().parent.parent


def test_the_kubernetes_values_open_the_first_lesson_with_room_for_the_measured_footprint() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "z2jh-values.yaml").read_text())
    single = values["singleuser"]
    lesson = single["defaultUrl"].removeprefix("/lab/tree/")
    assert (ROOT / lesson).exists(), lesson
    limit = int(single["memory"]["limit"].rstrip("M"))
    assert limit >= 2 * 250, "the measured 250 MB a student (server and kernel), with room for a second kernel"
    assert "cp -r /srv/xcon_teach/notebooks" in " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])


def test_the_hub_config_opens_the_first_lesson_and_uses_the_lesson_settings() -> None:
    text = (ROOT / "deploy" / "jupyterhub_config.py").read_text()
    lesson = re.search(r'default_url = "/lab/tree/(.*?)"', text)
    assert lesson and (ROOT / lesson.group(1)).exists()
    assert '"JUPYTER_CONFIG_PATH": str(ROOT / "jupyter_config")' in text
    assert "cleanup_servers = True" in text


def test_binder_links_are_made_for_any_fork_and_the_readme_has_no_placeholder() -> None:
    spec = importlib.util.spec_from_file_location("binder_link", ROOT / "tools" / "binder_link.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.binder_url("https://github.com/a-teacher/xcon_teach.git") == (
        "https://mybinder.org/v2/gh/a-teacher/xcon_teach/HEAD?labpath=notebooks%2F00_start_here.ipynb"
    )
    readme = (ROOT / "README.md").read_text()
    assert "OWNER" not in readme and "tools/binder_link.py" in readme
