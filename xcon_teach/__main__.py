"""The command line: ``python -m xcon_teach`` (or ``xcon-teach``) list | show | run | export | capture | live | release | grade | plan.

Exit status 0 on success and 2 on bad input, with one clear line on stderr and no traceback;
``live`` also exits 1 when the kernel and the model disagree.
"""

from __future__ import annotations

import argparse
import errno
import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

from .errors import MachineError, UsageError, XconError
from .text import one_line, safe

if TYPE_CHECKING:
    from .scenario import Scenario

PROG = "xcon-teach"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (status 2), not usage plus a message."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split()[1:]  # "xcon-teach run" -> ["run"]
        where = f"{' '.join(command)}: " if command else ""
        help_for = " ".join([PROG, *command])
        self.exit(2, one_line(f"{PROG}: {where}{message} (see {help_for} --help)") + "\n")

    def _print_message(self, message: str, file: TextIO | None = None) -> None:  # type: ignore[override]
        # argparse ignores a failed write: --help into a full disk said nothing and exited 0.
        # Written and flushed here, the failure reaches main, which reports it in one line.
        if message:
            if file is None and sys.stdout is None and sys.stderr is not None:
                # --help with standard output closed: argparse would print it on stderr instead
                raise OSError(errno.EBADF, "standard output is closed")
            stream = file or sys.stderr
            if stream is None:
                return
            try:
                stream.write(message)
                stream.flush()
            except OSError:
                if stream is not sys.stderr:
                    raise
                # A usage error with stderr full or gone: nothing can say it, the status (2) still does.


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds (got {text!r})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds (got {text!r})")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative (got {text})")
    return value + 0.0  # -0 is 0


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive (got {text})")
    return value


def _hypothesis_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hypothesis",
        choices=("sender", "receiver"),
        help="which reading of why Remote host name works (notebook 04; docs/domain.md): sender (hypothesis S) or receiver (hypothesis R); "
        "overrides the file's [model] hostname_stack",
    )


