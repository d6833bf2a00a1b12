"""The lab's side panels as HTML: narration, claimed vs on the wire, Event Viewer, queues, packets.

HTML beside the picture rather than text in it: faster to update, selectable, and read by screen
readers. Every value comes from a :class:`~xcon_teach.draw.Portrayal`, like the picture's labels,
so the two always agree. Colour is never the only cue: each status also has a symbol and words.
"""

from __future__ import annotations

from html import escape

from ..capture import Packet
from ..draw.portrayal import STATUS, TEXT, Portrayal
from ..sim import Trace, clock

__all__ = [
    "attempt_in_view",
    "box",
    "events_html",
    "message_status_at",
    "narration_html",
    "packets_html",
    "queues_html",
    "readout_html",
]

_BOX = "border:1px solid #999;border-radius:6px;padding:6px 10px;margin:2px 0;font-family:'DejaVu Sans',sans-serif;font-size:13px"


def box(title: str, body: str) -> str:
    return f'<div style="{_BOX}"><div style="font-weight:bold;margin-bottom:4px">{escape(title)}</div>{body}</div>'


def narration_html(p: Portrayal) -> str:
    colour = TEXT["blue"] if p.documented else TEXT["reddish purple"]
    where = f" &middot; frame {p.frame + 1} of {p.frames}" if p.frame is not None else ""
    badge = f'<span style="border:1.5px solid {colour};color:{colour};border-radius:4px;padding:0 4px;font-weight:bold">basis: {escape(p.basis_text)}</span>'
    return (
        f'<div style="{_BOX};font-size:14px">'
        f'<div style="color:#555">{escape(p.clock)} &middot; step {p.index + 1} of {p.total}{where}</div>'
        f'<div style="margin:4px 0;font-size:15px" role="status">{escape(p.narration_text)}</div>{badge}</div>'
    )


def readout_html(p: Portrayal) -> str:
    rows = []
    if p.claimed:
        rows.append(("claimed", escape(p.claimed.removeprefix("claimed: "))))
    if p.wire:
        wire = escape(p.wire.removeprefix("on the wire: "))
        if p.wire_differs:
            rows.append(("on the wire", f'<b style="color:{TEXT["vermillion"]}">{wire} &ne; claimed</b>'))
        else:
            rows.append(("on the wire", f"<b>{wire} = claimed</b>"))
    if p.mark:
        rows.append(("outcome", f'<b style="color:{p.mark.status.text}">{escape(p.mark.text)}</b>'))
    elif p.envelope and p.envelope.hop is None:
        first = p.envelope.text.split("\n")[0]
        rows.append(("packet", f'<b style="color:{p.envelope.status.text}">{escape(first)}</b>'))
    if p.checklist:
        last = next((r for r in reversed(p.checklist.rows) if r.state not in ("pending", "skipped")), None)
        if last is not None:
            rows.append(("lookup", escape(f"{p.checklist.receiver}: {last.symbol} {last.text}")))
    if not rows:
        return box("Claimed vs on the wire", '<span style="color:#555">no connection at this step</span>')
    table = "".join(f'<tr><td style="color:#555;padding-right:8px">{k}</td><td>{v}</td></tr>' for k, v in rows)
    return box("Claimed vs on the wire", f"<table>{table}</table>")


def events_html(p: Portrayal) -> str:
    title = f"Event Viewer on {p.event_server}" if p.event_server else "Event Viewer"
    if p.event_lines:
        items = "".join(f"<li><code>{escape(line)}</code></li>" for line in p.event_lines)
        body = f'<div style="color:#555">ID 9301 &middot; MSExchangeMTA &middot; Configuration, newest first</div><ul style="margin:2px 0;padding-left:18px">{items}</ul>'
    else:
        body = '<div style="color:#555">(no Event 9301 here yet)</div>'
    return box(title, body + f'<div style="color:#555;font-size:11px">{escape(p.event_note)}</div>')


def message_status_at(trace: Trace, index: int) -> list[tuple[str, str, str]]:
    """(id, route, status so far) for every message at step ``index``."""
    ended: dict[str, str] = {}
    for message, (i, step) in trace.ends().items():
        if i > index:
            continue
        if step.kind == "deliver":
            ended[message] = f"{STATUS['found'].symbol} delivered {clock(step.time)}"
        else:
            ended[message] = f"{STATUS['not found'].symbol} returned (NDR) {clock(step.time)}"
    now = trace.steps[index].time
    out = []
    for m, spec in zip(trace.messages, trace.scenario.messages, strict=True):
        status = ended.get(m.id) or ("queued" if spec.at <= now else f"not sent yet (at {clock(spec.at)})")
        out.append((m.id, f"{m.sender} &rarr; {m.recipient}", status))
    return out


def queues_html(p: Portrayal, trace: Trace) -> str:
    lines = "".join(f"<div>{escape(line).replace('  ', '&nbsp;&nbsp;')}</div>" for line in p.queue_lines)
    rows = "".join(
        f"<tr><td>{mid}</td><td>{route}</td><td>{escape(status)}</td></tr>"
        for mid, route, status in message_status_at(trace, p.index)
    )
    return box("Queues and messages", f'{lines}<table style="margin-top:4px">{rows}</table>')


def attempt_in_view(trace: Trace, index: int) -> int | None:
    """The serial of the attempt the step at ``index`` belongs to, else of the last one begun before it."""
    for i in range(index, -1, -1):  # from the step back: a few steps, not the whole run
        cx = trace.steps[i].connection
        if cx is not None:
            return cx.serial
    return None


def packets_html(found: tuple[Packet, ...], trace: Trace, index: int) -> str:
    """Wireshark's packet list for the attempt in view, up to this step: this step's packets marked ▶ and highlighted.

    Packets after this step are neither shown nor counted (their number would tell the outcome),
    nor are those the step sends later (a SYN's retransmissions, until the frame in view reaches their time).
    """
    serial = attempt_in_view(trace, index)
    title = "Packets on the wire (like Wireshark's packet list)"
    if serial is None:
        return box(title, '<span style="color:#555">no connection attempt yet</span>')
    now = trace.steps[index].time
    shown = [p for p in found if p.serial == serial and p.step <= index and p.time <= now + 1.0]
    head = "".join(
        f'<th style="text-align:left;padding:0 6px">{h}</th>'
        for h in ("No.", "Time", "Source", "Destination", "Protocol", "Info")
    )
    rows = []
    for p in shown:
        here = p.step == index
        style = "background:#fff3c4;font-weight:bold" if here else ""
        cells = list(p.row())
        cells[0] = ("▶ " if here else "") + cells[0]
        rows.append(f'<tr style="{style}">' + "".join(f'<td style="padding:0 6px">{escape(c)}</td>' for c in cells) + "</tr>")
    a = next(x for x in trace.attempts() if x.serial == serial)
    note = f"attempt {a.number} on {a.connector}"
    if not shown:
        note += ": nothing on the wire yet"
    legend = (
        "▶ and highlight: sent at this step; what comes later appears as you step on. HOSTS lookups are local and send nothing."
    )
    table = (
        f"<table style=\"font-family:'DejaVu Sans Mono',monospace;font-size:12px;border-collapse:collapse\">"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if shown
        else ""
    )
    return box(title, f'<div style="color:#555">{escape(note)}</div>{table}<div style="color:#555;font-size:11px">{legend}</div>')
