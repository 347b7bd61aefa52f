"""Reading synthesized CloudFormation templates: resources by type, references, statements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.app import build_app
from infra.stack import PortalStack

NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


@dataclass
class Synth:
    app: cdk.App
    stacks: list[PortalStack]
    outdir: Path

    @property
    def stack(self) -> PortalStack:
        assert len(self.stacks) == 1
        return self.stacks[0]

    def asset_dir(self, code: dict[str, Any], stack: PortalStack | None = None) -> Path:
        """The staged directory of a Lambda's or layer's code asset (by the hash in its S3 key)."""
        return self.asset_path(code["S3Key"], stack)

    def asset_path(self, s3_key: str, stack: PortalStack | None = None) -> Path:
        """The staged file or directory of an asset, from its S3 key ('<hash>.zip', '<hash>.json')."""
        stack = stack or self.stack
        manifest = json.loads((self.outdir / f"{stack.artifact_id}.assets.json").read_text())
        asset_hash = s3_key.split(".", 1)[0]
        return self.outdir / manifest["files"][asset_hash]["source"]["path"]

    def template(self, stack: PortalStack | None = None) -> dict[str, Any]:
        """The stack's template with its nested stacks' resources merged in, their parameters replaced by
        what the stack passes: assertions see one template, as if nothing were nested."""
        stack = stack or self.stack
        template = json.loads((self.outdir / f"{stack.artifact_id}.template.json").read_text())
        for nested in self.nested_stacks(stack):
            resource = template["Resources"][stack.resolve(nested.nested_stack_resource.logical_id)]
            passed = resource["Properties"].get("Parameters", {})
            inner = json.loads((self.outdir / nested.template_file).read_text())["Resources"]
            assert not set(inner) & set(template["Resources"]), "a logical id in both stacks"
            template["Resources"].update(_passing(inner, passed))
        return template

    def own_templates(self, stack: PortalStack | None = None) -> list[dict[str, Any]]:
        """The stack's template and each nested stack's, as CloudFormation deploys them (one stack each)."""
        stack = stack or self.stack
        return [json.loads((self.outdir / name).read_text()) for name in
                (f"{stack.artifact_id}.template.json", *(n.template_file for n in self.nested_stacks(stack)))]

    @staticmethod
    def nested_stacks(stack: PortalStack) -> list[cdk.NestedStack]:
        return [c for c in stack.node.find_all() if isinstance(c, cdk.NestedStack)]


def _passing(value: Any, parameters: dict[str, Any]) -> Any:
    """`value` with each {"Ref": parameter} replaced by the value passed for it."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        return {key: _passing(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [_passing(item, parameters) for item in value]
    return value


def synth(outdir: Path, **context: Any) -> Synth:
    """Build the real app (nag plugins included) and synthesize it; raises on any nag finding.

    CDK's built-in CloudFormation rules are skipped for speed; test_cfn_lint_is_clean covers templates.
    """
    app = build_app({**NO_BUNDLING, **context}, outdir=str(outdir), cfn_validation=False)
    app.synth()
    stacks = [child for child in app.node.children if isinstance(child, PortalStack)]
    return Synth(app, stacks, outdir)


def deployed_files(synthed: Synth, template: dict[str, Any], stack: PortalStack | None = None) -> dict[str, bytes]:
    """Every object the stack's BucketDeployment puts in the pages bucket: key -> content (staged assets)."""
    import zipfile

    (deployment,) = resources(template, "Custom::CDKBucketDeployment").values()
    files: dict[str, bytes] = {}
    for key in deployment["Properties"]["SourceObjectKeys"]:
        source = synthed.asset_path(key, stack)
        if source.is_dir():
            files.update({p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()})
        else:
            with zipfile.ZipFile(source) as archive:
                files.update({name: archive.read(name) for name in archive.namelist() if not name.endswith("/")})
    return files


def logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def refs(value: Any) -> Iterator[str]:
    """Every logical id a value refers to (Ref, Fn::GetAtt), however deeply nested."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def policy_statements(template: dict[str, Any], policy_id: str) -> list[dict[str, Any]]:
    return list(template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """All statements of the IAM policies (inline resources and managed) attached to one role."""
    statements: list[dict[str, Any]] = []
    for policy in template["Resources"].values():
        if policy["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return [value] if isinstance(value, str) else list(value)


def resource_path(template: dict[str, Any], resource_id: str | None) -> str:
    """The full path of an API Gateway resource ('/' for the root)."""
    parts: list[str] = []
    resources_ = template["Resources"]
    while resource_id and resource_id in resources_ and resources_[resource_id]["Type"] == "AWS::ApiGateway::Resource":
        props = resources_[resource_id]["Properties"]
        parts.append(props["PathPart"])
        parent = props["ParentId"]
        resource_id = parent.get("Ref") if isinstance(parent, dict) and "Ref" in parent else None
    return "/" + "/".join(reversed(parts))