def _scenario(args: argparse.Namespace) -> Scenario:
    """The scenario the command names, under the hypothesis the command line asks for."""
    from . import load_scenario
    from .scenario.warnings import warnings

    s = load_scenario(args.scenario)
    for text in warnings(s):
        _say(f"{PROG}: warning: {one_line(text)}")
    return s.with_hypothesis(args.hypothesis) if args.hypothesis else s


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="KB Q169113 as a lesson: simulate a clustered Exchange 5.5 MTA sending from the wrong address.",
        epilog="Start with: xcon-teach run kb-q169113 | head -30",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    ls = sub.add_parser(
        "list", help="list the built-in scenarios", description="List the built-in scenarios: a name and a title a line."
    )
    ls.add_argument("-l", "--long", action="store_true", help="also print each scenario's two-line description")

    show = sub.add_parser(
        "show", help="print a built-in scenario's TOML", description="Print the TOML of a built-in scenario, to copy and edit."
    )
    show.add_argument("name", metavar="NAME", help="a name from `xcon-teach list`")

    run = sub.add_parser(
        "run",
        help="simulate a scenario",
        description="Simulate a scenario file or a built-in scenario; print the transcript (one line a step) or JSON.",
    )
    run.add_argument("scenario", metavar="FILE_OR_NAME", help="a scenario TOML file, or a name from `xcon-teach list`")
    run.add_argument(
        "--json", action="store_true", help="print the JSON result (messages, event log, steps) instead of the transcript"
    )
    run.add_argument("--until", type=_seconds, metavar="SECONDS", help="simulate until this time (overrides [run] until)")
    run.add_argument("--summary", action="store_true", help="print only the outcome table: one line a message")
    _hypothesis_option(run)

    export = sub.add_parser(
        "export",
        help="draw a scenario for slides: GIF, HTML, PDF or PNG",
        description="Draw a scenario's storyboard (its key frames) as an animated GIF, a self-contained HTML page "
        "or a PDF slide deck (one key frame a page), or one frame as a PNG.",
        epilog="Example: xcon-teach export kb-q169113 -o kb.gif",
    )
    export.add_argument("scenario", metavar="FILE_OR_NAME", help="a scenario TOML file, or a name from `xcon-teach list`")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.gif, OUT.html, OUT.pdf or OUT.png")
    export.add_argument(
        "--frame", type=int, metavar="N", help="for PNG: the storyboard frame to draw, from 1 (default: the first refusal)"
    )
    export.add_argument("--until", type=_seconds, metavar="SECONDS", help="simulate until this time (overrides [run] until)")
    _hypothesis_option(export)
    export.add_argument(
        "--seconds-per-frame",
        type=_positive_seconds,
        default=2.5,
        metavar="S",
        help="for GIF and HTML: how long each frame shows (default 2.5)",
    )

    capture = sub.add_parser(
        "capture",
        help="write a run's packets as a capture that Wireshark opens (.pcap)",
        description="Write the packets each attempt puts on the wire (TCP to port 102, the RFC 1006 CR and its "
        "answer, the transfer, and the DNS and NetBIOS name service traffic the run implies) as a pcap file with "
        "simulated timestamps; then open it in Wireshark or read it with tshark.",
        epilog="Example: xcon-teach capture kb-q169113 -o kb.pcap && tshark -r kb.pcap",
    )
    capture.add_argument("scenario", metavar="FILE_OR_NAME", help="a scenario TOML file, or a name from `xcon-teach list`")
    capture.add_argument("-o", "--output", required=True, metavar="OUT.pcap", help="the capture file to write")
    capture.add_argument("--until", type=_seconds, metavar="SECONDS", help="simulate until this time (overrides [run] until)")
    _hypothesis_option(capture)

    release = sub.add_parser(
        "release",
        help="write the student version of the notebooks",
        description="Write the lesson notebooks for students into OUT: no outputs, no answer cells, no instructor material.",
        epilog="Example: xcon-teach release handout/",
    )
    release.add_argument("out", metavar="OUT", help="a new (or empty) folder")
    release.add_argument("--notebooks", metavar="DIR", help="the folder of lesson notebooks (default: this clone's notebooks/)")
    release.add_argument(
        "--with-explanations", action="store_true", help="keep the explanations after each prediction, collapsed"
    )
    release.add_argument("--force", action="store_true", help="write into OUT even if it is not empty")

    grade = sub.add_parser(
        "grade",
        help="grade hand-ins against a challenge",
        description="Grade the scenario files students saved from the lab against a challenge, by outcome, under both "
        "hypotheses; print a table, and with --csv write the gradebook.",
        epilog="Example: xcon-teach grade one-side handins/ --csv grades.csv",
    )
    grade.add_argument("challenge", metavar="CHALLENGE", help="a challenge name (the-kb-case, one-side, ...)")
    grade.add_argument("files", metavar="FILE_OR_FOLDER", nargs="+", help="hand-in TOML files, or folders of them")
    grade.add_argument("--csv", metavar="OUT.csv", help="write the gradebook as CSV (one row a hand-in)")

    plan = sub.add_parser(
        "plan",
        help="the 50-minute plan: the core path, its measured timing, the worksheets",
        description="Print the core path through the lessons (the cells tagged core): cells to run, predictions to "
        "pause on, minutes measured at 150 words a minute plus 45 s a pause; with --worksheets write one printable "
        "worksheet a lesson.",
        epilog="Example: xcon-teach plan --worksheets worksheets/",
    )
    plan.add_argument("--notebooks", metavar="DIR", help="the folder of lesson notebooks (default: this clone's notebooks/)")
    plan.add_argument("--sheet", action="store_true", help="print the full run sheet (Markdown), as in the instructor guide")
    plan.add_argument("--worksheets", metavar="OUT", help="write the worksheets (Markdown and printable HTML) into OUT")

    from .live.cli import add_parser as add_live_parser

    add_live_parser(sub)
    return p


def _list(args: argparse.Namespace, out: TextIO) -> None:
    from .scenario import library

    names = library.names()
    width = max(len(n) for n in names)
    for name in names:
        title, description = library.summary(name)
        out.write(f"{name:<{width}}  {title}\n")
        if args.long:
            for line in description.splitlines():
                out.write(f"{'':<{width}}    {line}\n")


def _show(args: argparse.Namespace, out: TextIO) -> None:
    from .scenario import library

    if not library.exists(args.name):
        raise UsageError(f"show: no built-in scenario named {args.name!r} (`{PROG} list` shows them)")
    out.write(library.text(args.name))


def _run(args: argparse.Namespace, out: TextIO) -> None:
    from . import simulate

    if args.json and args.summary:
        raise UsageError("run: --json already holds the outcomes; give --json or --summary, not both")
    trace = simulate(_scenario(args), until=args.until)
    if args.summary:
        out.write(trace.outcome_table() + "\n")
    else:
        (trace.write_json if args.json else trace.write_text)(out)  # a step at a time: a year of retries is a long text


