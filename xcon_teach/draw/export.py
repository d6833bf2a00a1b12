"""Export a trace for slides: the storyboard as a GIF or a self-contained HTML page, or one frame as PNG.

GIF and HTML use matplotlib's animation writers (Pillow for GIF, the HTML writer with the frames
embedded); the PNG is the canvas encoded without metadata, so one frame always gives the same
bytes.
"""

from __future__ import annotations

import base64
import io
import math
import os
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..sim import Trace
from .portrayal import Portrayal, TraceView, portray
from .storyboard import key_frame, storyboard

__all__ = ["FORMATS", "export", "still", "storyboard_portrayals"]

FORMATS = (".gif", ".html", ".png")
DEFAULT_SECONDS_PER_FRAME = 2.5
"""Long enough to read a frame's narration aloud."""


def storyboard_portrayals(trace: Trace) -> list[Portrayal]:
    """A portrayal per storyboard frame, with the frame's caption and position filled in."""
    view = TraceView(trace)
    frames = storyboard(trace)
    return [portray(view, f.step, caption=f.caption, frame=k, frames=len(frames)) for k, f in enumerate(frames)]


def still(trace: Trace, frame: int | None = None) -> bytes:
    """One storyboard frame as PNG bytes (default: the frame that tells the story best).

    For notebooks: ``IPython.display.Image(still(trace))``.
    """
    portrayals = storyboard_portrayals(trace)
    k = frame if frame is not None else key_frame(storyboard(trace), trace)
    if not 0 <= k < len(portrayals):
        raise UsageError(f"frame: must be between 0 and {len(portrayals) - 1} for this storyboard (got {k})")
    from .picture import Picture

    return Picture(trace.scenario).frame_png(portrayals[k])


def check_output(path: str | os.PathLike[str]) -> Path:
    """The output path, or a UsageError naming what is wrong with it (before any work is done)."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"-o: cannot write {suffix or 'a file without an extension'}; use .gif, .html or .png (got {str(path)!r})"
        )
    if out.is_dir():
        raise UsageError(f"-o: is a folder, not a file (got {str(path)!r})")
    parent = out.parent
    if not parent.is_dir():
        raise UsageError(f"-o: the folder {str(parent)!r} does not exist (got {str(path)!r})")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"-o: the folder {str(parent)!r} is not writable (got {str(path)!r})")
    return out


def export(
    trace: Trace, path: str | os.PathLike[str], *, frame: int | None = None, seconds_per_frame: float = DEFAULT_SECONDS_PER_FRAME
) -> Path:
    """Write ``trace`` to ``path``: a GIF or HTML animation of its storyboard, or one frame as PNG.

    ``frame`` picks the storyboard frame of a PNG (default: the frame that tells the story best,
    the first refusal or failure). Returns the path written.
    """
    out = check_output(path)
    portrayals = storyboard_portrayals(trace)
    if frame is not None and not 0 <= frame < len(portrayals):
        raise UsageError(f"--frame: must be between 0 and {len(portrayals) - 1} for this storyboard (got {frame})")
    if not (math.isfinite(seconds_per_frame) and seconds_per_frame > 0):
        raise UsageError(f"--seconds-per-frame: must be a positive number of seconds (got {seconds_per_frame})")
    from .picture import Picture

    if out.suffix.lower() == ".png":
        out.write_bytes(still(trace, frame))
        return out
    _animate(Picture(trace.scenario), portrayals, out, seconds_per_frame)
    return out


def _compact_png(rgba: bytes, size: tuple[int, int]) -> bytes:
    """A frame as a 256-colour PNG: these flat pictures lose nothing visible and shrink about threefold."""
    from PIL import Image

    image = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, format="png", optimize=True)
    return out.getvalue()


def _animate(picture: object, portrayals: list[Portrayal], out: Path, seconds_per_frame: float) -> None:
    from matplotlib import rc_context
    from matplotlib.animation import FuncAnimation, HTMLWriter, PillowWriter

    from .picture import RC, Picture

    assert isinstance(picture, Picture)
    picture.full_draw_mode()

    def update(k: int) -> None:
        picture.show(portrayals[k])

    fps = 1.0 / seconds_per_frame
    anim = FuncAnimation(
        picture.fig, update, frames=len(portrayals), interval=seconds_per_frame * 1000, repeat=True, cache_frame_data=False
    )
    writer: PillowWriter | HTMLWriter
    if out.suffix.lower() == ".gif":
        writer = PillowWriter(fps=fps)  # type: ignore[arg-type]  # a float works; the stub says int
    else:
        writer = _html_writer_class()(fps=fps, embed_frames=True, default_mode="loop")
    with rc_context(RC):
        anim.save(str(out), writer=writer, dpi=picture.fig.dpi)


def _html_writer_class() -> Any:
    from matplotlib.animation import HTMLWriter

    class CompactHTMLWriter(HTMLWriter):
        """matplotlib's HTML writer, embedding each frame as a 256-colour PNG (keeps the page small)."""

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            buffer = io.BytesIO()
            self.fig.savefig(buffer, format="rgba", dpi=self.dpi)
            size = (int(self.fig.bbox.width), int(self.fig.bbox.height))
            data = _compact_png(buffer.getvalue(), size)
            self._saved_frames.append(base64.encodebytes(data).decode("ascii"))  # type: ignore[attr-defined]

    return CompactHTMLWriter
