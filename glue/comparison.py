"""Champion/challenger: a stage's candidate against the version the next stage serves.

`mlops models compare` runs the stage's comparison pipeline (both models scored on the same
held-out data in one processing job) and records both AUCs on the candidate, with the champion
and the data they were measured on. `mlops models promote` reads that record: a challenger worse
than the champion by more than the next stage's tolerance is not promoted unless forced with a
comment, which the copy's approval keeps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from glue.aws import s3_uri, split_s3
from glue.errors import MlopsError

# What a comparison records on the candidate (customer metadata: flat strings).
COMPARED_CHAMPION = "compared_champion_arn"
CHAMPION_AUC = "champion_auc"
CHALLENGER_AUC = "challenger_auc"
COMPARISON_DATA = "comparison_data_uri"
COMPARISON_REPORT = "comparison_report_uri"
TEST_DATA = "test_data_uri"  # recorded by the training pipeline: the run's held-out split
REPORT_FILE = "evaluation.json"
TERMINAL = ("Succeeded", "Failed", "Stopped")


@dataclass(frozen=True)
class Comparison:
    challenger_arn: str
    champion_arn: str
    challenger_auc: float
    champion_auc: float
    data_uri: str
    ran: bool  # False: compared before with this champion on this data; nothing ran

    def __str__(self) -> str:
        return (
            f"challenger {self.challenger_arn}: AUC {self.challenger_auc:.4f}; champion "
            f"{self.champion_arn}: AUC {self.champion_auc:.4f} (same held-out data: "
            f"{self.data_uri})"
        )


def model_data_url(described: dict[str, Any]) -> str:
    return described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]


def version_name(arn: str) -> str:
    """`<group>/<version>` of a model package ARN, for messages and report paths."""
    return arn.split(":model-package/", 1)[1]


def report_uri(bucket: str, prefix: str, candidate_arn: str, champion_arn: str) -> str:
    """Where the comparison pipeline writes its report (REPORT_FILE) for this pair: under the
    stage's prefix of the artifacts bucket, named by both versions."""
    return s3_uri(
        bucket, prefix, "comparison", version_name(candidate_arn), "vs", version_name(champion_arn)
    )


def held_out_data(candidate: dict[str, Any], given: str | None) -> str:
    if given:
        return given
    uri = (candidate.get("CustomerMetadataProperties") or {}).get(TEST_DATA)
    if not uri:
        raise MlopsError(
            f"{candidate['ModelPackageArn']} records no held-out data ({TEST_DATA}: registered "
            "by an older training pipeline or by hand): give it with --test-data s3://..."
        )
    return uri


def recorded(candidate: dict[str, Any], champion_arn: str, data_uri: str) -> Comparison | None:
    """The comparison recorded on the candidate, if it is with this champion on this data."""
    metadata = candidate.get("CustomerMetadataProperties") or {}
    if metadata.get(COMPARED_CHAMPION) != champion_arn or metadata.get(COMPARISON_DATA) != data_uri:
        return None
    return Comparison(
        candidate["ModelPackageArn"],
        champion_arn,
        float(metadata[CHALLENGER_AUC]),
        float(metadata[CHAMPION_AUC]),
        data_uri,
        ran=False,
    )


def parameters(
    candidate: dict[str, Any], champion: dict[str, Any], data_uri: str, report_uri: str
) -> dict[str, str]:
    """The comparison pipeline's parameters (glue/pipelines/definitions.py)."""
    return {
        "ChallengerModelUri": model_data_url(candidate),
        "ChampionModelUri": model_data_url(champion),
        "TestDataUri": data_uri,
        "ReportUri": report_uri,
    }


def read_report(s3, report_uri: str) -> tuple[float, float]:
    """(challenger AUC, champion AUC) of the comparison's report."""
    bucket, prefix = split_s3(report_uri)
    key = f"{prefix.rstrip('/')}/{REPORT_FILE}"
    try:
        report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return report["metrics"]["auc"]["value"], report["champion"]["metrics"]["auc"]["value"]
    except (ClientError, ValueError, KeyError, TypeError) as error:
        raise MlopsError(
            f"the comparison ended without a report both AUCs can be read from at "
            f"s3://{bucket}/{key} ({type(error).__name__}: {error}): nothing recorded"
        ) from None


def record(
    sagemaker,
    candidate: dict[str, Any],
    champion_arn: str,
    aucs: tuple[float, float],
    data: str,
    report_uri: str,
) -> Comparison:
    """Both AUCs on the candidate, with what they were measured against. The whole metadata is
    given (the lineage too): the update leaves nothing out, whether AWS merges or replaces."""
    metadata = dict(candidate.get("CustomerMetadataProperties") or {})
    metadata.update(
        {
            COMPARED_CHAMPION: champion_arn,
            CHALLENGER_AUC: str(aucs[0]),
            CHAMPION_AUC: str(aucs[1]),
            COMPARISON_DATA: data,
            COMPARISON_REPORT: report_uri,
        }
    )
    sagemaker.update_model_package(
        ModelPackageArn=candidate["ModelPackageArn"], CustomerMetadataProperties=metadata
    )
    return Comparison(candidate["ModelPackageArn"], champion_arn, *aucs, data, ran=True)


def promotion_problem(
    candidate: dict[str, Any], champion: dict[str, Any] | None, target: str, tolerance: float
) -> str | None:
    """Why the candidate may not replace the target stage's champion, or None: no champion
    (the first promotion), or compared with it and not worse beyond the tolerance."""
    if champion is None:
        return None
    name, champion_name = (
        version_name(candidate["ModelPackageArn"]),
        version_name(champion["ModelPackageArn"]),
    )
    metadata = candidate.get("CustomerMetadataProperties") or {}
    if metadata.get(COMPARED_CHAMPION) != champion["ModelPackageArn"]:
        version = candidate["ModelPackageArn"].rsplit("/", 1)[1]
        return (
            f"{name} was not compared with {target}'s champion {champion_name} (`mlops models "
            f"compare --version {version}` records both AUCs on the same held-out data)"
        )
    challenger_auc, champion_auc = float(metadata[CHALLENGER_AUC]), float(metadata[CHAMPION_AUC])
    if challenger_auc < champion_auc - tolerance:
        return (
            f"{name} is worse than {target}'s champion {champion_name}: AUC "
            f"{challenger_auc:.4f} against {champion_auc:.4f} on the same held-out data "
            f"({metadata.get(COMPARISON_DATA)}), more than the tolerance {tolerance:g} "
            f"(challenger_auc_tolerance in {target}'s tfvars)"
        )
    return None


def wait(
    sagemaker,
    execution_arn: str,
    poll_seconds: float = 30,
    timeout_seconds: float = 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Until the pipeline execution ends on SageMaker; an error unless it succeeded."""
    waited = 0.0
    while True:
        status = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        if status["PipelineExecutionStatus"] in TERMINAL:
            break
        if waited >= timeout_seconds:
            raise MlopsError(
                f"{execution_arn} still runs after {timeout_seconds:.0f} s: nothing recorded; "
                "compare again once it has ended"
            )
        sleep(poll_seconds)
        waited += poll_seconds
    if status["PipelineExecutionStatus"] != "Succeeded":
        raise MlopsError(
            f"the comparison {execution_arn} ended {status['PipelineExecutionStatus']}"
            f"{': ' + status['FailureReason'] if status.get('FailureReason') else ''}: nothing "
            "recorded"
        )
