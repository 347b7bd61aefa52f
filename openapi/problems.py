"""Which problems each route can answer with, read from the code (never listed by hand).

A route's own problems are found by following its handler through the calls it makes: from the
decorated function in `functions/<name>/handler.py` into every function, module-level constant and
imported name it uses under `functions/`, collecting each problem it can raise:

- `Problem(<status>, "<slug>", ...)` with a literal (or `functions.shared.core.errors` constant) status;
- any other call whose arguments start with a literal 4xx/5xx status and a slug (`_link_problem(410, "...")`);
- the shared constructors (`invalid_fields`, `rate_limited`, `service_unavailable`, `session_ended`).

Calls are followed by name only (no type inference), with one exception: a method called on a module
constant made by a portal class (`CLAIM.visible(...)`, `CLAIM = records.RecordKind(...)`) is followed
into that method alone, and `self.<field>` there into the argument the constant was made with. What
the edge answers for every route (request validation, malformed bodies, the
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

# The shared constructors of functions/shared/core/errors.py and the problem each one makes.
CONSTRUCTORS: dict[str, tuple[int, str]] = {
    "invalid_fields": (422, "validation"),
    "rate_limited": (429, "rate-limited"),
    "service_unavailable": (503, "service-unavailable"),
    "session_ended": (401, "unauthenticated"),
}


# The HTTP edge (functions/shared/core/http.py): what it answers for every route is added by the generator
# from the route, so the resolver factory behind each handler's `app` is not followed.
EDGE = {("functions.shared.core.http", "make_resolver"), ("functions.shared.core.http", "make_handler")}


def _status_constants() -> dict[str, int]:
    from functions.shared.core import errors

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
    return _walk(module, node, seen)


# A module constant made by calling a portal class (`CLAIM = records.RecordKind("claim", NOT_FOUND, ...)`):
# (the module that holds it, its name, the call, the class's module, the class).
_Instance = tuple[_Module, str, ast.Call, _Module, ast.ClassDef]


def _walk(module: _Module, node: ast.AST, seen: set[tuple[str, str]],
          instance: _Instance | None = None) -> set[tuple[int, str]]:
    """The problems of one function, method or expression of `module` (`instance`: the object `self` is)."""
    statuses = _status_constants()
    found: set[tuple[int, str]] = set()
    followed: set[int] = set()  # names already followed as the object of a method call
    for child in ast.walk(node):  # breadth first: an attribute comes before the name it is read from
        if isinstance(child, ast.Call):
            literal = _literal_problem(child, statuses)
            if literal:
                found.add(literal)
            callee = _callee_name(child)
            if callee in CONSTRUCTORS:
                found.add(CONSTRUCTORS[callee])
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and id(child) not in followed:
            target = _resolve(module, child.id)
            if target:
                found |= problems_of(*target, seen)
        elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            of = instance if instance is not None and child.value.id == "self" else _instance(module, child.value.id)
            if of is not None:  # `KIND.visible(...)`: that method only, and the arguments it reads
                followed.add(id(child.value))
                found |= _member(of, child.attr, seen)
                continue
            sub = _submodule(module, child.value.id)
            if sub:
                found |= problems_of(sub, child.attr, seen)
    return found


def _instance(module: _Module, name: str) -> _Instance | None:
    target = _resolve(module, name)
    owner = _module(target[0]) if target else None
    call = owner.constants.get(target[1]) if owner and target else None
    if owner is None or target is None or not isinstance(call, ast.Call):
        return None
    func = call.func
    made_by = (_resolve(owner, func.id) if isinstance(func, ast.Name) else
               (sub, func.attr) if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
               and (sub := _submodule(owner, func.value.id)) else None)
    class_module = _module(made_by[0]) if made_by else None
    cls = class_module.functions.get(made_by[1]) if class_module and made_by else None
    return (owner, target[1], call, class_module, cls) if class_module and isinstance(cls, ast.ClassDef) else None


def _member(instance: _Instance, attr: str, seen: set[tuple[str, str]]) -> set[tuple[int, str]]:
    """What reading `attr` of an instance can raise: its method's problems, or those of the argument the
    instance was made with for that field."""
    owner, name, call, class_module, cls = instance
    if (key := (f"{owner.name}.{name}", attr)) in seen:
        return set()
    seen.add(key)
    methods = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}
    if attr in methods:
        return _walk(class_module, methods[attr], seen, instance)
    fields = [n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
    given = next((k.value for k in call.keywords if k.arg == attr), None)
    if given is None and attr in fields and fields.index(attr) < len(call.args):
        given = call.args[fields.index(attr)]
    return _walk(owner, given, seen) if given is not None else set()


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
