"""For running a class: a student release of the notebooks, grading hand-ins, the 50-minute plan.

:mod:`.release` writes the notebooks a class gets (no outputs, no answers, no instructor
material); :mod:`.grade` grades a folder of hand-ins against a challenge into a gradebook;
:mod:`.plan` sizes the lesson's core path and writes the worksheets.
"""
