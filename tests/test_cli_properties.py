"""Input that crashes nothing: whatever the arguments and the tfvars documents, one line and the
documented exit code (1: an error, 2: a usage error), never "unexpected" (a defect of mlops).

Property-based (hypothesis), derandomized: the examples are the same at every run, so a run that
passes found nothing new; the settings are printed by `pytest --hypothesis-show-statistics`.
Everything here stops before any AWS (no local AWS runs in the test's state folder), and only
--out paths inside the test's folder are written.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glue import cli
from tests.test_cli import PROJECT_ROOT

KEYS = ["name_prefix", "account_id", "region", "model_name", "tags", "protect_from_destroy"]
json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def documents(draw) -> bytes:
    """What a --var-file may hold: JSON of any shape, deeply nested arrays or objects, text in
    another encoding, or bytes."""
    kind = draw(st.sampled_from(["json", "nested", "encoded", "bytes"]))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "nested":
        depth = draw(st.integers(1, 50_000))
        opening, closing = draw(st.sampled_from([("[", "]"), ('{"tags":', "}")]))
        return (opening * depth + "1" + closing * depth).encode()
    if kind == "encoded":
        text = json.dumps(draw(json_values), ensure_ascii=False)
        return text.encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1"])), "replace")
    return draw(st.binary(max_size=200))


PATH_KINDS = ["file", "folder", "missing", "through-a-file", "shipped"]


def _path(folder: Path, kind: str, content: bytes, name: str) -> str:
    """A path of the given kind inside `folder` (the shipped tfvars apart)."""
    path = folder / name
    if kind == "file":
        path.write_bytes(content)
    elif kind == "folder":
        path.mkdir(exist_ok=True)
    elif kind == "through-a-file":
        (folder / "a-file").write_bytes(b"x")
        return str(folder / "a-file" / name)
    elif kind == "shipped":
        return str(PROJECT_ROOT / "dev.tfvars.json")
    return str(path)


environments = st.sampled_from(["dev", "prod", "registry", "staging", "", "DEV"]) | st.text(
    max_size=12
)
texts = st.text(max_size=40)


def _commands(env: str, var_file: str, out: str, text: str) -> list[list[str]]:
    return [
        ["validate", "--env", env, "--var-file", var_file],
        ["plan", "--env", env, "--var-file", var_file, "--out", out],
        ["apply", "--env", env, "--var-file", var_file, "--plan-file", out, "--dry-run"],
        ["outputs", "--env", env, "--var-file", var_file],
        ["unlock", "--env", env, "--var-file", var_file, "--lock-id", text],
        ["report", "--results", var_file, "--plans", out, "--out", out],
        ["models", "list", "--env", env, "--var-file", var_file],
        ["models", "approve", "--env", env, "--version", text, "--comment", text],
        ["models", "promote", "--env", env, "--version", text, "--to", text],
        ["pipelines", "start", text, "--env", env, "--var-file", var_file, "--dry-run"],
        ["governance", "report", "--env", env, "--format", text, "--out", out],
        [text],
    ]


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
    return code, err.getvalue()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.integers(0, 11),
    env=environments,
    var_file_kind=st.sampled_from(PATH_KINDS),
    document=documents(),
    out_kind=st.sampled_from(PATH_KINDS[:4]),
    text=texts,
)
def test_any_input_is_one_line_and_a_documented_exit(
    tmp_path, monkeypatch, command, env, var_file_kind, document, out_kind, text
):
    example = Path(tempfile.mkdtemp(dir=tmp_path))  # the fixture's folder serves every example
    monkeypatch.setenv("MLOPS_STATE_DIR", str(example / "state"))
    monkeypatch.setenv("MLOPS_REPORTS_DIR", str(example / "reports"))
    var_file = _path(example, var_file_kind, document, "tfvars.json")
    out = _path(example, out_kind, b"", "out")
    argv = _commands(env, var_file, out, text)[command]
    code, err = _run(argv)
    assert code in (0, 1, 2), (argv, code, err)
    if code:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mlops"), (argv, err)
        assert "unexpected" not in err, (argv, err)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_tfvars_nested_too_deeply_are_one_line(tmp_path, depth):
    """Found by the property above: json's recursion limit ended in "unexpected"."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * depth + "]" * depth)
    code, err = _run(["validate", "--env", "dev", "--var-file", str(deep)])
    assert code == 1 and ("nested too deeply" in err or "expected a JSON object" in err), err


@pytest.mark.parametrize("kind", ["folder", "through-a-file"])
def test_an_out_path_that_cannot_be_written_is_one_line(tmp_path, monkeypatch, kind):
    """Found by the property above: a folder or a path through a file ended in "unexpected"."""
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    out = _path(tmp_path, kind, b"", "out")
    code, err = _run(["report", "--results", str(tmp_path), "--out", out])
    assert code == 1 and err.startswith("mlops: cannot write ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
        (b"Age,Shape\n60,3\n", "its header lacks BI-RADS, Margin, Density, Severity"),
    ],
)
def test_demo_data_the_training_would_refuse_is_one_line_before_anything_runs(
    tmp_path, monkeypatch, content, expected
):
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    data = tmp_path / "data.csv"
    if content is not None:
        data.write_bytes(content)
    code, err = _run(["demo", "--data", str(data)])
    assert code == 1 and err.startswith(f"mlops: --data {data}: {expected}"), err
    assert err.count("\n") == 1 and not (tmp_path / "state").exists()
