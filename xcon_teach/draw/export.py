"""Export a trace for slides: the storyboard as a GIF, a self-contained HTML page or a PDF deck, or one frame as PNG.

Frames are numbered from 1 everywhere (``--frame 5`` is the frame that says "frame 5 of N").
The GIF and the HTML page use one palette for all their frames, computed from the frames
themselves and holding every Okabe-Ito colour exactly, so a colour never changes from frame to
frame. The HTML page needs nothing from the network: its frames are embedded, its buttons are
plain text, and each frame carries its text alternative (the narration and the addresses). The
PDF has one key frame a page, at 16:9, with its narration as real text. The PNG is the canvas
encoded without metadata, so one frame always gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..files import output_path, write_whole
from ..sim import Trace
from .portrayal import OKABE_ITO, TEXT, Portrayal, TraceView, portray
from .storyboard import key_frame, storyboard

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from .picture import Picture

__all__ = ["FORMATS", "export", "still", "storyboard_portrayals"]

FORMATS = (".gif", ".html", ".pdf", ".png")
DEFAULT_SECONDS_PER_FRAME = 2.5
"""Long enough to read a frame's narration aloud."""
MAX_FRAMES = 70
"""The most storyboard frames a GIF or HTML export holds: both keep every frame in memory while they
are made (measured: about 5.6 MB a frame on top of 93 MB, so 70 frames stay under 500 MB; the longest
built-in storyboard has 61). A longer story is refused, before any drawing, with a hint to shorten the
run or to make a PDF (see MAX_PAGES)."""
MAX_PAGES = 400
"""The most pages of a PDF deck: it is made in memory and written whole (measured: about 5.5 KB and
50 ms a page, 114 MB peak for 318 pages), so a deck stays a few MB and takes under half a minute;
a longer story (5,000 daily refusals, 13.7 years, have 15,018 key frames) is refused with a hint."""
MAX_SECONDS_PER_FRAME = 655.0
"""A GIF frame lasts at most 655.35 s (its delay is a 16-bit count of hundredths)."""


def storyboard_portrayals(trace: Trace, *, hops: bool = True, only: int | None = None) -> list[Portrayal]:
    """A portrayal per storyboard frame, with the frame's caption, position and hop filled in.

    ``hops=False`` leaves out the hop frames (a packet on its way) and numbers the key frames alone,
    as a slide deck shows them; ``only`` (an index) portrays that frame alone.
    """
    view = TraceView(trace)
    frames = [f for f in storyboard(trace) if hops or f.hop is None]
    chosen = range(len(frames)) if only is None else [only]
    return [
        portray(view, frames[k].step, caption=frames[k].caption, frame=k, frames=len(frames), hop=frames[k].hop) for k in chosen
    ]


def _frame_index(frame: int | None, count: int, trace: Trace, option: str) -> int:
    """A 1-based frame number as an index into the storyboard (None: the frame that tells the story best)."""
    if frame is None:
        return key_frame(storyboard(trace), trace)
    if not 1 <= frame <= count:
        raise UsageError(f"{option}: must be between 1 and {count} for this storyboard (got {frame})")
    return frame - 1


def still(trace: Trace, frame: int | None = None) -> bytes:
    """One storyboard frame as PNG bytes: frame number ``frame`` (from 1), default the one that tells the story best.

    For notebooks: ``IPython.display.Image(still(trace))``.
    """
    k = _frame_index(frame, len(storyboard(trace)), trace, "frame")
    from .picture import Picture

    return Picture(trace.scenario).frame_png(storyboard_portrayals(trace, only=k)[0])


