"""A class on one hub: N students at once on a real JupyterHub, each clicking in the lab (issue 15).

Starts JupyterHub (from PyPI, with configurable-http-proxy from the npm registry) on loopback with
``deploy/jupyterhub_config.py``, changing only what a load test must (ports, a scratch folder,
a test sign-in and the hub's own user for every server). Then for each of N students, at once:
create the account, start the server, start a kernel, open the lab (``Lab("kb-q169113")``) and
make a sequence of changes (each student at their own pace: a wait of 0.5 to 1.5 times ``--think``
between clicks, from a seed of their name) through the real Jupyter protocol: the widget message a click on
"Remote host name" or "IP address" sends (a comm ``update`` of the Stack tab's ToggleButtons),
over the kernel's websocket through the proxy, timing each until the message that carries the new
picture (the Image widget's ``update`` with its PNG) arrives. Reports per N: p50, p95 and max
change-to-picture latency, errors, and memory per student (server + kernel: resident and
proportional set size). Bounded: at most ``--changes`` changes a student and ``--timeout`` s in all;
everything it started is stopped at the end, also on error or Ctrl+C (by process group).

Run: python3 run.py bench   (or .venv/bin/python bench/bench_hub.py --students 1 5 20)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROXY = ROOT / ".venv" / "node_modules" / ".bin" / "configurable-http-proxy"
CODE = 'from xcon_teach import Lab\nlab = Lab("kb-q169113")\nprint(lab.controls["stack:EXA"].model_id, lab.image.model_id)'
"""What each student runs: the lab, and the ids of the widgets a click changes and the picture."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hub:
    """A JupyterHub on loopback in a scratch folder; :meth:`stop` ends it and every server it started."""

    folder: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> Path:
        path = self.folder / "jupyterhub_config.py"
        path.write_text(
            f"""
load_subconfig({str(ROOT / "deploy" / "jupyterhub_config.py")!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{self.port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.JupyterHub.db_url = "sqlite:///{self.folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(self.folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(self.folder / "hub.pid")!r}
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.folder / "home" / "{username}")!r}
c.Spawner.args = ["--ServerApp.allow_root=True"] if {os.geteuid() == 0} else []
c.JupyterHub.services = [{{"name": "bench", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "bench", "scopes": ["admin:users", "admin:servers", "access:servers"], "services": ["bench"]}}]
c.JupyterHub.log_level = "WARN"
"""
        )
        return path

    def start(self) -> None:
        log = (self.folder / "hub.log").open("wb")
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(self.config())],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited: {(self.folder / 'hub.log').read_text()[-2000:]}")
            try:
                self.api("GET", "/hub/api/")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the hub did not answer within 60 s")

    def api(self, method: str, path: str, body: object = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None

    def processes(self) -> list[int]:
        """The hub and every process under it (its proxy, the servers in sessions of their own, their kernels)."""
        if self.proc is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            if Path(f"/proc/{pid}").exists():
                out.append(pid)
            todo += children.get(pid, [])
        return out

    def stop(self) -> list[int]:
        """Stop the servers, the hub and its proxy; return the pids of them still alive after (should be none)."""
        if self.proc is None:
            return []
        started = self.processes()  # known before the hub goes: a server it leaves behind is an orphan then
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # with cleanup_servers, the hub stops every server first
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while (left := [pid for pid in started if _alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return left


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# --- one student, over the Jupyter protocol ------------------------------------------------------


def message(msg_type: str, content: dict[str, Any], session: str, channel: str = "shell") -> str:
    return json.dumps(
        {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "session": session,
                "username": "bench",
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
    )


def parse(frame: str | bytes | None) -> dict[str, Any]:
    """A websocket frame of the Jupyter server: JSON text, or binary (a count, offsets, big-endian; the JSON; the buffers)."""
    if frame is None:
        raise ConnectionError("the kernel's websocket closed")
    if isinstance(frame, str):
        return dict(json.loads(frame))
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 + 4 * i : 8 + 4 * i], "big") for i in range(count)]
    end = offsets[1] if count > 1 else len(frame)
    msg = dict(json.loads(frame[offsets[0] : end]))
    msg["buffer_bytes"] = len(frame) - end
    return msg


async def _read(ws: Any) -> str | bytes | None:
    return await ws.read_message()


@dataclass
class Student:
    name: str
    latencies: list[float] = field(default_factory=list)
    picture_bytes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)


