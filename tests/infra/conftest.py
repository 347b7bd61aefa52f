"""Infra tests synthesize with bundling skipped: no pip, no Docker, no network.

The dev stack is synthesized once per test session (with cdk-nag) and shared by the modules that
read its template.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# jsii prints a Node end-of-life banner on every start unless told the version is known.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from tests.infra.helpers import NO_BUNDLING, Synth, synth

__all__ = ["NO_BUNDLING"]


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("cdk.out"), stage="dev")


@pytest.fixture(scope="session")
def template(dev: Synth) -> dict[str, Any]:
    return dev.template()
