"""The package's layers import one way: scenario < sim < draw, live, challenges < lab < lessons.

Data flows from a scenario to a trace to a picture to widgets to notebooks (DESIGN.md); a module
may import its own layer and the layers below it, never one above (imports inside functions
count too), and the three layers that stand side by side (drawing, the live lab, the
challenges) do not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xcon_teach"

LAYERS = {
    "xcon_teach.errors": 0,
    "xcon_teach.text": 0,
    "xcon_teach.sources": 0,
    "xcon_teach.rfc1006": 0,
    "xcon_teach.files": 0,
    "xcon_teach.scenario": 1,
    "xcon_teach.sim": 2,
    "xcon_teach.draw": 3,
    "xcon_teach.live": 3,
    "xcon_teach.challenges": 3,
    "xcon_teach.capture": 3,
    "xcon_teach.lab": 4,
    "xcon_teach.lessons": 5,
    "xcon_teach.classroom": 5,
    "xcon_teach.__init__": 6,
    "xcon_teach.__main__": 6,
    "xcon_teach._start": 6,
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 2 else parts)


def _area(module: str) -> str:
    """The entry of LAYERS a module belongs to (``xcon_teach`` itself is ``xcon_teach.__init__``)."""
    if module == "xcon_teach":
        return "xcon_teach.__init__"
    return next(a for a in sorted(LAYERS, key=len, reverse=True) if module == a or module.startswith(a + "."))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import of a xcon_teach module in ``path``."""
    here = _module(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            out += [(node.lineno, n if _is_module(n) else target) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(line, m) for line, m in out if m == "xcon_teach" or m.startswith("xcon_teach.")]


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel / "__init__.py").exists()


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_nothing_imports_a_layer_above_its_own(path: Path) -> None:
    mine = _area(_module(path))
    for line, target in _imports(path):
        theirs = _area(target)
        assert LAYERS[theirs] <= LAYERS[mine], (
            f"{path.name}:{line}: {mine} (layer {LAYERS[mine]}) imports {target} (layer {LAYERS[theirs]})"
        )
        if LAYERS[theirs] == LAYERS[mine] == 3:
            assert theirs == mine, f"{path.name}:{line}: {mine} imports its neighbour {target}"


def test_every_module_has_a_layer() -> None:
    assert all(_area(_module(p)) for p in SOURCES)
    assert {_area(_module(p)) for p in SOURCES} == set(LAYERS)
