"""Inputs and outputs tables of the module READMEs, generated from variables.tf and outputs.tf.

`python -m tests.docs` rewrites the part of each README between the BEGIN/END markers;
tests/test_docs.py fails when a README no longer matches its module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _text(value) -> str:
    """An expression as written: python-hcl2 wraps it in `${...}`, which is dropped."""
    if not isinstance(value, str):
        return json.dumps(value)
    text = value.strip('"')
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _blocks(path: Path, kind: str) -> dict[str, dict]:
    if not path.exists():
        return {}
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return {name.strip('"'): body for block in parsed.get(kind, []) for name, body in block.items()}


def tables(folder: Path) -> str:
    lines = ["## Inputs", ""]
    variables = _blocks(folder / "variables.tf", "variable")
    if variables:
        lines += ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:-:|"]
        for name, body in variables.items():
            required = "default" not in body
            value = body.get("default")
            # python-hcl2 keeps a string's quotes: it is shown as written, once quoted.
            shown = value if isinstance(value, str) and value.startswith('"') else json.dumps(value)
            default = "n/a" if required else f"`{_cell(shown)}`"
            lines.append(
                f"| `{name}` | {_cell(_text(body.get('description', '')))} | "
                f"`{_cell(_text(body.get('type', 'any')))}` | {default} | "
                f"{'yes' if required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    outputs = _blocks(folder / "outputs.tf", "output")
    if outputs:
        lines += ["| Name | Description |", "|---|---|"]
        lines += [
            f"| `{name}` | {_cell(_text(body.get('description', '')))} |"
            for name, body in outputs.items()
        ]
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def expected_readme(folder: Path) -> str:
    readme = (folder / "README.md").read_text()
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables(folder)}\n{END}{tail}"


def documented_folders() -> list[Path]:
    return sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir())


def main() -> int:
    for folder in documented_folders():
        (folder / "README.md").write_text(expected_readme(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
