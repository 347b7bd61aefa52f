"""Which problems each route can answer with, read from the code (never listed by hand).

A route's own problems are found by following its handler through the calls it makes: from the
decorated function in `functions/<name>/handler.py` into every function, module-level constant and
imported name it uses under `functions/`, collecting each problem it can raise:

- `Problem(<status>, "<slug>", ...)` with a literal (or `functions.shared.errors` constant) status;
- any other call whose arguments start with a literal 4xx/5xx status and a slug (`_link_problem(410, "...")`);
- the shared constructors (`invalid_fields`, `rate_limited`, `service_unavailable`, `session_ended`).

Calls are followed by name only (no type inference): a problem raised inside a method of a class is
not seen. What the edge answers for every route (request validation, malformed bodies, the
authorizer, the gateway) is added by openapi/generate.py from the route table.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTTP_VERBS = {"get", "post", "put", "patch", "delete"}
Found = frozenset[tuple[int, str]]  # (status, problem type slug)

# The shared constructors of functions/shared/errors.py and the problem each one makes.
CONSTRUCTORS: dict[str, tuple[int, str]] = {
    "invalid_fields": (422, "validation"),
    "rate_limited": (429, "rate-limited"),
    "service_unavailable": (503, "service-unavailable"),
    "session_ended": (401, "unauthenticated"),
}


# The HTTP edge (functions/shared/http.py): what it answers for every route is added by the generator
# from the route, so the resolver factory behind each handler's `app` is not followed.
EDGE = {("functions.shared.http", "make_resolver"), ("functions.shared.http", "make_handler")}


def _status_constants() -> dict[str, int]:
    from functions.shared import errors

    return {name: value for name, value in vars(errors).items() if name.isupper() and isinstance(value, int)}


@dataclass
class _Module:
    name: str
    functions: dict[str, ast.AST] = field(default_factory=dict)  # top-level defs and classes
    constants: dict[str, ast.AST] = field(default_factory=dict)  # top-level NAME = <expr>
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # alias -> (module, attr)


@cache
def _module(name: str) -> _Module | None:
    if not name.startswith("functions."):
        return None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    module = _Module(name)
    package = name if spec.origin.endswith("__init__.py") else name.rsplit(".", 1)[0]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.functions[node.name] = node  # a class: any of its methods may run (records.RecordKind)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    module.constants[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            module.constants[node.target.id] = node.value
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            for alias in node.names:
                module.imports[alias.asname or alias.name] = (base, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module.imports[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
    return module


def _resolve(module: _Module, name: str) -> tuple[str, str] | None:
    """(module, attribute) that `name` refers to in `module`, or None outside functions/."""
    if name in module.functions or name in module.constants:
        return module.name, name
    if name in module.imports:
        target, attr = module.imports[name]
        if attr is None:
            return None
        if not target.startswith("functions") or _is_module(f"{target}.{attr}"):
            return None  # outside the portal, or a module (`from functions.shared import access`)
        return target, attr
    return None


def _submodule(module: _Module, name: str) -> str | None:
    """The module an alias names (`from functions.shared import access`, `import functions.x as y`)."""
    if name not in module.imports:
        return None
    target, attr = module.imports[name]
    if attr is None:
        return target
    full = f"{target}.{attr}"
    return full if full.startswith("functions.") and _is_module(full) else None


@cache
def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _literal_problem(call: ast.Call, statuses: dict[str, int]) -> tuple[int, str] | None:
    if len(call.args) < 2:
        return None
    first, second = call.args[0], call.args[1]
    status = first.value if isinstance(first, ast.Constant) else (
        statuses.get(first.id) if isinstance(first, ast.Name) else None)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599 \
            and isinstance(second, ast.Constant) and isinstance(second.value, str):
        return status, second.value
    return None


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def problems_of(module_name: str, attr: str, _seen: set[tuple[str, str]] | None = None) -> set[tuple[int, str]]:
    """Every problem that `module_name.attr` (a function or a constant) can raise, following calls."""
    seen = _seen if _seen is not None else set()
    if (module_name, attr) in seen or (module_name, attr) in EDGE:
        return set()
    seen.add((module_name, attr))
    module = _module(module_name)
    if module is None:
        return set()
    node = module.functions.get(attr) or module.constants.get(attr)
    if node is None:
        return set()
    statuses = _status_constants()
    found: set[tuple[int, str]] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            literal = _literal_problem(child, statuses)
            if literal:
                found.add(literal)
            callee = _callee_name(child)
            if callee in CONSTRUCTORS:
                found.add(CONSTRUCTORS[callee])
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            target = _resolve(module, child.id)
            if target:
                found |= problems_of(*target, seen)
        elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            sub = _submodule(module, child.value.id)
            if sub:
                found |= problems_of(sub, child.attr, seen)
    return found


def _route_path(decorator: ast.expr) -> tuple[str, str] | None:
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in HTTP_VERBS and decorator.args
            and isinstance(decorator.args[0], ast.Constant) and isinstance(decorator.args[0].value, str)):
        return None
    return decorator.func.attr.upper(), decorator.args[0].value


@dataclass(frozen=True)
class RouteCode:
    problems: Found
    sets_cookies: bool  # the handler answers with `cookies=` (Set-Cookie)


def route_code(function: str) -> dict[tuple[str, str], RouteCode]:
    """(METHOD, resolver path) -> what the code of each route of `functions.<function>.handler` does."""
    name = f"functions.{function}.handler"
    module = _module(name)
    if module is None:
        return {}
    routes: dict[tuple[str, str], RouteCode] = {}
    for fname, node in module.functions.items():
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for decorator in node.decorator_list:
            route = _route_path(decorator)
            if route is None:
                continue
            problems = problems_of(name, fname, set())
            cookies = _sets_cookies(module, node, set())
            routes[route] = RouteCode(frozenset(problems), cookies)
    return routes


def _sets_cookies(module: _Module, node: ast.AST, seen: set[str]) -> bool:
    """Whether the handler (or a helper of the same module it calls) answers with cookies."""
    for child in ast.walk(node):
        if isinstance(child, ast.keyword) and child.arg == "cookies":
            return True
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) \
                and child.func.id in module.functions and child.func.id not in seen:
            seen.add(child.func.id)
            if _sets_cookies(module, module.functions[child.func.id], seen):
                return True
    return False
