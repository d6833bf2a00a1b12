"""The command line: list, show, run (text and JSON), and bad input (exit 2, one line, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from xcon_teach.__main__ import main
from xcon_teach.scenario import library

REFERENCE = library.text("kb-q169113")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xcon_teach", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_list_names_and_titles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(library.names())
    assert lines[0].split(None, 1)[1] == "KB Q169113: X.400 over TCP/IP with a clustered server"


def test_list_long_adds_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--long"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3 * len(library.names())


def test_show_prints_the_file_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "kb-q169113"]) == 0
    assert capsys.readouterr().out == library.text("kb-q169113")


def test_show_then_run_the_copy(tmp_path: Path) -> None:
    shown = cli("show", "workaround")
    (tmp_path / "mine.toml").write_text(shown.stdout)
    ran = cli("run", "mine.toml", "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert {m["status"] for m in json.loads(ran.stdout)["messages"]} == {"delivered"}


def test_run_prints_one_line_a_step(capsys: pytest.CaptureFixture[str]) -> None:
    from xcon_teach import load_scenario, simulate

    assert main(["run", "kb-q169113"]) == 0
    out = capsys.readouterr().out
    assert out == simulate(load_scenario("kb-q169113")).to_text()
    assert "NT answers with NODE1's own IP 10.0.1.11, not the virtual IP 10.0.1.20  [DOC Q169113]" in out
    assert "(attempt 144 of at most 144)" in out and "23:50:00  EXCLUS   ndr" in out


def test_run_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "kb-q169113", "--json"]) == 0
    text = capsys.readouterr().out
    data = json.loads(text)
    assert list(data) == ["title", "hypothesis", "messages", "event_log", "steps"]
    assert data["hypothesis"] == "sender"
    assert data["messages"][0] == {
        "id": "m1",
        "from": "EXCLUS",
        "to": "EXA",
        "status": "ndr",
        "attempts": 144,
        "delivered_at": None,
        "presented_address": "10.0.1.11",
    }
    assert data["messages"][1] == {
        "id": "m2",
        "from": "EXA",
        "to": "EXCLUS",
        "status": "delivered",
        "attempts": 1,
        "delivered_at": 2.0,
        "presented_address": "10.0.0.10",
    }
    first = data["event_log"][0]
    assert list(first) == ["time", "server", "source", "id", "category", "network_address", "text"]
    assert first["time"] == 0.0 and first["server"] == "EXA" and first["network_address"] == "0A00010B"
    assert first["text"] == (
        "The message transfer gateway that uses the network address 0A00010B and the transport stack "
        "/o=Microsoft/ou=SITEA/cn=Configuration/cn=Servers/cn=EXA/cn=TCP (EXA) could not be found. "
        "Check the configuration of the mail gateway. [BASE IL TCP/IP DRVR 36 218] (10)"
    )
    assert all(list(s) == ["time", "kind", "actor", "text", "basis", "claim"] for s in data["steps"])
    assert all((s["claim"] is None) == (not s["basis"].startswith("DOC")) for s in data["steps"])
    assert '\n  "messages": [\n    {\n      "id": "m1",' in text  # two-space indent


def test_hypothesis_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """DESIGN: --hypothesis overrides [model] hostname_stack; --summary prints the outcome table only."""
    assert main(["run", "workaround-one-side", "--summary"]) == 0
    sender = capsys.readouterr().out.splitlines()
    assert sender[0].split()[:3] == ["id", "route", "status"] and len(sender) == 3 and "delivered" in sender[1]
    assert main(["run", "workaround-one-side", "--summary", "--hypothesis", "receiver"]) == 0
    assert "ndr" in capsys.readouterr().out.splitlines()[1]
    assert main(["run", "workaround", "--hypothesis", "receiver", "--json", "--until", "0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hypothesis"] == "receiver" and any(s["basis"] == "HYPOTHESIS R" for s in data["steps"])
    for h in ("sender", "receiver"):
        assert main(["run", "workaround", "--hypothesis", h, "--summary"]) == 0
        assert capsys.readouterr().out.count("delivered") == 4


def test_until_overrides_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "kb-q169113", "--json", "--until", "1200"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"][0]["status"] == "queued" and data["messages"][0]["attempts"] == 3
    assert data["steps"][-1]["time"] == 1200.0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "nosuch.toml"], "xcon-teach: nosuch.toml: no such file or built-in scenario"),
        (["run", "kb-q169113", "--until", "-5"], "argument --until: must not be negative (got -5)"),
        (["run", "kb-q169113", "--until", "soon"], "argument --until: must be a number of seconds (got 'soon')"),
        (["run", "kb-q169113", "--until", "inf"], "argument --until: must be a finite number of seconds"),
        (["show", "nosuch"], "xcon-teach: show: no built-in scenario named 'nosuch'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["run", "kb-q169113", "--hypothesis", "both"], "argument --hypothesis: invalid choice: 'both'"),
        (["run", "kb-q169113", "--json", "--summary"], "give --json or --summary, not both"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], expected: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert expected in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_bad_scenario_file_exits_2_naming_key_and_value(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(library.text("kb-q169113").replace('address = "10.0.0.10"\n\n[names]', 'address = "10.0.1.300"\n\n[names]'))
    result = cli("run", str(bad))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f'xcon-teach: {bad}: connectors[1].address: not a valid IPv4 address (got "10.0.1.300")\n'


def test_toml_syntax_error_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('title = "x"\n[hosts.A\n')
    result = cli("run", str(bad))
    assert result.returncode == 2 and "TOML syntax error" in result.stderr and "line 2" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_help_for_each_command() -> None:
    for args in (["--help"], ["run", "--help"], ["list", "--help"], ["show", "--help"]):
        result = cli(*args)
        assert result.returncode == 0 and "usage: xcon-teach" in result.stdout


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "xcon-teach"
    result = subprocess.run([str(exe), "list"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("kb-q169113")


def test_closed_pipe_is_not_an_error() -> None:
    proc = subprocess.run(
        f"{sys.executable} -m xcon_teach run kb-q169113 | head -1", shell=True, capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.count("\n") == 1 and "Traceback" not in proc.stderr


# --- found by an independent review of the first version -------------------------------------


def test_bad_values_with_newlines_or_long_text_stay_on_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(REFERENCE.replace("description =", "descripton ="))
    result = cli("run", str(bad))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "descripton: unknown key" in result.stderr
    bad.write_text(REFERENCE.replace('title = "KB', 'title = "a\\nb KB'))
    result = cli("run", str(bad))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and 'got "a\\nb KB' in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_export_refuses_a_non_finite_or_non_positive_frame_time(tmp_path: Path, value: str) -> None:
    result = cli("export", "kb-q169113", "-o", str(tmp_path / "x.gif"), "--seconds-per-frame", value)
    assert result.returncode == 2 and "--seconds-per-frame" in result.stderr and "Traceback" not in result.stderr


def test_frame_is_only_for_png(tmp_path: Path) -> None:
    result = cli("export", "kb-q169113", "-o", str(tmp_path / "x.gif"), "--frame", "3")
    assert result.returncode == 2 and "--frame" in result.stderr


def test_builtin_name_with_toml_suffix_gets_a_hint(tmp_path: Path) -> None:
    result = cli("run", "kb-q169113.toml", cwd=tmp_path)
    assert result.returncode == 2 and "the built-in scenario is called kb-q169113" in result.stderr


def test_minus_zero_until_gives_the_same_bytes_as_zero() -> None:
    assert cli("run", "kb-q169113", "--json", "--until", "-0").stdout == cli("run", "kb-q169113", "--json", "--until", "0").stdout
