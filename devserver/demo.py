"""Demo data loaded when the devserver starts (provider roster, members, claims, ...).

Each loader gets the environment and a boto3 session bound to the embedded AWS. Loaders never
create accounts with passwords: people register through the pages like real users.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Loader = Callable[[Mapping[str, str], Any], None]


def _demo_roster(env: Mapping[str, str], session: Any) -> None:
    from devserver.roster import demo_roster

    demo_roster(env, session)


def _demo_portal_data(env: Mapping[str, str], session: Any) -> None:
    from devserver.load import demo_portal_data
    from functions.shared import clock

    demo_portal_data(env, session, clock.now().date())


LOADERS: list[Loader] = [_demo_roster, _demo_portal_data]


def load(env: Mapping[str, str], session: Any, loaders: list[Loader] | None = None) -> list[str]:
    """Run every loader in order; returns their names for the start-up banner."""
    done = []
    for loader in LOADERS if loaders is None else loaders:
        loader(env, session)
        done.append(getattr(loader, "__name__", repr(loader)))
    return done
