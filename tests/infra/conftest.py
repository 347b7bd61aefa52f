"""Infra tests synthesize with bundling skipped: no pip, no Docker, no network."""

import os

# jsii prints a Node end-of-life banner on every start unless told the version is known.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

NO_BUNDLING = {"aws:cdk:bundling-stacks": []}
