"""The local Model Monitor analyzer (glue/local/model_monitor.py), in process: its files against
the schemas Model Monitor documents (tests/fixtures/model_monitor, each citing its page), and
each data-quality check the inference pipeline relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glue.local import model_monitor, sample_data
from glue.pipelines import definitions
from tests.model_monitor_schemas import valid

CSV = json.dumps({"csv": {"header": False, "output_columns_position": "START"}})


def _analyze(folder: Path, dataset: str, baseline: Path | None = None) -> list | None:
    """One analyzer job on a CSV dataset, as the QualityCheck step's contract gives it; with a
    baseline (an earlier job's output folder), the check against it."""
    source = folder / "input" / definitions.BASELINE_DATASET_INPUT
    source.mkdir(parents=True)
    (source / "data.csv").write_text(dataset)
    environment = {
        "dataset_format": CSV,
        "dataset_source": str(source),
        "output_path": str(folder / "output"),
        "publish_cloudwatch_metrics": "Disabled",
    }
    if baseline is not None:
        environment["baseline_statistics"] = str(baseline / model_monitor.STATISTICS)
        environment["baseline_constraints"] = str(baseline / model_monitor.CONSTRAINTS)
    return model_monitor.analyze(environment)


@pytest.fixture()
def baseline(tmp_path) -> Path:
    """The data-quality baseline of the training features, as the training pipeline's
    DataQualityBaseline step computes it."""
    rows = sample_data.training_csv().splitlines()[1:]
    features = "".join(",".join(row.split(",")[:-1]) + "\n" for row in rows)
    assert _analyze(tmp_path / "baseline", features) is None  # nothing to check against
    return tmp_path / "baseline" / "output"


def _read(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text())


def _found(violations: list) -> set[tuple[str, str]]:
    return {(v["feature_name"], v["constraint_check_type"]) for v in violations}


def test_the_baseline_s_statistics_and_constraints_are_model_monitor_s_files(baseline):
    statistics = valid(_read(baseline, model_monitor.STATISTICS), "statistics")
    constraints = valid(_read(baseline, model_monitor.CONSTRAINTS), "constraints")
    assert not (baseline / model_monitor.VIOLATIONS).exists()
    # A CSV without a header: Spark's column names; whole numbers: Integral.
    assert [f["name"] for f in statistics["features"]] == [f"_c{i}" for i in range(5)]
    assert statistics["dataset"]["item_count"] == 600
    age = statistics["features"][1]["numerical_statistics"]
    assert 18 <= age["min"] < age["mean"] < age["max"] <= 95
    assert sum(b["count"] for b in age["distribution"]["kll"]["buckets"]) == 600
    assert len(age["distribution"]["kll"]["sketch"]["data"][0]) == 600  # k = 2048: all kept
    assert {(f["inferred_type"], f["completeness"]) for f in constraints["features"]} == {
        ("Integral", 1.0)
    }
    assert (
        constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1
    )


def test_a_batch_like_the_training_data_passes(tmp_path, baseline):
    found = _analyze(tmp_path / "clean", sample_data.batch_csv(rows=200), baseline)
    assert found == []
    output = tmp_path / "clean" / "output"
    assert valid(_read(output, model_monitor.VIOLATIONS), "constraint_violations") == {
        "violations": []
    }
    valid(_read(output, model_monitor.STATISTICS), "statistics")


def test_ages_no_patient_has_drift_from_the_baseline(tmp_path, baseline):
    """The demo's batch with outliers: Age (the second column) drifts, nothing else."""
    found = _analyze(tmp_path / "drift", sample_data.batch_csv(outliers=True), baseline)
    assert _found(found) == {("_c1", "baseline_drift_check")}
    [violation] = found
    distance = float(violation["description"].split("distance: ")[1].split()[0])
    assert distance > 0.9 and violation["description"].endswith("numerical threshold: 0.1")
    written = _read(tmp_path / "drift" / "output", model_monitor.VIOLATIONS)
    assert valid(written, "constraint_violations")["violations"] == found


def test_a_batch_without_a_column_fails_its_missing_column_check(tmp_path, baseline):
    rows = sample_data.batch_csv().splitlines()
    found = _analyze(
        tmp_path / "short", "".join(r.rsplit(",", 1)[0] + "\n" for r in rows), baseline
    )
    assert _found(found) == {("_c4", "missing_column_check")}
    assert "Number of columns in current dataset: 4" in found[0]["description"]


def test_an_extra_column_a_missing_value_and_a_word_each_fail_their_check(tmp_path, baseline):
    rows = sample_data.batch_csv(rows=100).splitlines()
    rows = [f"{row},1" for row in rows]  # a sixth column
    rows[0] = "4,,2,3,3,1"  # no age
    rows[1] = "4,63,round,3,3,1"  # a shape that is no number
    found = _analyze(tmp_path / "odd", "\n".join(rows) + "\n", baseline)
    assert _found(found) == {
        ("_c5", "extra_column_check"),
        ("_c1", "completeness_check"),
        ("_c2", "data_type_check"),
    }
    by_check = {v["constraint_check_type"]: v["description"] for v in found}
    assert (
        by_check["completeness_check"] == "Value: 0.99 does not meet the constraint requirement! "
    )
    assert by_check["data_type_check"] == "Value: 0.99 does not meet the constraint requirement! "


def test_robust_comparison_needs_enough_rows_to_call_a_distance_drift(tmp_path, baseline):
    """Three rows of patients in their sixties are far from the baseline (distance 0.6) but
    prove little: the Robust method (the default) asks the two-sample test to agree at 95%
    (p = 0.14 here); the Simple method does not."""
    few = "4,60,2,3,3\n4,62,2,3,3\n4,65,2,3,3\n"
    assert _analyze(tmp_path / "robust", few, baseline) == []
    constraints = _read(baseline, model_monitor.CONSTRAINTS)
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    (baseline / model_monitor.CONSTRAINTS).write_text(json.dumps(constraints))
    assert ("_c1", "baseline_drift_check") in _found(_analyze(tmp_path / "simple", few, baseline))


def test_an_empty_or_unreadable_dataset_fails_the_job(tmp_path):
    with pytest.raises(model_monitor.AnalyzerError, match="has no rows"):
        _analyze(tmp_path / "empty", "")
    with pytest.raises(model_monitor.AnalyzerError, match="data.csv as CSV: Error tokenizing"):
        _analyze(tmp_path / "ragged", "1,2\n1,2,3\n")
    with pytest.raises(
        model_monitor.AnalyzerError, match=r"only csv \(and captured data\) is emulated"
    ):
        model_monitor.read_dataset(tmp_path, {"json": {"lines": True}})


def test_types_are_deequ_s_and_a_column_without_values_is_unknown(tmp_path):
    """A decimal point makes a number Fractional, an exponent makes it text (Deequ's
    patterns); a column with no value has no type to check a batch against."""
    assert [model_monitor._kind(v) for v in ("-7", "+ 3", "2.5", ".5", "1e-05", "٣", "-")] == [
        "Integral", "Integral", "Fractional", "Fractional", "String", "String", "String",
    ]  # fmt: skip
    assert _analyze(tmp_path / "baseline", "1,,a\n2,,b\n") is None
    output = tmp_path / "baseline" / "output"
    statistics = valid(_read(output, model_monitor.STATISTICS), "statistics")
    constraints = valid(_read(output, model_monitor.CONSTRAINTS), "constraints")
    assert [f["inferred_type"] for f in statistics["features"]] == ["Integral", "Unknown", "String"]
    assert constraints["features"][1]["completeness"] == 0.0
    # Text where the baseline had numbers, numbers where it had text: each its type's check.
    found = _analyze(tmp_path / "swapped", "x,,1\n2,,2\n", output)
    assert _found(found) == {("_c0", "data_type_check"), ("_c2", "data_type_check")}


def test_a_header_names_the_columns(tmp_path):
    source = tmp_path / "input"
    source.mkdir()
    (source / "batch.csv").write_text("age,shape\n63,2\n")
    frame = model_monitor.read_dataset(source, {"csv": {"header": True}})
    assert list(frame.columns) == ["age", "shape"] and frame.iloc[0].tolist() == ["63", "2"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False)),
        min_size=1,
        max_size=60,
    )
)
def test_any_numeric_dataset_s_files_validate_and_it_passes_against_itself(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("any")
    dataset = "".join(f"{a},{b:.6f}\n" for a, b in rows)  # numbers as a CSV writer gives them
    assert _analyze(folder / "baseline", dataset) is None
    output = folder / "baseline" / "output"
    valid(_read(output, model_monitor.STATISTICS), "statistics")
    valid(_read(output, model_monitor.CONSTRAINTS), "constraints")
    assert _analyze(folder / "again", dataset, output) == []


def _data_unlike_the_sample() -> str:
    """A data set with the UCI file's header and quirks (a '?', a BI-RADS of 55, older
    patients with denser masses than the generated sample): what `mlops demo --data` trains on."""
    rows = sample_data.training_csv(rows=400, seed=3).splitlines()
    shifted = [rows[0]]
    for row in rows[1:]:
        birads, age, shape, margin, _, severity = row.split(",")
        shifted.append(f"{birads},{min(95, int(age) + 15)},{shape},{margin},4,{severity}")
    shifted += ["55,60,4,4,3,1", "4,?,2,2,3,0"]
    return "\ufeff" + "\n".join(shifted) + "\n"


def test_a_demo_on_given_data_infers_on_batches_of_that_data(tmp_path):
    """The inference batches of a demo on given data are drawn from that data, as its training
    preprocesses it: Model Monitor finds no drift in its clean batch against the baseline
    preprocessing writes, and the age drift in its batch with outliers (a generated batch,
    not of that data's distribution, drifts and fails the demo's clean inference)."""
    from glue.steps import preprocess

    data = _data_unlike_the_sample()
    train, _, _ = preprocess.split(sample_data.rows_kept(data), 42)
    features = preprocess.as_batches_carry_them(train[preprocess.FEATURES])
    assert _analyze(tmp_path / "baseline", features.to_csv(header=False, index=False)) is None
    baseline = tmp_path / "baseline" / "output"

    clean = sample_data.batch_from(data)
    assert len(clean.splitlines()) == 50
    assert _analyze(tmp_path / "clean", clean, baseline) == []
    outliers = _analyze(
        tmp_path / "outliers", sample_data.batch_from(data, outliers=True), baseline
    )
    assert _found(outliers) == {("_c1", "baseline_drift_check")}
    generated = _analyze(tmp_path / "generated", sample_data.batch_csv(), baseline)
    assert ("_c4", "baseline_drift_check") in _found(generated)


CAPTURED = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}


