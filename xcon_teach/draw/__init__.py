"""Drawing: turn trace steps into pictures (matplotlib, networkx for the graph and its layout).

Importing ``xcon_teach.draw`` is cheap; matplotlib loads when a :class:`Picture` is made. The
pure parts (layout rules aside) live in :mod:`.portrayal` and :mod:`.storyboard`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .portrayal import OKABE_ITO, STATUS, Portrayal, TraceView, portray
from .storyboard import Frame, key_frame, storyboard

if TYPE_CHECKING:
    from .export import export, still
    from .picture import Picture

__all__ = [
    "OKABE_ITO",
    "STATUS",
    "Frame",
    "Picture",
    "Portrayal",
    "TraceView",
    "export",
    "key_frame",
    "portray",
    "still",
    "storyboard",
]


def __getattr__(name: str) -> Any:
    # matplotlib loads only when a picture is actually made.
    if name == "Picture":
        from .picture import Picture

        return Picture
    if name == "still":
        # (importlib, not "from . import export": that name is also the submodule's)
        return importlib.import_module(f"{__name__}.export").still
    raise AttributeError(f"module 'xcon_teach.draw' has no attribute {name!r}")
