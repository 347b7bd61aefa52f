"""The layers stay layers: what each part of the tree may import (lazy imports inside functions count too),
and no import cycle anywhere under functions/."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = sorted(p.name for p in (ROOT / "functions").iterdir() if p.is_dir() and p.name not in {"shared", "__pycache__"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _imports(path: Path) -> frozenset[str]:
    """Every module `path` imports at run time, at the top or inside a function, as absolute dotted names
    (imports for type checkers only do not run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(found)


def _files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _offending(folder: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), name) for p in _files(folder) for name in sorted(_imports(p))
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def _step_prefixes(but: str = "") -> tuple[str, ...]:
    return tuple(f"functions.{step}" for step in STEPS if step != but)


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("functions/shared/core", ("functions.shared.store", "functions.shared.services", *_step_prefixes())),
    ("functions/shared/store", ("functions.shared.services", *_step_prefixes())),
    ("functions/shared/services", _step_prefixes()),
    ("infra", ("devserver", *_step_prefixes())),
    ("openapi", ("devserver.server",)),
])
def test_a_lower_layer_never_imports_a_higher_one(folder, forbidden):
    assert _offending(folder, forbidden) == []


@pytest.mark.parametrize("step", STEPS)
def test_a_step_imports_no_other_step(step):
    assert _offending(f"functions/{step}", _step_prefixes(but=step)) == []


def test_no_import_cycle_under_functions():
    modules = {_module_name(p): p for p in _files("functions")}
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    # a package imports its modules' names through its own __init__: `from functions.shared.store import x`
    # names a module of the package, which is an edge to that module, not to the package
    cycles, state = [], dict.fromkeys(graph, 0)

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state[target] == 1:
                cycles.append([*stack[stack.index(target):], target])
            elif state[target] == 0:
                visit(target, [*stack, target])
        state[node] = 2

    for name in sorted(graph):
        if state[name] == 0:
            visit(name, [name])
    assert cycles == []
