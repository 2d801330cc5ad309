"""The images step scripts run in, as data, and the check that a script fits its image.

Each script declares its image in a module constant `IMAGE` (read here without importing the
script). `images.json` holds, per image and tag, the Python version and the installed packages,
taken from the public container sources it names. A script fits its image when every import is
the standard library or a package the image installs, and `vermin` finds no construct newer than
the image's Python: what this machine's Python and packages accept proves nothing about AWS.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from glue.errors import MlopsError

MANIFESTS = Path(__file__).resolve().parent / "images.json"
# Where a package's import name differs from its distribution's name.
_DISTRIBUTION_OF = {
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "dateutil": "python-dateutil",
    "PIL": "pillow",
    "mlio": "mlio-py",
}


# vermin's command line (the package has no __main__), run by the Python running the glue.
_VERMIN = (sys.executable, "-c", "import sys; from vermin.main import main; sys.exit(main())")


@dataclass(frozen=True)
class Image:
    name: str  # repository:tag, or lambda:<runtime>
    python: str
    packages: dict[str, str]
    sources: tuple[str, ...]

    @property
    def repository(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def tag(self) -> str:
        return self.name.split(":", 1)[1]


@functools.lru_cache(maxsize=1)
def manifests() -> dict[str, Image]:
    images = json.loads(MANIFESTS.read_text())["images"]
    return {
        name: Image(name, spec["python"], dict(spec["packages"]), tuple(spec["sources"]))
        for name, spec in images.items()
    }


def image(name: str) -> Image:
    try:
        return manifests()[name]
    except KeyError:
        raise MlopsError(
            f"no manifest for image {name!r} in {MANIFESTS.name}: add its Python version and "
            "packages from the container's public sources"
        ) from None


def declared_image(script: Path) -> str:
    """The image a step script declares in its module constant IMAGE."""
    tree = ast.parse(script.read_text(), filename=str(script))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "IMAGE" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise MlopsError(f"{script.name} declares no IMAGE = '<repository>:<tag>' it runs in")


def imported_modules(script: Path) -> set[str]:
    """Top-level names of every absolute import in the script."""
    tree = ast.parse(script.read_text(), filename=str(script))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - {"__future__"}


def _distribution(module: str) -> str:
    return _DISTRIBUTION_OF.get(module, module).lower().replace("_", "-")


def import_problems(script: Path, target: Image) -> list[str]:
    problems = []
    for module in sorted(imported_modules(script)):
        if module in sys.stdlib_module_names:
            continue  # whether the image's Python has it is vermin's question
        if _distribution(module) not in target.packages:
            problems.append(
                f"ModuleNotFoundError: No module named '{module}' in {target.name} "
                f"({script.name} imports it; the image installs "
                f"{', '.join(sorted(target.packages))})"
            )
    return problems


@functools.lru_cache(maxsize=64)
def _vermin(source_digest: str, script: str, python: str) -> tuple[str, ...]:
    result = subprocess.run(
        [*_VERMIN, "--no-tips", "--violations", f"-t={python}-", script],
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return ()
    lines = [line.strip() for line in result.stdout.splitlines()]
    return tuple(line for line in lines if "requires" in line) or (result.stdout.strip(),)


def python_problems(script: Path, target: Image) -> list[str]:
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    return [
        f"{script.name} needs a newer Python than {target.name} has ({target.python}): {line}"
        for line in _vermin(digest, str(script), target.python)
    ]


def problems(script: Path, image_name: str | None = None) -> list[str]:
    """Why `script` would fail in its image (the one it declares unless `image_name` is given)."""
    target = image(image_name or declared_image(script))
    return import_problems(script, target) + python_problems(script, target)
