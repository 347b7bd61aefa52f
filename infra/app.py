"""The CDK app: `python -m infra.app [-c key=value ...]` synthesizes one stack per selected stage.

`cdk.App` reads cdk.json only when the CDK CLI runs it; run as a module, the app loads cdk.json's
context itself, then applies `-c/--context key=value` arguments on top (values are JSON when they
parse as JSON, strings otherwise).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra import checkov, nag
from infra.config import stages_from_context
from infra.stack import PortalStack

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads(CDK_JSON.read_text())["context"])


def parse_context_args(argv: Sequence[str]) -> dict[str, Any]:
    """`-c a=1 --context b=x --context=c=[]` -> {'a': 1, 'b': 'x', 'c': []}."""
    context: dict[str, Any] = {}
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-c", "--context"):
            if i + 1 >= len(args):
                raise SystemExit(f"{arg} needs a key=value argument")
            item, i = args[i + 1], i + 2
        elif arg.startswith("--context="):
            item, i = arg.removeprefix("--context="), i + 1
        else:
            raise SystemExit(f"unknown argument {arg!r}; usage: python -m infra.app [-c key=value ...]")
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"context argument {item!r} is not key=value")
        try:
            context[key] = json.loads(value)
        except json.JSONDecodeError:
            context[key] = value
    return context


def build_app(
    overrides: Mapping[str, Any] | None = None, *, outdir: str = "cdk.out", cfn_validation: bool = True
) -> cdk.App:
    """The app with one PortalStack per selected stage, checked by cdk-nag when synthesized.

    `overrides` win over the CLI's context (CDK_CONTEXT_JSON), which wins over cdk.json.
    `cfn_validation=False` skips CDK's built-in CloudFormation rules (~9 s of a first synth); tests
    do so and run cfn-lint on the templates instead.
    """
    app = cdk.App(
        context=cdk_json_context(),
        post_cli_context=dict(overrides or {}),
        outdir=outdir,
        builtin_cloud_formation_validation=cfn_validation,
    )
    context = {key: app.node.try_get_context(key) for key in ("stages", "stage", "plan")}
    for config in stages_from_context(context):
        stack = PortalStack(app, config)
        nag.acknowledge(stack)
        checkov.mark(stack)
    nag.add_checks(app)
    return app


def main(argv: Sequence[str]) -> None:
    # The CDK CLI tells the app where it wants the cloud assembly; run as a module, cdk.out.
    build_app(parse_context_args(argv), outdir=os.environ.get("CDK_OUTDIR") or "cdk.out").synth()


if __name__ == "__main__":
    main(sys.argv[1:])