def _captured(data: str, encoding: str = "CSV") -> str:
    """One invocation as data capture writes it (glue/local/emulator/data_capture.py)."""
    payload = {"observedContentType": "text/csv", "mode": "INPUT", "data": data}
    answer = {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5\n"}
    record = {
        "captureData": {
            "endpointInput": payload | {"encoding": encoding},
            "endpointOutput": answer | {"encoding": "CSV"},
        },
        "eventMetadata": {"eventId": "e", "inferenceTime": "2026-12-06T10:00:00Z"},
        "eventVersion": "0",
    }
    return json.dumps(record) + "\n"


def test_captured_requests_are_read_as_the_rows_they_carried(tmp_path):
    """An endpoint's captured data: every request's CSV rows (several a request; base64 ones
    decoded), from every file under the hour folders; the answers are not columns."""
    import base64

    hour = tmp_path / "endpoint" / "AllTraffic" / "2026" / "12" / "06" / "10"
    hour.mkdir(parents=True)
    (hour / "00-01-000-a.jsonl").write_text(_captured("4,60,2\n3,45,1\n") + _captured("5,70,3"))
    encoded = base64.b64encode(b"2,30,1\n").decode()
    (hour / "00-02-000-b.jsonl").write_text(_captured(encoded, "BASE64"))
    frame = model_monitor.read_dataset(tmp_path, CAPTURED)
    assert list(frame.columns) == ["_c0", "_c1", "_c2"]
    assert frame.values.tolist() == [
        ["4", "60", "2"],
        ["3", "45", "1"],
        ["5", "70", "3"],
        ["2", "30", "1"],
    ]


def test_captured_data_the_analyzer_cannot_read_fails_the_job(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"captureData": {}}\n')
    with pytest.raises(model_monitor.AnalyzerError, match="bad.jsonl, line 1: not a captured"):
        model_monitor.read_dataset(tmp_path, CAPTURED)
    (tmp_path / "bad.jsonl").write_text(_captured('{"a": 1}', "JSON"))
    with pytest.raises(model_monitor.AnalyzerError, match="line 1: JSON requests: not emulated"):
        model_monitor.read_dataset(tmp_path, CAPTURED)
    (tmp_path / "bad.jsonl").unlink()
    with pytest.raises(model_monitor.AnalyzerError, match="has no rows"):
        model_monitor.read_dataset(tmp_path, CAPTURED)
