"""What the layers hold: every package a function imports, and botocore's models for the services called only."""

from __future__ import annotations

import ast
import re
import shutil
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import botocore
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader
from botocore.session import Session
from packaging.requirements import Requirement

from infra.constructs import layer as layer_module
from infra.routes import FUNCTIONS, Function

FUNCTIONS_ROOT = layer_module.FUNCTIONS_ROOT
BOTOCORE_MODELS = Path(botocore.__file__).parent / "data"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _listed(requirements: str) -> set[str]:
    """The package names a requirements file pins (its `-r` includes aside)."""
    lines = (line.split("#")[0].strip() for line in (layer_module.REQUIREMENTS / requirements).read_text().splitlines())
    return {_normalized(re.split(r"[=<>~\[ ]", line)[0]) for line in lines if line and not line.startswith("-")}


def _with_dependencies(names: set[str]) -> set[str]:
    """`names` and what they need at run time (extras aside): what pip installs into the layer."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for line in requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_normalized(requirement.name))
    return found


def _third_party_imports(folder: Path) -> set[str]:
    modules: set[str] = set()
    for source in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "functions"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    found = packages_distributions()
    return {module: {_normalized(d) for d in found.get(module, [])} for module in modules}


def _missing(imports: dict[str, set[str]], shipped: set[str]) -> dict[str, set[str]]:
    return {module: dists for module, dists in imports.items() if not dists & shipped}


def test_the_shared_code_imports_only_what_the_shared_layer_ships() -> None:
    # functions/shared/ is in every function's bundle, so its packages belong in runtime.txt.
    shared = _distributions(_third_party_imports(FUNCTIONS_ROOT / "shared"))
    assert shared, "the scan found no imports"
    assert _missing(shared, _with_dependencies(_listed("runtime.txt"))) == {}


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_each_function_ships_what_it_imports(spec: Function) -> None:
    shipped = _with_dependencies(_listed("runtime.txt")) | (_listed(spec.requirements) if spec.requirements else set())
    own = _distributions(_third_party_imports(FUNCTIONS_ROOT / spec.name))
    assert _missing(own, shipped) == {}
    if spec.requirements:  # a layer of its own only for what the function itself imports
        assert any(dists & _listed(spec.requirements) for dists in own.values())


def test_packages_of_one_function_stay_out_of_the_shared_layer() -> None:
    # Ed25519 push verification is the mfa function's alone: 4.6 MB zipped that no other function needs.
    assert "cryptography" not in _listed("runtime.txt")
    assert "cryptography" in _listed("mfa.txt")


def test_the_services_called_are_found_in_the_code() -> None:
    services = layer_module.services_called()
    # Spot checks against functions/shared: mail queue and delivery, codes, MFA seeds, workflows, files.
    assert {"dynamodb", "sqs", "sesv2", "sns", "kms", "stepfunctions", "s3", "secretsmanager"} <= services
    assert "ec2" not in services


def _site_with_models(tmp_path: Path, services: set[str]) -> Path:
    """A layer's site-packages holding botocore's top-level data files and the given services' models."""
    data = tmp_path / "python" / "botocore" / "data"
    data.mkdir(parents=True)
    for entry in BOTOCORE_MODELS.iterdir():
        if entry.is_file():
            shutil.copy2(entry, data / entry.name)
        elif entry.name in services:
            shutil.copytree(entry, data / entry.name)
    return tmp_path / "python"


def _session(models: Path) -> Session:
    session = Session()
    session.register_component("data_loader", Loader(extra_search_paths=[str(models)],
                                                     include_default_search_paths=False))
    return session


def test_the_pruned_models_make_every_client_the_functions_use(tmp_path: Path) -> None:
    services = set(layer_module.services_called())
    site = _site_with_models(tmp_path, services | {"ec2", "iam"})
    layer_module.prune_botocore_models(site, services)
    models = site / "botocore" / "data"
    assert {entry.name for entry in models.iterdir() if entry.is_dir()} == services
    assert (models / "endpoints.json").is_file() and (models / "partitions.json").is_file()
    session = _session(models)
    for service in sorted(services):
        client = session.create_client(service, region_name="us-east-1", aws_access_key_id="testing",
                                       aws_secret_access_key="testing")  # fake: never sent
        assert client.meta.endpoint_url.startswith("https://")
    with pytest.raises(UnknownServiceError):
        session.create_client("ec2", region_name="us-east-1")


def test_a_service_without_a_model_fails_the_build(tmp_path: Path) -> None:
    site = _site_with_models(tmp_path, {"dynamodb"})
    with pytest.raises(RuntimeError, match="no model for \\['not-a-service'\\]"):
        layer_module.prune_botocore_models(site, {"dynamodb", "not-a-service"})
