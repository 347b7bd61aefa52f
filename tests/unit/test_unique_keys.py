"""The unique-keys table's registry (functions/shared/store/unique_keys.py): one owner per kind of claim."""

import ast
import re
from pathlib import Path

from functions.shared.store import unique_keys
from functions.shared.store.unique_keys import KINDS

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "functions/shared/store"
# Modules that may name a kind besides its owner, and why.
RELEASERS = {"EMAIL": {"lifecycle"}, "USERNAME": {"lifecycle"}}  # an expired registration gives its address back


def _source_files() -> list[Path]:
    return [p for p in (ROOT / "functions").rglob("*.py") if p.name != "unique_keys.py"]


def test_no_prefix_starts_another_and_every_owner_is_a_store_module():
    prefixes = [kind.prefix for kind in KINDS]
    assert len(set(prefixes)) == len(prefixes)
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    assert all(kind.prefix.endswith("#") and (STORE / f"{kind.owner}.py").exists() for kind in KINDS)


def _literals(path: Path) -> set[str]:
    """The string constants of a module, and the literal start of each f-string (docstrings aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    found |= {n.values[0].value for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) and n.values
              and isinstance(n.values[0], ast.Constant)}
    return found


def test_no_module_spells_a_prefix_itself():
    spelled = [(p.relative_to(ROOT).as_posix(), kind.prefix) for p in _source_files() for literal in _literals(p)
               for kind in KINDS if literal.startswith(kind.prefix) and len(literal) < 40]
    assert spelled == []


def test_only_a_kinds_owner_takes_it_from_the_registry():
    names = {name for name, value in vars(unique_keys).items() if isinstance(value, unique_keys.ClaimKind)}
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        imported = re.findall(r"from functions\.shared\.store\.unique_keys import ([\w, ]+)", text)
        for name in {n.strip() for line in imported for n in line.split(",")} & names:
            owner = getattr(unique_keys, name).owner
            allowed = {owner} | RELEASERS.get(name, set())
            assert path.parent == STORE and path.stem in allowed, (path.relative_to(ROOT).as_posix(), name)
