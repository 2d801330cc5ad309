"""The Lambda's deployment package, as `mlops plan` builds it for Terraform."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile

import pytest

from glue import lambda_package
from glue.errors import MlopsError


def test_the_package_is_the_handler_with_fixed_timestamps_named_by_its_hash(tmp_path):
    var_file = lambda_package.build(lambda_package.LATEST_MODEL, tmp_path / "packages")
    again = lambda_package.build(lambda_package.LATEST_MODEL, tmp_path / "packages")
    assert again == var_file
    package = json.loads(var_file.read_text())["latest_model_package"]
    content = (tmp_path / "packages" / package["path"].rsplit("/", 1)[1]).read_bytes()
    assert package["base64sha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert hashlib.sha256(content).hexdigest()[:16] in package["path"]
    assert package["handler"] == "latest_approved_model.handler"
    assert package["runtime"] == "python3.12"  # what the handler declares as its image
    with zipfile.ZipFile(var_file.parent / package["path"]) as archive:
        (info,) = archive.infolist()
        assert info.filename == "latest_approved_model.py"
        assert info.date_time == (2020, 1, 1, 0, 0, 0)
    assert sorted(p.name for p in (tmp_path / "packages").iterdir()) == sorted(
        [var_file.name, package["path"].rsplit("/", 1)[1]]
    )


def test_a_handler_its_runtime_cannot_run_is_not_packaged(tmp_path):
    handler = tmp_path / "latest_approved_model.py"
    handler.write_text(
        'IMAGE = "lambda:python3.12"\n\nimport xgboost\n\n\ndef handler(e, c):\n    pass\n'
    )
    function = lambda_package.Function(handler, "latest_model_package")
    with pytest.raises(MlopsError) as refused:
        lambda_package.build(function, tmp_path / "packages")
    assert str(refused.value).startswith(
        "the Lambda package of latest_approved_model.py is not built: "
    )
    assert "xgboost" in str(refused.value)
    assert not (tmp_path / "packages").exists()


def test_each_root_gets_the_package_of_its_function_and_a_deployed_hash_finds_it(tmp_path):
    """The registry deploys the governance recorder, a stage the inference step's Lambda; the
    local AWS runs a deployed function from the package whose hash Lambda reports."""
    for function, handler in (
        (lambda_package.GOVERNANCE_RECORDER, "governance_recorder.handler"),
        (lambda_package.LATEST_MODEL, "latest_approved_model.handler"),
    ):
        var_file = lambda_package.build(function, tmp_path)
        package = json.loads(var_file.read_text())[function.variable]
        assert package["handler"] == handler
        found = lambda_package.deployed_package(tmp_path, function, package["base64sha256"])
        assert found is not None and str(found) == package["path"]
        other = base64.b64encode(hashlib.sha256(b"other code").digest()).decode()
        assert lambda_package.deployed_package(tmp_path, function, other) is None
