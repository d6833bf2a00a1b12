"""Helpers the lesson notebooks call: each turns a run into a small piece of text a notebook prints.

:mod:`.attempts` reads one attempt of a run (every lesson), :mod:`.basics` serves notebooks 01 to
03, :mod:`.fixes` notebooks 04 to 06, :mod:`.today` notebook 07. None of them holds a rule: the
rules are in :mod:`xcon_teach.sim`, and these only select and lay out what a run produced.
"""
