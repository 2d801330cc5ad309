"""Each module has a README with a usage example and up-to-date inputs and outputs tables."""

from __future__ import annotations

import pytest

from tests.docs import BEGIN, END, documented_folders, expected_readme


@pytest.mark.parametrize("folder", documented_folders(), ids=lambda folder: folder.name)
def test_module_readme(folder):
    readme = folder / "README.md"
    assert readme.exists(), f"{folder.name} has no README.md"
    text = readme.read_text()
    assert "## Usage" in text and "```hcl" in text, f"{readme}: needs a Usage section"
    assert BEGIN in text and END in text, f"{readme}: needs the {BEGIN} ... {END} markers"
    assert text == expected_readme(folder), (
        f"{readme} is out of date: run `.venv/bin/python -m tests.docs`"
    )
