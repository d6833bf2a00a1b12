"""The classroom lab: ipywidgets that change the scenario, drawn with the picture of :mod:`xcon_teach.draw`.

Importing this package loads ipywidgets and matplotlib; ``import xcon_teach`` does not.
"""

from .widget import Lab

__all__ = ["Lab"]