def check_output(path: str | os.PathLike[str]) -> Path:
    """The output path, or a UsageError naming what is wrong with it (before any work is done)."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"-o: cannot write {suffix or 'a file without an extension'}; use .gif, .html, .pdf or .png (got {str(path)!r})"
        )
    return output_path(path, "-o", suffix, "the format to write")


def export(
    trace: Trace,
    path: str | os.PathLike[str],
    *,
    frame: int | None = None,
    seconds_per_frame: float = DEFAULT_SECONDS_PER_FRAME,
    capture: bytes | Callable[[], bytes | None] | None = None,
) -> Path:
    """Write ``trace`` to ``path``: a GIF or HTML animation of its storyboard, a PDF deck, or one frame as PNG.

    ``frame`` (from 1) picks the storyboard frame of a PNG (default: the frame that tells the story
    best, the first refusal or failure). ``capture``, the run's pcap bytes
    (:func:`xcon_teach.capture.pcap.pcap_bytes`) or a function that makes them (called only once the
    storyboard is known to fit, so a long run is refused before its capture is made), adds a
    "Download capture" link to an HTML page.
    Returns the path written.
    """
    out = check_output(path)
    suffix = out.suffix.lower()
    frames = storyboard(trace)
    if frame is not None:
        _frame_index(frame, len(frames), trace, "--frame")
    if not (math.isfinite(seconds_per_frame) and 0 < seconds_per_frame <= MAX_SECONDS_PER_FRAME):
        raise UsageError(
            f"--seconds-per-frame: must be a number of seconds above 0 and at most {MAX_SECONDS_PER_FRAME:g} "
            f"(got {seconds_per_frame})"
        )
    pages = sum(f.hop is None for f in frames)
    if suffix in (".gif", ".html") and len(frames) > MAX_FRAMES:
        raise UsageError(
            f"-o: this storyboard has {len(frames)} frames, more than the {MAX_FRAMES} {'an HTML page' if suffix == '.html' else 'a GIF'} "
            f"holds; give a smaller --until, or export a .pdf (up to {MAX_PAGES} pages) or one frame as .png"
        )
    if suffix == ".pdf" and pages > MAX_PAGES:
        raise UsageError(
            f"-o: this storyboard has {pages} key frames, more than the {MAX_PAGES} pages a PDF deck holds; "
            "give a smaller --until, or export one frame as .png"
        )
    from .picture import Picture

    if suffix == ".png":
        write_whole(out, still(trace, frame), "-o")
        return out
    picture = Picture(trace.scenario)
    if suffix == ".pdf":
        deck = io.BytesIO()
        _pdf(picture, storyboard_portrayals(trace, hops=False), deck)
        write_whole(out, deck.getvalue(), "-o")
        return out
    portrayals = storyboard_portrayals(trace)
    images = [_image(picture, p) for p in portrayals]
    indexed = _one_palette(images)
    if suffix == ".gif":
        buffer = io.BytesIO()
        indexed[0].save(
            buffer,
            format="gif",
            save_all=True,
            append_images=indexed[1:],
            duration=round(seconds_per_frame * 1000),
            loop=0,
            optimize=False,
        )
        write_whole(out, buffer.getvalue(), "-o")
    else:
        page = _html_page(trace, portrayals, indexed, seconds_per_frame, capture() if callable(capture) else capture, out.stem)
        write_whole(out, page.encode("utf-8"), "-o")
    return out


def _image(picture: Picture, p: Portrayal) -> PILImage.Image:
    from PIL import Image

    picture.show(p)
    picture.render()
    width, height = picture.canvas.get_width_height()
    return Image.frombuffer("RGBA", (width, height), picture.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")


def _one_palette(images: list[PILImage.Image]) -> list[PILImage.Image]:
    """Every frame mapped onto one palette: the most frequent colours of all frames, with every
    Okabe-Ito colour in it exactly, so the legend and the statuses keep their colours frame to frame."""
    from PIL import Image

    counts: dict[tuple[int, int, int], int] = {}
    for image in images:
        small = image.reduce(2)
        for n, colour in small.getcolors(maxcolors=1 << 22) or ():
            rgb = (int(colour[0]), int(colour[1]), int(colour[2]))  # type: ignore[index]
            counts[rgb] = counts.get(rgb, 0) + n
    from .picture import ACTIVE_FILL, GREY, HOST_FILL, LINK, QUERY, SITE_FILL, VIP_FILL

    named = [*OKABE_ITO.values(), *TEXT.values(), GREY, LINK, QUERY, SITE_FILL, HOST_FILL, VIP_FILL, ACTIVE_FILL]
    fixed = [tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in named]
    fixed += [(255, 255, 255), (0, 0, 0)]
    common = sorted(counts, key=lambda c: (-counts[c], c))
    chosen = list(dict.fromkeys([*fixed, *common]))[:256]
    chosen += [(0, 0, 0)] * (256 - len(chosen))
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for colour in chosen for v in colour])
    return [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]


def _png(image: PILImage.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def _pdf(picture: Picture, portrayals: list[Portrayal], out: Path | io.BytesIO) -> None:
    """One key frame a page: the full picture (16:9) with its narration, as vector graphics and real text."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    from .picture import RC

    picture.full_draw_mode()
    with rc_context(RC), PdfPages(out, metadata={"Creator": "xcon_teach", "Producer": "xcon_teach", "CreationDate": None}) as pdf:
        for p in portrayals:
            picture.show(p)
            pdf.savefig(picture.fig)
            info = pdf.infodict()
            info["Title"] = f"{picture.scenario.title}"
            info["Subject"] = "One key frame a page; each page's narration is its text."


