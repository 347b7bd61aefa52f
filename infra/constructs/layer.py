"""The dependency layer: requirements/runtime.txt (pinned by constraints.txt) as Linux wheels.

Bundling runs pip locally (no Docker): pip downloads wheels for the Lambda platform, never builds
from source, and installs them under `python/` as Lambda layers expect. botocore's models are then
cut down to the services the functions call (see `services_called`).
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "requirements"
FUNCTIONS_ROOT = REPO_ROOT / "functions"
# PynamoDB makes its DynamoDB client from the shared botocore session, not through `client(...)`.
SERVICES_CALLED_INDIRECTLY = frozenset({"dynamodb"})
RUNTIME = lambda_.Runtime.PYTHON_3_12
PYTHON_VERSION = "3.12"
# One architecture for the layer and every function: the wheels must match the CPU they run on.
ARCHITECTURE = lambda_.Architecture.ARM_64
PIP_ARCH = {"arm64": "aarch64", "x86_64": "x86_64"}[ARCHITECTURE.name]
PIP_PLATFORM = f"manylinux2014_{PIP_ARCH}"
# The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34). pip does not widen a manylinux_2_x
# tag to older glibc versions, so every compatible tag is listed (some wheels ship manylinux_2_28 only).
LAMBDA_GLIBC_MINOR = 34
PIP_PLATFORMS = (
    *(f"manylinux_2_{minor}_{PIP_ARCH}" for minor in range(LAMBDA_GLIBC_MINOR, 17, -1)),
    PIP_PLATFORM,  # = manylinux_2_17, and the older manylinux aliases
)


def pip_install_command(target: str, requirements: str = "runtime.txt", *, with_deps: bool = True) -> list[str]:
    """The pip invocation that fills a layer directory with wheels for the Lambda platform."""
    return [
        sys.executable, "-m", "pip", "install",
        "--target", target,
        *(arg for platform in PIP_PLATFORMS for arg in ("--platform", platform)),
        "--implementation", "cp",
        "--python-version", PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",  # the host's bytecode would not match the Lambda interpreter
        "--disable-pip-version-check",
        "--no-input",
        *([] if with_deps else ["--no-deps"]),
        "-r", str(REQUIREMENTS / requirements),
        "-c", str(REQUIREMENTS / "constraints.txt"),
    ]


def services_called(root: Path = FUNCTIONS_ROOT) -> frozenset[str]:
    """Every AWS service the functions name in `client("<service>")` (functions/shared/core/aws.py makes
    every client), plus the ones libraries call on their own."""
    services = set(SERVICES_CALLED_INDIRECTLY)
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "client"):
                services.add(node.args[0].value)
    return frozenset(services)


def prune_botocore_models(site: Path, keep: Iterable[str]) -> None:
    """Drop the models of services no function calls: botocore ships ~400 of them (about 16 MB of the
    zipped layer). The files beside them (endpoints, partitions, retry and default settings) stay."""
    models = site / "botocore" / "data"
    kept = set(keep)
    missing = kept - {entry.name for entry in models.iterdir() if entry.is_dir()}
    if missing:
        raise RuntimeError(f"botocore has no model for {sorted(missing)}: check the client names in functions/")
    for entry in models.iterdir():
        if entry.is_dir() and entry.name not in kept:
            shutil.rmtree(entry)


@jsii.implements(cdk.ILocalBundling)
class PipLayerBundler:
    """Local bundling with pip; raises on failure so that CDK never falls back to Docker."""

    def __init__(self, requirements: str = "runtime.txt", *, with_deps: bool = True) -> None:
        self.requirements = requirements
        self.with_deps = with_deps

    def try_bundle(self, output_dir: str, *_options: Any, **_kwargs: Any) -> bool:
        target = str(Path(output_dir) / "python")
        command = pip_install_command(target, self.requirements, with_deps=self.with_deps)
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
        if result.returncode != 0:
            raise RuntimeError(
                f"pip could not build the dependency layer (exit {result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        for unused in ("bin", "share"):  # console scripts and man pages: nothing a function imports
            shutil.rmtree(Path(target) / unused, ignore_errors=True)
        if (Path(target) / "botocore").is_dir():
            prune_botocore_models(Path(target), services_called())
        return True


def layer_asset_hash(requirements: str = "runtime.txt") -> str:
    """Changes when a pin or the target platform changes, not when unrelated files do."""
    digest = hashlib.sha256()
    for name in (requirements, "constraints.txt"):
        digest.update((REQUIREMENTS / name).read_bytes())
    digest.update(f"{' '.join(PIP_PLATFORMS)} cp{PYTHON_VERSION}".encode())
    digest.update(" ".join(sorted(services_called())).encode())  # a newly called service needs its model
    return digest.hexdigest()


class DependencyLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.architecture = ARCHITECTURE
        self.runtime = RUNTIME
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            description="Runtime dependencies of the portal functions (requirements/runtime.txt)",
            code=lambda_.Code.from_asset(
                str(REQUIREMENTS),
                asset_hash=layer_asset_hash(),
                asset_hash_type=cdk.AssetHashType.CUSTOM,
                bundling=cdk.BundlingOptions(
                    image=RUNTIME.bundling_image,  # never used: the local bundler runs or raises
                    local=PipLayerBundler(),
                ),
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
        self._extra: dict[str, lambda_.LayerVersion] = {}

    def layer_for(self, requirements: str) -> lambda_.LayerVersion:
        """A layer of its own for the packages only some functions import (`requirements/<file>`), on top
        of the shared one; built once per file, installed without dependencies (the file lists them all)."""
        if requirements not in self._extra:
            name = requirements.removesuffix(".txt").replace("-", " ").title().replace(" ", "")
            self._extra[requirements] = lambda_.LayerVersion(
                self,
                f"{name}Layer",
                description=f"Packages of requirements/{requirements}, for the functions that import them",
                code=lambda_.Code.from_asset(
                    str(REQUIREMENTS),
                    asset_hash=layer_asset_hash(requirements),
                    asset_hash_type=cdk.AssetHashType.CUSTOM,
                    bundling=cdk.BundlingOptions(image=RUNTIME.bundling_image,
                                                 local=PipLayerBundler(requirements, with_deps=False)),
                ),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
            )
        return self._extra[requirements]
