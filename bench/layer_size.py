"""The dependency layers as the stack ships them, zipped, beside the shared layer as pip alone installs it.

Builds each layer with the stack's own bundler (wheels for the Lambda platform, downloaded by pip), so it
needs the package index. Lambda's own limits: 250 MB unzipped for a function and its layers.
"""

from __future__ import annotations

import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.table import render

TARGET_ZIPPED_MB = 15.0  # the shared layer, which every function loads
MB = 1024 * 1024


@dataclass(frozen=True)
class Layer:
    name: str
    zipped: int
    unzipped: int
    files: int


def _measure(name: str, folder: Path) -> Layer:
    archive = folder.with_suffix(".zip")
    files = [path for path in sorted(folder.rglob("*")) if path.is_file()]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(folder))
    return Layer(name, archive.stat().st_size, sum(path.stat().st_size for path in files), len(files))


def measure(*, baseline: bool = True) -> list[Layer]:
    """Every layer the stack ships; with `baseline`, also runtime.txt as pip alone installs it."""
    from infra.constructs.layer import PipLayerBundler, pip_install_command
    from infra.routes import FUNCTIONS

    layers = []
    with tempfile.TemporaryDirectory(prefix="layer-bench-") as tmp:
        if baseline:
            plain = Path(tmp) / "baseline"
            subprocess.run(pip_install_command(str(plain / "python")), check=True, capture_output=True)
            layers.append(_measure("baseline: runtime.txt as pip installs it (every botocore model)", plain))
        shared = Path(tmp) / "shared"
        PipLayerBundler().try_bundle(str(shared))
        layers.append(_measure("shared layer as shipped (models of the services called only)", shared))
        for requirements in sorted({spec.requirements for spec in FUNCTIONS if spec.requirements}):
            users = ", ".join(spec.name for spec in FUNCTIONS if spec.requirements == requirements)
            own = Path(tmp) / requirements.removesuffix(".txt")
            PipLayerBundler(requirements, with_deps=False).try_bundle(str(own))
            layers.append(_measure(f"{requirements} layer (only {users})", own))
    return layers


def report(layers: list[Layer]) -> str:
    rows = [[layer.name, f"{layer.zipped / MB:.1f} MB", f"{layer.unzipped / MB:.1f} MB", layer.files]
            for layer in layers]
    shared = next(layer for layer in layers if layer.name.startswith("shared"))
    verdict = "within" if shared.zipped / MB <= TARGET_ZIPPED_MB else "ERROR: over"
    return (f"Dependency layers (zipped at level 9; the shared layer is {verdict} its {TARGET_ZIPPED_MB:.0f} MB "
            "target)\n" + render(["layer", "zipped", "unzipped", "files"], rows, right=(1, 2, 3)))
