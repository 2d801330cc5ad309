"""The deployment packages of the project's Lambda functions, built for Terraform to deploy.

Terraform owns the functions; this builds what it deploys from the handlers in the repository:
a zip with fixed timestamps (its hash changes only with the code), stored under its own hash so
a saved plan always finds the bytes it was made with.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from glue.errors import MlopsError
from glue.files import write_whole
from glue.steps import (
    ENDPOINT_DEPLOYER_SCRIPT,
    GOVERNANCE_HANDLER_SCRIPT,
    LAMBDA_HANDLER_SCRIPT,
    STEPS_DIR,
    endpoint_deployer,
    images,
)

_ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Function:
    """One Lambda function's handler file and the root variable that takes its package."""

    handler_file: Path
    variable: str
    # Files the handler reads beside it (packaged at the zip's root too).
    data_files: tuple[Path, ...] = ()

    @property
    def handler(self) -> str:
        return f"{self.handler_file.stem}.handler"


# The inference pipeline's Lambda step (workload roots), the governance table's recorder
# (registry root) and a stage's endpoint deployment (workload roots).
LATEST_MODEL = Function(STEPS_DIR / LAMBDA_HANDLER_SCRIPT, "latest_model_package")
GOVERNANCE_RECORDER = Function(STEPS_DIR / GOVERNANCE_HANDLER_SCRIPT, "governance_recorder_package")
# A workload stage's real-time endpoint deployment (deployed if the stage has an endpoint).
ENDPOINT_DEPLOYER = Function(
    STEPS_DIR / ENDPOINT_DEPLOYER_SCRIPT,
    "endpoint_deployer_package",
    (endpoint_deployer.ANALYZER_IMAGES,),
)


def package_bytes(function: Function) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in (function.handler_file, *function.data_files):
            info = zipfile.ZipInfo(path.name, date_time=_ZIP_TIMESTAMP)
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def package_name(function: Function, hex_digest: str) -> str:
    """The package's file name (without .zip): the handler's and a prefix of its SHA-256."""
    return f"{function.handler_file.stem}-{hex_digest[:16]}"


def build(function: Function, folder: Path) -> Path:
    """Write the package and a var file giving it to its root; return the var file. A handler
    its runtime would refuse (a newer Python, a package Lambda lacks) is refused."""
    refused = images.problems(function.handler_file)
    if refused:
        raise MlopsError(
            f"the Lambda package of {function.handler_file.name} is not built: {'; '.join(refused)}"
        )
    content = package_bytes(function)
    digest = hashlib.sha256(content)
    name = package_name(function, digest.hexdigest())
    package = folder / f"{name}.zip"
    value = {
        "path": str(package),
        "base64sha256": base64.b64encode(digest.digest()).decode(),
        "handler": function.handler,
        # The runtime the handler declares as its image ("lambda:python3.12").
        "runtime": images.declared_image(function.handler_file).split(":", 1)[1],
    }
    var_file = folder / f"{name}.tfvars.json"
    # Named by their content: a file already there holds these bytes. A new one appears whole
    # (plans of dev and prod may build them at the same time).
    for path, written in (
        (package, content),
        (var_file, (json.dumps({function.variable: value}, indent=2) + "\n").encode()),
    ):
        if not path.is_file():
            write_whole(path, written)
    return var_file


def deployed_package(folder: Path, function: Function, code_sha256: str) -> Path | None:
    """The package built here whose content a deployed function runs (Lambda's CodeSha256, the
    base64 SHA-256), or None when none was built from this repository."""
    hex_digest = base64.b64decode(code_sha256).hex()
    package = folder / f"{package_name(function, hex_digest)}.zip"
    if package.is_file() and hashlib.sha256(package.read_bytes()).hexdigest() == hex_digest:
        return package
    return None
