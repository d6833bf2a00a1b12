"""The class-size load test on a real JupyterHub: it measures, and it leaves nothing running.

Runs ``bench/bench_hub.py`` with two students and three changes each: JupyterHub from PyPI, its
proxy (configurable-http-proxy) from the npm registry (``python3 run.py test`` installs it into
``.venv/node_modules``), ``deploy/jupyterhub_config.py`` as the configuration. Without the proxy
the test skips, except in CI (``XCON_REQUIRE_HUB=1`` or ``CI``), where it fails.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROXY = ROOT / ".venv" / "node_modules" / ".bin" / "configurable-http-proxy"

pytestmark = pytest.mark.slow


def _bench_hub():
    spec = importlib.util.spec_from_file_location("bench_hub", ROOT / "bench" / "bench_hub.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_hub"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hub_result():
    if not PROXY.exists():
        if os.environ.get("XCON_REQUIRE_HUB") or os.environ.get("CI") or os.environ.get("XCON_REQUIRE_BROWSER"):
            pytest.fail(f"no configurable-http-proxy at {PROXY}: python3 run.py test installs it with npm", pytrace=False)
        pytest.skip("no configurable-http-proxy (npm): python3 run.py test installs it")
    return _bench_hub().run_class(2, changes=3, timeout=180, think=0.2)


def test_two_students_each_get_every_picture(hub_result) -> None:
    assert hub_result["errors"] == 0, hub_result["error_texts"]
    assert hub_result["changes"] == 6
    assert 0 < hub_result["p50_ms"] <= hub_result["max_ms"] < 30_000
    assert hub_result["picture_kb"] > 10, "each change brings the new picture's PNG"
    assert 50 < hub_result["rss_mb"] < 1000, "a student's server and kernel were found and measured"


def test_the_load_test_stops_its_hub_and_every_server_it_started(hub_result) -> None:
    assert hub_result["left"] == [], f"still running after the hub stopped: {hub_result['left']}"
    mine = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"xcon-hub-" in cmd:
                mine.append((entry.name, cmd[:120]))
    assert mine == [], f"processes of a load-test hub are still running: {mine}"
