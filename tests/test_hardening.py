"""Hostile input, as an attack on the README's promises tried it (issue 16): one line, the right exit status.

Every hostile file is made here, in a temporary folder. "One line" means one line on stderr,
no traceback, control characters escaped and long values cut; exit status 2 for bad input and 1
for a failure of the machine (a full disk), with no partial output file left behind.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from xcon_teach import load_scenario
from xcon_teach.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
KB = load_scenario("kb-q169113")


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xcon_teach", *args], capture_output=True, text=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


def one_line(ran: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert ran.returncode == status, (ran.returncode, ran.stderr[-500:])
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().split("\n")
    assert len(lines) == 1, ran.stderr
    assert all(ch == "\t" or ch >= " " for ch in lines[0]), "no raw control character reaches the terminal"
    return lines[0]


def toml_with(tmp_path: Path, text: str, name: str = "bad.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("until = 90000", "until = 1" + "0" * 400, "run.until"),
        ("at = 0                                   # seconds", "at = 1" + "0" * 400 + "  # seconds", "messages[0].at"),
        ("# open_interval = 600", "open_interval = 1" + "0" * 400, "connectors[0].open_interval"),
    ],
)
def test_a_number_too_big_for_a_float_is_refused_by_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = KB.to_toml()
    source = load_scenario("kb-q169113")
    raw = tomllib.loads(text)
    assert raw
    shown = (ROOT / "xcon_teach" / "scenarios" / "kb-q169113.toml").read_text()
    assert old in shown, old
    line = one_line(cli("run", toml_with(tmp_path, shown.replace(old, new, 1))))
    assert f"{key}: must be at most a simulated century" in line and len(line) < 400
    assert source == KB


def test_python_edits_refuse_a_time_beyond_a_century() -> None:
    with pytest.raises(ScenarioError, match=r"run\.until: must be at most a simulated century"):
        KB.with_until(10**400)
    with pytest.raises(ScenarioError, match="open_interval: must be at most a simulated century"):
        KB.with_retries("EXA", open_interval=10**400)


def test_toml_nested_too_deep_is_one_line(tmp_path: Path) -> None:
    line = one_line(cli("run", toml_with(tmp_path, "x = " + "[" * 100_000 + "]" * 100_000)))
    assert "nested too deeply" in line


def test_odd_paths_get_their_own_message(tmp_path: Path) -> None:
    assert "too long" in one_line(cli("run", str(tmp_path / ("y" * 300 + ".toml"))))
    fifo = tmp_path / "f.toml"
    os.mkfifo(fifo)
    assert "not a regular file" in one_line(cli("run", str(fifo)))
    assert "not a regular file" in one_line(cli("run", "/dev/zero"))
    assert "no scenario given" in one_line(cli("run", ""))


def test_control_characters_are_escaped_and_long_names_cut(tmp_path: Path) -> None:
    shown = (ROOT / "xcon_teach" / "scenarios" / "kb-q169113.toml").read_text()
    escape = toml_with(tmp_path, shown + '[hosts."EX\\u001b[31mA\\u2028"]\naddresses = ["10.0.0.999"]\n', "esc.toml")
    line = one_line(cli("run", escape))
    assert "\x1b" not in line and "\u2028" not in line and "\\x1b" in line
    long = toml_with(tmp_path, shown + f'[hosts.{"N" * 10_000}]\naddresses = ["10.0.0.999"]\n', "long.toml")
    assert len(one_line(cli("run", long))) <= 400


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["export", "--help"]])
def test_help_into_a_full_disk_is_one_line_and_exit_1(argv: list[str]) -> None:
    """The third attack: argparse ignores a failed write, so --help into /dev/full said nothing and exited 0."""
    with open("/dev/full", "w") as full:
        ran = subprocess.run(
            [sys.executable, "-m", "xcon_teach", *argv], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
    assert "cannot write the output: No space left on device" in one_line(ran, status=1)


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"]])
def test_help_with_stdout_closed_is_one_line_and_exit_1(argv: list[str]) -> None:
    """The fourth attack: argparse printed the help on stderr instead and exited 0."""
    ran = subprocess.run(
        " ".join([sys.executable, "-m", "xcon_teach", *argv]) + " >&-", shell=True, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert "cannot write the output: standard output is closed" in one_line(ran, status=1)


def test_a_usage_error_with_stderr_full_still_exits_2() -> None:
    with open("/dev/full", "w") as full:
        ran = subprocess.run(
            [sys.executable, "-m", "xcon_teach", "run", "--bogus"], stdout=subprocess.PIPE, stderr=full, cwd=ROOT
        )
    assert ran.returncode == 2 and ran.stdout == b""


def test_output_streams_that_fail(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        ran = subprocess.run(
            [sys.executable, "-m", "xcon_teach", "run", "kb-q169113"], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
    assert "cannot write the output: No space left on device" in one_line(ran, status=1)
    closed = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "run", "kb-q169113"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        close_fds=True,
    )
    assert closed.returncode == 0
    shut = subprocess.run(
        f"{sys.executable} -m xcon_teach run kb-q169113 >&-",
        shell=True,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert "standard output is closed" in one_line(shut, status=1)
    bad = toml_with(tmp_path, "title = 1\n")
    quiet = subprocess.run(f"{sys.executable} -m xcon_teach run {bad} 2>&-", shell=True, cwd=ROOT)
    assert quiet.returncode == 2, "a bad scenario is status 2 even with stderr closed"


@pytest.mark.parametrize("name", ["device", "/proc/x.png", "LONG"])
def test_exports_to_places_that_cannot_hold_them_are_one_line(tmp_path: Path, name: str) -> None:
    if name == "device":
        target = tmp_path / "full.png"
        target.symlink_to("/dev/full")
    elif name == "LONG":
        target = tmp_path / ("y" * 300 + ".png")
    else:
        target = Path(name)
    before = sorted(tmp_path.iterdir())
    line = one_line(cli("export", "kb-q169113", "-o", str(target)))
    assert line.startswith("xcon-teach: -o: ")
    assert sorted(tmp_path.iterdir()) == before, "no partial file"


def test_a_full_disk_is_the_machines_failure_status_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from xcon_teach.__main__ import main

    def full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    assert main(["export", "kb-q169113", "-o", str(tmp_path / "k.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_gif_pace_limit_frame_limit_and_byte_identical_html(tmp_path: Path) -> None:
    assert "--seconds-per-frame" in one_line(
        cli("export", "kb-q169113", "-o", str(tmp_path / "a.gif"), "--seconds-per-frame", "656")
    )
    data = tomllib.loads((ROOT / "xcon_teach" / "scenarios" / "workaround.toml").read_text())
    data["messages"] = [
        {"at": 100 * k, "from": "EXCLUS" if k % 2 else "EXA", "to": "EXA" if k % 2 else "EXCLUS"} for k in range(60)
    ]
    from xcon_teach.scenario import scenario_from_dict

    many = toml_with(tmp_path, scenario_from_dict(data).to_toml(), "many.toml")
    line = one_line(cli("export", many, "-o", str(tmp_path / "m.gif")))
    assert "frames, more than the 70 a GIF holds" in line and "--until" in line
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    a, b = tmp_path / "one" / "kb.html", tmp_path / "two" / "kb.html"
    assert cli("export", "kb-q169113", "--until", "700", "-o", str(a)).returncode == 0
    assert cli("export", "kb-q169113", "--until", "700", "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_odd_but_valid_scenarios_get_a_warning_not_a_refusal(tmp_path: Path) -> None:
    shown = (ROOT / "xcon_teach" / "scenarios" / "kb-q169113.toml").read_text()
    odd = shown.replace('# allow_sources = ["10.0.1.20", "10.0.0.10"]', "allow_sources = []").replace(
        'site = "SITEB"', 'site = "SITEA"'
    )
    ran = cli("run", toml_with(tmp_path, odd), "--summary")
    assert ran.returncode == 0 and "Traceback" not in ran.stderr
    warnings = ran.stderr.strip().splitlines()
    assert len(warnings) == 3 and all(w.startswith("xcon-teach: warning: ") for w in warnings)
    assert "allow list is empty, so nothing may pass" in cli("run", toml_with(tmp_path, odd)).stdout


# -- a second attack, after the first fixes ----------------------------------------------------------


def test_an_integer_of_5000_digits_is_one_line_and_grading_goes_on(tmp_path: Path) -> None:
    huge = toml_with(tmp_path, "x = " + "9" * 5000 + "\n", "huge.toml")
    assert "too long to read" in one_line(cli("run", huge))
    kb = str(ROOT / "xcon_teach" / "scenarios" / "kb-q169113.toml")
    ran = cli("grade", "the-kb-case", huge, kb)
    assert ran.returncode == 0 and "kb-q169113.toml" in ran.stdout and "too long to read" in ran.stdout


def test_a_pipe_is_never_written_to(tmp_path: Path) -> None:
    fifo = tmp_path / "g.csv"
    os.mkfifo(fifo)
    kb = str(ROOT / "xcon_teach" / "scenarios" / "kb-q169113.toml")
    ran = cli("grade", "the-kb-case", kb, "--csv", str(fifo), timeout=60)
    assert "a device or a pipe" in one_line(ran)
    from xcon_teach import Lab
    from xcon_teach.errors import UsageError

    lab = Lab("kb-q169113")
    toml_pipe = tmp_path / "fix.toml"
    os.mkfifo(toml_pipe)
    with pytest.raises(UsageError, match="a device or a pipe"):
        lab.save(toml_pipe)


def test_bad_notebooks_and_bad_release_folders_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    nb = tmp_path / "nb"
    nb.mkdir()
    for text in ("{x", "[" * 100_000, '{"cells": 5}'):
        (nb / "00_a.ipynb").write_text(text)
        assert "--notebooks:" in one_line(cli("plan", "--notebooks", str(nb)))
        assert "--notebooks:" in one_line(cli("release", str(tmp_path / "rel"), "--notebooks", str(nb)))
        assert not (tmp_path / "rel").exists()
    assert "OUT:" in one_line(cli("release", "/proc/rel"))
    assert "OUT:" in one_line(cli("release", str(tmp_path / ("r" * 300))))
    assert "--worksheets:" in one_line(cli("plan", "--worksheets", ""))


def test_grade_shows_hostile_file_names_safely_and_its_csv_runs_no_formula(tmp_path: Path) -> None:
    kb = (ROOT / "xcon_teach" / "scenarios" / "kb-q169113.toml").read_text()
    (tmp_path / "a\x1b[31mb\x07.toml").write_text(kb)
    (tmp_path / "=1+1.toml").write_text(kb)
    ran = subprocess.run(
        [sys.executable, "-m", "xcon_teach", "grade", "the-kb-case", "a\x1b[31mb\x07.toml", "=1+1.toml", "--csv", "out.csv"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ran.returncode == 0 and "\x1b" not in ran.stdout and "\x07" not in ran.stdout and "\\x1b" in ran.stdout
    rows = (tmp_path / "out.csv").read_text().splitlines()[1:]
    assert all(not row.startswith(("=", "+", "-", "@")) for row in rows) and any(row.startswith("'=") for row in rows)


def test_usage_errors_start_with_the_program_and_a_lab_of_nothing_is_refused() -> None:
    line = one_line(cli("run", "kb-q169113", "--until", "-5"))
    assert line.startswith("xcon-teach: run: argument --until:")
    from xcon_teach import Lab
    from xcon_teach.errors import UsageError

    for bad in (None, 123, b"kb-q169113"):
        with pytest.raises(UsageError, match="Lab: give a scenario"):
            Lab(bad)  # type: ignore[arg-type]


def test_the_command_line_starts_on_a_few_small_modules_so_an_early_interrupt_is_one_line() -> None:
    """Until ``main`` runs, an interrupt is Python's traceback: the command line therefore imports only
    its error and text helpers before ``main`` (the core, the picture and the lab load inside it)."""
    code = "import sys, xcon_teach.__main__; print(sorted(m for m in sys.modules if m.startswith('xcon_teach')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert loaded.strip() == "['xcon_teach', 'xcon_teach.__main__', 'xcon_teach.errors', 'xcon_teach.text']"
    # The console script's entry point loads even those inside its try; before it, nothing but sys.
    code = "import sys; b = set(sys.modules); import xcon_teach._start; print(sorted(set(sys.modules) - b))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert set(eval(loaded)) - {"__future__"} == {"xcon_teach", "xcon_teach._start"}  # __future__: its annotations line
    project = (ROOT / "pyproject.toml").read_text()
    assert 'xcon-teach = "xcon_teach._start:main"' in project


def test_an_interrupt_while_the_command_line_loads_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from xcon_teach import _start

    real = builtins.__import__

    def interrupted(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "__main__" or name.endswith("xcon_teach.__main__"):
            raise KeyboardInterrupt
        return real(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "xcon_teach.__main__", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert _start.main() == 130 and err.getvalue() == "xcon-teach: interrupted\n"


def test_an_interrupt_inside_main_is_one_line_and_status_130(tmp_path: Path) -> None:
    import signal
    import time

    from xcon_teach.scenario import Message

    base = load_scenario("kb-q169113")
    c = base.connectors[1]
    many = base.replace(
        messages=tuple(Message(at=i * 86400.0, sender=c.server, recipient=c.remote) for i in range(4000)), until=4000 * 86400.0
    )
    (tmp_path / "long.toml").write_text(many.to_toml())
    p = subprocess.Popen(
        [sys.executable, "-m", "xcon_teach", "run", str(tmp_path / "long.toml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(1.5)  # well inside main: simulating 11 years, then writing 9.8 million lines of transcript
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=60)[1]
    assert p.returncode == 130 and err == "xcon-teach: interrupted\n", err


def test_a_scenario_too_big_to_draw_is_refused_in_one_line_before_any_drawing(tmp_path: Path) -> None:
    """5,000 hosts made a picture of 771,000 x 434,000 px, and matplotlib died of std::bad_alloc."""
    from xcon_teach.scenario import library

    extra = "".join(f'[hosts.H{i}]\naddresses = ["10.{2 + i // 250}.{i % 250}.1"]\n' for i in range(5000))
    (tmp_path / "big.toml").write_text(library.text("kb-q169113") + "\n" + extra)
    ran = cli("run", str(tmp_path / "big.toml"), "--summary")
    assert ran.returncode == 0, ran.stderr  # the simulation has no such limit
    ran = cli("export", str(tmp_path / "big.toml"), "-o", str(tmp_path / "big.png"))
    assert ran.returncode == 2 and ran.stderr.count("\n") == 1, ran.stderr
    assert ran.stderr.startswith("xcon-teach: hosts: this scenario (5003 hosts") and "pixels a picture holds" in ran.stderr
    assert not (tmp_path / "big.png").exists()


def test_a_scenario_of_more_than_10000_messages_or_100000_failovers_is_refused_in_one_line(tmp_path: Path) -> None:
    """The fourth attack: 100,000 messages took the live lab 312 s and 911 MB, 20,000 retried a day
    apart an export 588 MB. The limits are stated and checked before anything runs."""
    from xcon_teach.scenario import Action, Message
    from xcon_teach.scenario.validate import MAX_ACTIONS, MAX_MESSAGES

    base = load_scenario("kb-q169113")
    c = base.connectors[1]
    at_limit = base.replace(messages=tuple(Message(at=0, sender=c.server, recipient=c.remote) for _ in range(MAX_MESSAGES)))
    assert len(at_limit.messages) == 10_000
    with pytest.raises(ScenarioError, match=r"messages: at most 10,000 messages in a scenario .*\(got 10001\)"):
        base.replace(messages=(*at_limit.messages, at_limit.messages[0]))
    with pytest.raises(ScenarioError, match=r"actions: at most 100,000 scripted failovers .*\(got 100001\)"):
        base.replace(actions=tuple(Action(at=1.0, failover="WOLFPACK") for _ in range(MAX_ACTIONS + 1)))
    big = at_limit.to_toml() + '[[messages]]\nat = 0\nfrom = "EXCLUS"\nto = "EXA"\n'
    line = one_line(cli("run", toml_with(tmp_path, big, "big.toml")))
    assert "messages: at most 10,000 messages in a scenario" in line