_PLAYER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 0; padding: 4px 8px; color: #111; background: #fff; }}
main {{ max-width: {width}px; margin: 0 auto; }}
h1 {{ font-size: 16px; margin: 0 0 4px; }}
figure {{ margin: 0; }}
img {{ max-width: 100%; max-height: calc(100vh - 84px); width: auto; height: auto; display: block; margin: 0 auto; border: 1px solid #999; }}
figcaption {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }}
.controls {{ display: flex; flex-wrap: nowrap; gap: 6px; align-items: center; font-size: 16px; margin-top: 4px; }}
button {{ font-size: 18px; min-width: 48px; min-height: 40px; border: 1px solid #555; border-radius: 6px; background: #f4f4f4; color: #111; }}
button:focus-visible, input:focus-visible {{ outline: 3px solid #0072B2; outline-offset: 2px; }}
input[type=range] {{ flex: 1 1 240px; min-height: 32px; }}
</style></head>
<body><main>
<h1>{title}</h1>
<figure>
<img id="frame" src="{first}" alt="{first_alt}" width="{width}" height="{height}">
<figcaption id="caption" aria-live="polite">{first_alt}</figcaption>
</figure>
<div class="controls" role="group" aria-label="Playback">
<button type="button" id="first" aria-label="First frame">|&#x25C0;</button>
<button type="button" id="back" aria-label="Previous frame">&#x25C0;</button>
<button type="button" id="play" aria-label="Play" aria-pressed="false">&#x25B6; Play</button>
<button type="button" id="next" aria-label="Next frame">&#x25B6;</button>
<button type="button" id="last" aria-label="Last frame">&#x25B6;|</button>
<label for="slider">Frame</label>
<input type="range" id="slider" min="1" max="{count}" value="1" aria-valuetext="frame 1 of {count}">
<span id="position">frame 1 of {count}</span>
</div>
{download}
</main>
<script>
const frames = {frames};
const alts = {alts};
const interval = {interval};
let k = 0, timer = null;
const img = document.getElementById("frame"), caption = document.getElementById("caption");
const slider = document.getElementById("slider"), position = document.getElementById("position");
const play = document.getElementById("play");
function show(i) {{
  k = (i + frames.length) % frames.length;
  img.src = frames[k]; img.alt = alts[k]; caption.textContent = alts[k];
  slider.value = k + 1;
  const where = "frame " + (k + 1) + " of " + frames.length;
  slider.setAttribute("aria-valuetext", where); position.textContent = where;
}}
function stop() {{ clearInterval(timer); timer = null; play.innerHTML = "&#x25B6; Play"; play.setAttribute("aria-label", "Play"); play.setAttribute("aria-pressed", "false"); }}
play.addEventListener("click", () => {{
  if (timer) {{ stop(); return; }}
  timer = setInterval(() => show(k + 1), interval);
  play.innerHTML = "&#x275A;&#x275A; Pause"; play.setAttribute("aria-label", "Pause"); play.setAttribute("aria-pressed", "true");
}});
document.getElementById("first").addEventListener("click", () => {{ stop(); show(0); }});
document.getElementById("last").addEventListener("click", () => {{ stop(); show(frames.length - 1); }});
document.getElementById("back").addEventListener("click", () => {{ stop(); show(k - 1); }});
document.getElementById("next").addEventListener("click", () => {{ stop(); show(k + 1); }});
slider.addEventListener("input", () => {{ stop(); show(Number(slider.value) - 1); }});
</script>
</body></html>
"""


def _html_page(
    trace: Trace,
    portrayals: list[Portrayal],
    images: list[Any],
    seconds_per_frame: float,
    capture: bytes | None = None,
    stem: str = "capture",
) -> str:
    """A page that plays the storyboard with nothing from the network: frames embedded, buttons as text,
    and with ``capture`` a link that saves the run's packets as a .pcap for Wireshark."""
    download = ""
    if capture is not None:
        uri = "data:application/vnd.tcpdump.pcap;base64," + base64.b64encode(capture).decode("ascii")
        download = (
            f'<p style="font-size:16px;margin:6px 0"><a href="{uri}" download="{html.escape(stem, quote=True)}.pcap">'
            f"Download capture</a> ({len(capture) // 1024 + 1} KB, .pcap: every packet of the run, for Wireshark or tshark)</p>"
        )
    uris = ["data:image/png;base64," + base64.b64encode(_png(image)).decode("ascii") for image in images]
    alts = [f"Frame {k + 1} of {len(portrayals)}. {p.alt_text}" for k, p in enumerate(portrayals)]
    width, height = images[0].size
    return _PLAYER.format(
        title=html.escape(trace.scenario.title),
        first=uris[0],
        first_alt=html.escape(alts[0], quote=True),
        width=width,
        height=height,
        count=len(uris),
        frames=json.dumps(uris),
        alts=json.dumps(alts),
        interval=round(seconds_per_frame * 1000),
        download=download,
    )
