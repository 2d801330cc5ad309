"""The deployment package of the latest-approved-model Lambda, built for Terraform to deploy.

Terraform owns the function; this builds what it deploys from the handler in the repository:
a zip with fixed timestamps (its hash changes only with the code), stored under its own hash so
a saved plan always finds the bytes it was made with.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

from glue.errors import MlopsError
from glue.files import write_whole
from glue.steps import LAMBDA_HANDLER_SCRIPT, STEPS_DIR, images

HANDLER_FILE = STEPS_DIR / LAMBDA_HANDLER_SCRIPT
HANDLER = f"{HANDLER_FILE.stem}.handler"
# The workload root's variable that takes the package.
VARIABLE = "latest_model_package"
_ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)


def package_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(HANDLER_FILE.name, date_time=_ZIP_TIMESTAMP)
        info.external_attr = 0o644 << 16
        archive.writestr(info, HANDLER_FILE.read_bytes())
    return buffer.getvalue()


def build(folder: Path) -> Path:
    """Write the package and a var file giving it to the workload root; return the var file.
    A handler its runtime would refuse (a newer Python, a package Lambda lacks) is refused."""
    refused = images.problems(HANDLER_FILE)
    if refused:
        raise MlopsError(f"the Lambda package is not built: {'; '.join(refused)}")
    content = package_bytes()
    digest = hashlib.sha256(content)
    name = f"{HANDLER_FILE.stem}-{digest.hexdigest()[:16]}"
    package = folder / f"{name}.zip"
    value = {
        "path": str(package),
        "base64sha256": base64.b64encode(digest.digest()).decode(),
        "handler": HANDLER,
        # The runtime the handler declares as its image ("lambda:python3.12").
        "runtime": images.declared_image(HANDLER_FILE).split(":", 1)[1],
    }
    var_file = folder / f"{name}.tfvars.json"
    # Named by their content: a file already there holds these bytes. A new one appears whole
    # (plans of dev and prod may build them at the same time).
    for path, written in (
        (package, content),
        (var_file, (json.dumps({VARIABLE: value}, indent=2) + "\n").encode()),
    ):
        if not path.is_file():
            write_whole(path, written)
    return var_file