def _export(args: argparse.Namespace, out: TextIO) -> None:
    from . import simulate
    from .draw.export import check_output, export

    if args.frame is not None and not str(args.output).lower().endswith(".png"):
        raise UsageError(f"--frame: picks the frame of a .png; a .gif, .html or .pdf shows them all (got {args.frame})")
    check_output(args.output)  # a bad path fails before any drawing
    trace = simulate(_scenario(args), until=args.until)
    left_out: list[str] = []

    def capture() -> bytes | None:  # the HTML page's "Download capture" link, made once the storyboard fits
        from .capture.pcap import pcap_bytes

        try:
            return pcap_bytes(trace)
        except UsageError as e:
            left_out.append(str(e).removeprefix("--until: "))
            return None

    written = export(trace, args.output, frame=args.frame, seconds_per_frame=args.seconds_per_frame, capture=capture)
    out.write(f"wrote {written}\n")
    for why in left_out:
        _say(f"{PROG}: warning: the page has no capture link: {one_line(why)}")


def _capture(args: argparse.Namespace, out: TextIO) -> None:
    from . import simulate
    from .capture.pcap import check_output, write_pcap

    check_output(args.output)  # a bad path fails before the run
    count = write_pcap(simulate(_scenario(args), until=args.until), args.output)
    out.write(f"wrote {args.output}: {count} packets (open it in Wireshark, or: tshark -r {args.output})\n")


def _release(args: argparse.Namespace, out: TextIO) -> None:
    from .classroom.release import release

    written = release(args.out, notebooks=args.notebooks, explanations=args.with_explanations, force=args.force)
    out.write(f"wrote {len(written)} files into {args.out}\n")


def _plan(args: argparse.Namespace, out: TextIO) -> None:
    from .classroom.plan import lessons, run_sheet, table, write_worksheets

    plan = lessons(args.notebooks)
    out.write(run_sheet(plan) if args.sheet else table(plan))
    if args.worksheets is not None:
        written = write_worksheets(args.worksheets, plan)
        out.write(f"wrote {len(written) // 2} worksheets (Markdown and HTML) into {args.worksheets}\n")


def _grade(args: argparse.Namespace, out: TextIO) -> int:
    from .challenges import challenge
    from .classroom.grade import grade_files, hand_ins, table, write_gradebook

    try:
        c = challenge(args.challenge)
    except XconError as exc:
        raise UsageError(f"CHALLENGE: {exc}") from None
    grades = grade_files(c, hand_ins(args.files))
    for g in grades:
        for text in g.warnings:
            _say(f"{PROG}: warning: {one_line(safe(g.file))}: {one_line(text)}")
    out.write(table(grades))
    if args.csv:
        write_gradebook(grades, args.csv)
        out.write(f"wrote {args.csv}\n")
    return 0


def _live(args: argparse.Namespace, out: TextIO) -> int:
    from .live.cli import run as run_live

    return run_live(args, out)


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int | None]] = {
    "list": _list,
    "show": _show,
    "run": _run,
    "export": _export,
    "capture": _capture,
    "live": _live,
    "release": _release,
    "grade": _grade,
    "plan": _plan,
}


def _say(text: str) -> None:
    """Write one line to stderr, if there is a stderr to write to."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 fine, 2 bad input, 1 a failure of the machine, 130 interrupted)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _say(f"{PROG}: interrupted")
        return 130


def _main(argv: Sequence[str] | None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")  # names and titles are not always ASCII
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help printed (0), or argparse named a bad argument on stderr (2)
        return done.code if isinstance(done.code, int) else 2 if done.code else 0
    except BrokenPipeError:  # `xcon-teach --help | head -1`
        return 0
    except OSError as exc:  # --help into a full disk
        _say(f"{PROG}: cannot write the output: {exc.strerror or exc}")
        return 1
    out = sys.stdout
    if out is None:
        _say(f"{PROG}: standard output is closed: nothing to write to (redirect it to a file or /dev/null)")
        return 1
    try:
        status = COMMANDS[args.command](args, out) or 0
        out.flush()
    except XconError as exc:
        _say(one_line(f"{PROG}: {exc}"))  # always one line, cut at MAX_LINE
        return 1 if isinstance(exc, MachineError) else 2
    except BrokenPipeError:
        # `xcon-teach run ... | head` closed the pipe early: not an error worth a traceback.
        try:
            sys.stderr.close()
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except OSError as exc:
        if getattr(exc, "filename", None) is not None:
            raise
        # Writing the output failed: the disk (or /dev/full) is full, the terminal went away.
        _say(f"{PROG}: cannot write the output: {exc.strerror or exc}")
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
