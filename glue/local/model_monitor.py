"""SageMaker Model Monitor's analyzer (`sagemaker-model-monitor-analyzer`), as the local AWS runs
the pipelines' QualityCheck steps with it: its container contract, its data-quality checks for
tabular data and its files, in the schemas Model Monitor documents.

Taken from the SageMaker developer guide (docs.aws.amazon.com/sagemaker/latest/dg/...):
- the contract: the environment (`dataset_format`, `dataset_source`, `output_path`,
  `baseline_statistics`, `baseline_constraints`, `publish_cloudwatch_metrics`) and the files
  written under `output_path` (model-monitor-byoc-contract-inputs.html,
  model-monitor-byoc-contract-outputs.html);
- statistics.json: `version`, `dataset.item_count`, per feature `name`, `inferred_type` and
  `numerical_statistics` (`common.num_present`/`num_missing`, mean, sum, std_dev, min, max,
  `distribution.kll` with ten buckets and the sketch) or `string_statistics`
  (model-monitor-byoc-statistics.html);
- constraints.json: per feature `inferred_type`, `completeness`, `num_constraints.is_non_negative`,
  and `monitoring_config` with its thresholds and `distribution_constraints`
  (model-monitor-byoc-constraints.html);
- constraint_violations.json: `violations` of `feature_name`, `constraint_check_type`,
  `description`; the checks data_type_check, completeness_check, baseline_drift_check,
  missing_column_check, extra_column_check (model-monitor-interpreting-violations.html). The
  descriptions are those of the analyzer's own reports where one is published (Deequ's "Value:
  X does not meet the constraint requirement! ", "Numerical distance: X exceeds numerical
  threshold: Y"); none is published for the column checks, whose wording here is ours.

A CSV without a header has its columns named `_c0`, `_c1`, ... (as Spark names them, which the
analyzer runs on); a value's type follows Deequ's patterns (the analyzer's engine): a whole
number is Integral, one with a decimal point Fractional, anything else (`1e-05` too) String. The
drift distance is the L-infinity distance between the baseline's and the batch's cumulative
distributions, as documented ("Simple"). Two points are assumptions, since AWS publishes neither:
"Robust" (`linf_robust`, "used when there are not enough samples ... based on the two-sample
Kolmogorov-Smirnov test") is taken as the distance over the threshold *and* the KS test
rejecting at 95%; and the CDFs are taken from the sketch's values. A KLL sketch (k = 2048) keeps
every value of up to k values exactly, which covers this project's data sets; beyond k values
the baseline keeps k evenly spaced quantiles (numpy), a rank error under 1/k, far below the 0.1
threshold, where KLL's own error is about 1%.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from glue.pipelines.definitions import VIOLATIONS_FILE

# The sketch parameters Model Monitor writes (its KLL: k items per level, c the level ratio).
KLL_K = 2048
KLL_C = 0.64
BUCKETS = 10  # "the distribution is materialized in ten buckets"
# constraints.json's monitoring_config as the analyzer suggests it (its own output: thresholds
# of 1.0, Robust; the SDK's test data), and the documented defaults of a key a file leaves out.
MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    },
}
DOCUMENTED_DEFAULTS = {
    "evaluate_constraints": "Enabled",
    "datatype_check_threshold": 0.1,
    "domain_content_threshold": 0.1,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
    },
}
ROBUST = ("Robust", "linf_robust")  # the schema's spelling and the documentation table's
ROBUST_SIGNIFICANCE = 0.05
STATISTICS, CONSTRAINTS, VIOLATIONS = "statistics.json", "constraints.json", VIOLATIONS_FILE
# Deequ's type patterns (ASCII digits; at least one, so a lone sign is text).
_INTEGRAL = re.compile(r"^[-+]? ?[0-9]+$")
_FRACTIONAL = re.compile(r"^[-+]? ?([0-9]+\.[0-9]*|\.[0-9]+)$")


class AnalyzerError(Exception):
    """The job fails: a dataset or baseline the analyzer cannot read."""


def read_dataset(source: Path, dataset_format: Mapping[str, Any]) -> pd.DataFrame:
    """Every file under `source`, as text (types are inferred per column), an empty value as
    missing; a file without a header gets Spark's column names. An endpoint's captured data
    (`sagemakerCaptureJson`) is read as the CSV its requests carried (`endpointInput`)."""
    if set(dataset_format) == {"sagemakerCaptureJson"}:
        return _table(_captured_requests(source), source, header=False)
    if set(dataset_format) != {"csv"}:
        raise AnalyzerError(
            f"dataset_format {json.dumps(dataset_format)}: only csv (and captured data) is emulated"
        )
    header = bool(dataset_format["csv"].get("header", False))
    texts = []
    for path in sorted(p for p in source.rglob("*") if p.is_file() and p.stat().st_size):
        try:
            texts.append((path.name, path.read_text()))
        except UnicodeDecodeError as error:
            raise AnalyzerError(f"cannot read {path.name} as CSV: {error}") from None
    return _table(texts, source, header)


def read_dataset_text(text: str) -> pd.DataFrame:
    """A CSV dataset without a header, given as its text (as read_dataset reads a file)."""
    return _table([("the dataset", text)], Path("."), header=False)


def _captured_requests(source: Path) -> list[tuple[str, str]]:
    """The CSV rows of the captured requests under `source` (data capture's JSON lines), per
    file. The analyzer's handling of the answers is not published: the data-quality baseline is
    of the features, which the requests carry, so the answers are left out."""
    texts = []
    for path in sorted(p for p in source.rglob("*.jsonl") if p.is_file()):
        rows = []
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                captured = json.loads(line)["captureData"]["endpointInput"]
                data, encoding = captured["data"], captured["encoding"]
                if encoding == "BASE64":
                    data, encoding = base64.b64decode(data).decode(), "CSV"
            except (ValueError, KeyError, TypeError) as error:
                raise AnalyzerError(
                    f"{path.name}, line {number}: not a captured request ({error})"
                ) from None
            if encoding != "CSV":
                raise AnalyzerError(
                    f"{path.name}, line {number}: {encoding} requests: not emulated"
                )
            rows.append(data if data.endswith("\n") else data + "\n")
        texts.append((path.name, "".join(rows)))
    return texts


def _table(texts: list[tuple[str, str]], source: Path, header: bool) -> pd.DataFrame:
    frames = []
    for name, text in texts:
        if not text.strip():
            continue
        try:
            frames.append(
                pd.read_csv(
                    io.StringIO(text),
                    header=0 if header else None,
                    dtype=str,
                    keep_default_na=False,
                )
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise AnalyzerError(f"cannot read {name} as CSV: {error}") from None
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if frame.empty:
        raise AnalyzerError(f"the dataset at {source} has no rows")
    if not header:
        frame.columns = [f"_c{index}" for index in range(len(frame.columns))]
    return frame.replace({"": None})


def _kind(value: str) -> str:
    if _INTEGRAL.match(value):
        return "Integral"
    return "Fractional" if _FRACTIONAL.match(value) else "String"


def _number(value: str) -> float:
    return float(value.replace(" ", ""))


def inferred_type(present: pd.Series) -> str:
    """Integral if every value is a whole number, Fractional if every value is a number;
    Unknown for a column without a value."""
    kinds = set(present.map(_kind))
    if not kinds:
        return "Unknown"
    if kinds == {"Integral"}:
        return "Integral"
    return "Fractional" if kinds <= {"Integral", "Fractional"} else "String"


def _sketch(values: np.ndarray) -> list[float]:
    ordered = np.sort(values)
    if len(ordered) > KLL_K:
        ordered = np.quantile(ordered, (np.arange(KLL_K) + 0.5) / KLL_K, method="inverted_cdf")
    return [float(v) for v in ordered]


def _numerical(values: np.ndarray, present: int, missing: int) -> dict[str, Any]:
    low, high = float(values.min()), float(values.max())
    edges = np.linspace(low, high, BUCKETS + 1)
    counts, _ = np.histogram(values, bins=edges if high > low else BUCKETS)
    return {
        "common": {"num_present": present, "num_missing": missing},
        "mean": float(values.mean()),
        "sum": float(values.sum()),
        "std_dev": float(values.std()),
        "min": low,
        "max": high,
        "distribution": {
            "kll": {
                "buckets": [
                    {"lower_bound": float(a), "upper_bound": float(b), "count": float(n)}
                    for a, b, n in zip(edges[:-1], edges[1:], counts, strict=True)
                ],
                "sketch": {
                    "parameters": {"c": KLL_C, "k": float(KLL_K)},
                    "data": [_sketch(values)],
                },
            }
        },
    }


def statistics(frame: pd.DataFrame) -> dict[str, Any]:
    """statistics.json of a dataset."""
    features = []
    for name in frame.columns:
        present = frame[name].dropna()
        kind = inferred_type(present)
        common = {"num_present": len(present), "num_missing": len(frame) - len(present)}
        if kind in ("String", "Unknown"):
            counts = present.value_counts()
            features.append(
                {
                    "name": name,
                    "inferred_type": kind,
                    "string_statistics": {
                        "common": common,
                        "distinct_count": float(len(counts)),
                        "distribution": {
                            "categorical": {
                                "buckets": [
                                    {"value": str(value), "count": float(count)}
                                    for value, count in sorted(counts.items())
                                ]
                            }
                        },
                    },
                }
            )
            continue
        values = np.array([_number(v) for v in present])
        numerical = _numerical(values, common["num_present"], common["num_missing"])
        features.append({"name": name, "inferred_type": kind, "numerical_statistics": numerical})
    return {"version": 0.0, "dataset": {"item_count": len(frame)}, "features": features}


def suggest_constraints(statistics_document: Mapping[str, Any]) -> dict[str, Any]:
    """constraints.json suggested from a baseline's statistics: each feature's type, its
    completeness as observed, non-negativity where its minimum is not negative."""
    items = statistics_document["dataset"]["item_count"]
    features = []
    for feature in statistics_document["features"]:
        numerical = feature.get("numerical_statistics")
        common = (numerical or feature["string_statistics"])["common"]
        suggested = {
            "name": feature["name"],
            "inferred_type": feature["inferred_type"],
            "completeness": common["num_present"] / items if items else 0.0,
        }
        if numerical is not None:
            suggested["num_constraints"] = {"is_non_negative": numerical["min"] >= 0}
        features.append(suggested)
    return {
        "version": 0.0,
        "features": features,
        "monitoring_config": copy.deepcopy(MONITORING_CONFIG),
    }


def _violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _unmet(value: float) -> str:
    """Deequ's message for a constraint a value fails, as Model Monitor's reports carry it (the
    share of values of the type, the observed completeness), its trailing space included."""
    return f"Value: {value} does not meet the constraint requirement! "


def drift_distance(baseline: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """The L-infinity distance between the two empirical CDFs, and the two-sample
    Kolmogorov-Smirnov test's p-value (scipy: the same statistic)."""
    with warnings.catch_warnings():  # scipy's asymptotic formula divides by zero at n = 1
        warnings.simplefilter("ignore", RuntimeWarning)
        tested = stats.ks_2samp(baseline, current, method="asymp")
    return float(tested.statistic), float(tested.pvalue)


def check(
    frame: pd.DataFrame,
    baseline_statistics: Mapping[str, Any],
    baseline_constraints: Mapping[str, Any],
) -> list[dict[str, str]]:
    """The violations of a dataset against a baseline's constraints and statistics: columns
    missing or extra, then per feature completeness, data type and drift. (A text feature gets
    no drift check: Model Monitor's categorical comparison is not emulated, and this project's
    features are numbers.)"""
    config = {**DOCUMENTED_DEFAULTS, **baseline_constraints.get("monitoring_config", {})}
    if config["evaluate_constraints"] != "Enabled":
        return []
    distribution = {
        **DOCUMENTED_DEFAULTS["distribution_constraints"],
        **config.get("distribution_constraints", {}),
    }
    expected = [feature["name"] for feature in baseline_constraints["features"]]
    found: list[dict[str, str]] = []
    counts = (
        f"Number of columns in current dataset: {len(frame.columns)}, "
        f"Number of columns in baseline constraints: {len(expected)}"
    )
    found += [
        _violation(
            name, "missing_column_check", f"There are missing columns in current dataset. {counts}"
        )  # fmt: skip
        for name in expected
        if name not in frame.columns
    ]
    found += [
        _violation(
            name, "extra_column_check", f"There are extra columns in current dataset. {counts}"
        )  # fmt: skip
        for name in frame.columns
        if name not in expected
    ]
    sketches = {
        feature["name"]: np.array(
            [
                v
                for level in feature["numerical_statistics"]["distribution"]["kll"]["sketch"][
                    "data"
                ]
                for v in level
            ]  # fmt: skip
        )
        for feature in baseline_statistics["features"]
        if "numerical_statistics" in feature
    }
    items = len(frame)
    for constraint in baseline_constraints["features"]:
        name = constraint["name"]
        if name not in frame.columns:
            continue
        present = frame[name].dropna()
        completeness = len(present) / items if items else 0.0
        if "completeness" in constraint and completeness < constraint["completeness"]:
            found.append(_violation(name, "completeness_check", _unmet(completeness)))
        wanted = constraint["inferred_type"]
        if wanted != "Unknown" and not present.empty:
            kinds = present.map(_kind)
            # A whole number is a number too: it matches Fractional (and only text is String).
            matching = kinds.eq(wanted) | (kinds.eq("Integral") & (wanted == "Fractional"))
            share = float(matching.mean())
            if share < config["datatype_check_threshold"]:
                found.append(_violation(name, "data_type_check", _unmet(share)))
        # Python's float() (correctly rounded, as the baseline's values were read): pandas'
        # faster parser can be one unit in the last place off, a different value to a CDF.
        numbers = np.array([_number(v) for v in present if _kind(v) != "String"])
        if (
            distribution["perform_comparison"] == "Enabled"
            and name in sketches
            and len(numbers)
            and len(sketches[name])
        ):
            distance, pvalue = drift_distance(sketches[name], numbers)
            threshold = distribution["comparison_threshold"]
            significant = (
                distribution["comparison_method"] not in ROBUST or pvalue < ROBUST_SIGNIFICANCE
            )
            if distance > threshold and significant:
                found.append(
                    _violation(
                        name,
                        "baseline_drift_check",
                        f"Numerical distance: {distance} exceeds numerical threshold: {threshold}",
                    )
                )
    return found


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise AnalyzerError(f"cannot read the {what} at {path}: {error}") from None


def analyze(environment: Mapping[str, str]) -> list[dict[str, str]] | None:
    """One analyzer job: the dataset's statistics and suggested constraints written to
    `output_path`; with a baseline (`baseline_constraints`, `baseline_statistics`), the check
    against it too, its violations written and returned (None when nothing was checked)."""
    try:
        dataset_format = json.loads(environment["dataset_format"])
        source, output = Path(environment["dataset_source"]), Path(environment["output_path"])
    except (KeyError, ValueError) as error:
        raise AnalyzerError(f"the analyzer's environment lacks or garbles {error}") from None
    frame = read_dataset(source, dataset_format)
    current = statistics(frame)
    output.mkdir(parents=True, exist_ok=True)
    (output / STATISTICS).write_text(json.dumps(current, indent=2))
    (output / CONSTRAINTS).write_text(json.dumps(suggest_constraints(current), indent=2))
    if "baseline_constraints" not in environment:
        return None
    constraints = _read_json(Path(environment["baseline_constraints"]), "baseline constraints")
    baseline = (
        _read_json(Path(environment["baseline_statistics"]), "baseline statistics")
        if "baseline_statistics" in environment
        else {"features": []}
    )
    found = check(frame, baseline, constraints)
    (output / VIOLATIONS).write_text(json.dumps({"violations": found}, indent=2))
    return found