async def run_student(hub: Hub, student: Student, changes: int, deadline: float, think: float) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"/user/{student.name}"
    headers = {"Authorization": f"token {hub.token}"}
    try:
        kernel = await asyncio.to_thread(hub.api, "POST", f"{base}/api/kernels", {"name": "python3"})
        url = f"ws://127.0.0.1:{hub.port}{base}/api/kernels/{kernel['id']}/channels"
        # A kernel answers its websocket once it has started: with a whole class starting at once that takes a while.
        request = HTTPRequest(url, headers=headers, connect_timeout=120, request_timeout=120)
        ws = await websocket_connect(request, max_message_size=64 * 2**20)
        session = uuid.uuid4().hex
        ws.write_message(message("execute_request", {"code": CODE, "silent": False, "store_history": False}, session))
        ids: list[str] = []
        while not ids:
            msg = parse(await asyncio.wait_for(_read(ws), max(1.0, deadline - time.monotonic())))
            if msg.get("msg_type") == "stream":
                ids = msg["content"]["text"].split()
            elif msg.get("msg_type") == "error":
                raise RuntimeError(msg["content"].get("evalue", "error"))
        toggle, image = ids[:2]
        pace = random.Random(student.name)  # students do not click in step: each waits its own while
        await asyncio.sleep(pace.uniform(0, think))
        for k in range(changes):
            if time.monotonic() > deadline:
                student.errors.append("time limit")
                break
            index = 1 if k % 2 == 0 else 0  # Remote host name, then IP address, ...
            update = {"comm_id": toggle, "data": {"method": "update", "state": {"index": index}, "buffer_paths": []}}
            started = time.perf_counter()
            ws.write_message(message("comm_msg", update, session))
            while True:
                msg = parse(await asyncio.wait_for(_read(ws), max(1.0, deadline - time.monotonic())))
                content = msg.get("content", {})
                if msg.get("msg_type") == "comm_msg" and content.get("comm_id") == image and msg.get("buffer_bytes"):
                    student.latencies.append((time.perf_counter() - started) * 1000)
                    student.picture_bytes.append(int(msg["buffer_bytes"]))
                    break
                if msg.get("msg_type") == "error":
                    raise RuntimeError(content.get("evalue", "error"))
            await asyncio.sleep(pace.uniform(0.5, 1.5) * think)  # a student looks at the picture before the next click
        ws.close()
    except Exception as exc:  # one student's failure is a measured error, not the end of the test
        student.errors.append(f"{type(exc).__name__}: {exc}")


def memory_kb(pid: int) -> tuple[int, int]:
    """(resident, proportional set size) of one process, in KB."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def student_processes(hub: Hub, name: str) -> list[int]:
    """The student's server and its kernels (found by the JUPYTERHUB_USER in their environment)."""
    out = []
    for pid in hub.processes():
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JUPYTERHUB_USER={name}".encode() in env:
            out.append(pid)
    return out


def run_class(n: int, changes: int, timeout: float, think: float = 1.0) -> dict[str, Any]:
    """One hub, ``n`` students at once; the figures, and the pids left after the hub stopped."""
    folder = Path(tempfile.mkdtemp(prefix="xcon-hub-"))
    hub = Hub(folder)
    students = [Student(f"student{i + 1:03d}") for i in range(n)]
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    try:
        hub.start()
        hub.api("POST", "/hub/api/users", {"usernames": [s.name for s in students]})
        for s in students:
            hub.api("POST", f"/hub/api/users/{s.name}/server")
        for s in students:
            while True:
                user = hub.api("GET", f"/hub/api/users/{s.name}")
                if user.get("servers", {}).get("", {}).get("ready"):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{s.name}'s server did not start in time")
                time.sleep(0.5)
        spawn_seconds = time.perf_counter() - started

        async def everyone() -> None:
            await asyncio.gather(*(run_student(hub, s, changes, deadline, think) for s in students))

        asyncio.run(everyone())
        memory = [[memory_kb(pid) for pid in student_processes(hub, s.name)] for s in students]
    finally:
        left = hub.stop()
        shutil.rmtree(folder, ignore_errors=True)
    latencies = [x for s in students for x in s.latencies]
    quantiles = statistics.quantiles(latencies, n=20, method="inclusive") if len(latencies) >= 2 else latencies * 19
    rss = [sum(r for r, _ in m) / 1024 for m in memory if m]
    pss = [sum(p for _, p in m) / 1024 for m in memory if m]
    return {
        "students": n,
        "changes": len(latencies),
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p95_ms": quantiles[-1] if latencies else float("nan"),
        "max_ms": max(latencies) if latencies else float("nan"),
        "errors": sum(len(s.errors) for s in students),
        "error_texts": sorted({e for s in students for e in s.errors})[:3],
        "rss_mb": statistics.mean(rss) if rss else float("nan"),
        "pss_mb": statistics.mean(pss) if pss else float("nan"),
        "picture_kb": statistics.mean(x for s in students for x in s.picture_bytes) / 1024 if latencies else float("nan"),
        "spawn_s": spawn_seconds,
        "left": left,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, nargs="+", default=[1, 5, 10, 20], help="class sizes to run, one hub each")
    p.add_argument("--changes", type=int, default=10, help="changes per student (default 10)")
    p.add_argument("--timeout", type=float, default=300, help="seconds per class size, at most (default 300)")
    p.add_argument(
        "--think", type=float, default=1.0, help="seconds a student looks at each picture before the next click, on average"
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not PROXY.exists():
        print(f"bench_hub: skipped: no configurable-http-proxy at {PROXY.relative_to(ROOT)} (python3 run.py test installs it)")
        return 0
    results = []
    if not args.json:
        print(
            "JupyterHub load (loopback, one machine): N students at once, each clicking Stack tab IP <-> Remote host name, "
            f"{args.changes} changes, {args.think:g} s apart"
        )
        print(
            f"{'N':>4} {'changes':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7} {'RSS MB':>8} {'PSS MB':>8} {'PNG KB':>7} {'spawn s':>8}"
        )
    for n in args.students:
        r = run_class(n, args.changes, args.timeout, args.think)
        results.append(r)
        if not args.json:
            print(
                f"{r['students']:>4} {r['changes']:>8} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} {r['max_ms']:>8.0f} "
                f"{r['errors']:>7} {r['rss_mb']:>8.0f} {r['pss_mb']:>8.0f} {r['picture_kb']:>7.0f} {r['spawn_s']:>8.1f}",
                flush=True,
            )
            if r["error_texts"]:
                print("      errors:", "; ".join(r["error_texts"]))
        if r["left"]:
            print(f"bench_hub: processes left running after the hub stopped: {r['left']}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
