"""In-memory repositories behind the same interfaces as functions/shared/store: rules tested without AWS.

Each module here defines `REPOSITORIES = {"<name>": <class>, ...}` for the repositories it fakes;
`memory_repositories()` builds a fresh set from all of them.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from functions.shared.store import Repositories


def memory_repositories(**overrides: Any) -> Repositories:
    """A fresh, empty in-memory store; a repository not faked here raises instead of reaching AWS."""
    made: dict[str, Any] = {}
    for module in pkgutil.iter_modules(__path__):
        for name, factory in importlib.import_module(f"{__name__}.{module.name}").REPOSITORIES.items():
            made[name] = factory()
    made.update(overrides)
    return Repositories(dynamo_fallback=False, **made)
