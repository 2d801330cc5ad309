"""The compliance view of the model registry: `mlops governance report` and `reconcile`.

Read as the registry account, which owns the groups: per group (each stage's), every version
with its status, the comment of its last approval or rejection, when it was made and by whom
(from the governance table, which the versions' own events fill), its AUC, and for a promoted
copy the version it came from. Flags what a compliance officer must look at: an approval without
a comment, a copy served in a stage whose source was rejected since, the version each stage
serves when its approval carries no comment or the table holds no record of it. For the version
each stage serves: the data-quality baseline it was registered with and the violations Model
Monitor found in the stage's last inference batch (a drifted batch fails its run before anything
is scored). `reconcile` lists where the table and the registry disagree. Rendered as one
self-contained HTML page (a chart of AUC over versions drawn in SVG, no script, nothing
fetched), as Markdown, or as CSV for a spreadsheet or a BI tool.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from glue import people, registry
from glue.aws import Target, client
from glue.config import EnvironmentConfig
from glue.contract import RegistryContract
from glue.errors import MlopsError
from glue.files import write_output
from glue.pipelines.definitions import VIOLATIONS_FILE
from glue.settings import PROJECT_ROOT, reports_dir
from glue.steps.governance_recorder import CURRENT, GROUP_KEY
from glue.steps.latest_approved_model import drift_check_baselines

SOURCE = "source_model_package_arn"  # metadata a promotion writes on the copy


@dataclass
class VersionRow:
    stage: str
    group: str
    version: int
    arn: str
    status: str
    comment: str
    changed: str  # when the version was created or its status last changed (UTC)
    changed_by: str  # who: the person (source identity) as the role, from the change's event
    auc: float | None
    promoted_from: str = ""  # "<stage> v<N>" of the source of a promoted copy
    served: bool = False  # the version the stage's inference Lambda picks now
    flags: list[str] = field(default_factory=list)
    # For the served version: its drift check baselines (statistics, constraints) and the
    # stage's last data-quality check.
    baseline: tuple[str, str] | None = None
    quality: QualityCheck | None = None


@dataclass(frozen=True)
class QualityCheck:
    """Model Monitor's report of a stage's last inference batch: which run, when, and each
    violation (feature, check, description)."""

    run: str
    uri: str
    checked: str
    violations: list[dict[str, str]]

    def summary(self) -> str:
        if not self.violations:
            return f"run {self.run} ({self.checked}): no violation"
        found = "; ".join(
            f"{v['feature_name']} {v['constraint_check_type']}: {v['description'].strip()}"
            for v in self.violations
        )
        return f"run {self.run} ({self.checked}): {found}"


def read_violations(s3, bucket: str, key: str) -> list[dict[str, str]]:
    """The violations of Model Monitor's report (constraint_violations.json) at the key; a
    file that is not one is a clear error."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    fields = ("feature_name", "constraint_check_type", "description")
    try:
        violations = json.loads(body)["violations"]
        if not all(isinstance(v[f], str) for v in violations for f in fields):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise MlopsError(f"s3://{bucket}/{key} is not Model Monitor's violations report") from None
    return violations


def last_quality_check(s3, bucket: str, prefix: str) -> QualityCheck | None:
    """The newest constraint_violations.json under a stage's report folder (one folder per
    inference run), read: the stage's last checked batch, whichever version served it (a run
    that failed before its check wrote none); None before any run checked a batch. Two runs
    within the same second (S3's LastModified) are told apart by nothing: either may show."""
    newest = None
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/")
    for page in pages:
        for item in page.get("Contents", []):
            if item["Key"].endswith(f"/{VIOLATIONS_FILE}") and (
                newest is None or item["LastModified"] > newest["LastModified"]
            ):
                newest = item
    if newest is None:
        return None
    violations = read_violations(s3, bucket, newest["Key"])
    return QualityCheck(
        run=newest["Key"][len(prefix) + 1 :].split("/", 1)[0],
        uri=f"s3://{bucket}/{newest['Key']}",
        checked=_when(newest["LastModified"]),
        violations=violations,
    )


def _when(moment: datetime | None) -> str:
    if not isinstance(moment, datetime):
        return ""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _auc(metadata: dict[str, str]) -> float | None:
    try:
        return float(metadata["auc"])
    except (KeyError, ValueError):
        return None


def recorded_versions(table, platform: RegistryContract) -> dict[str, dict[str, Any]]:
    """The governance table's current-state item of every version it recorded, by ARN."""
    current: dict[str, dict[str, Any]] = {}
    for group_arn in platform.model_package_group_arns.values():
        arguments: dict[str, Any] = {
            "KeyConditionExpression": Key(GROUP_KEY).eq(group_arn.rsplit("/", 1)[1]),
            "ConsistentRead": True,
        }
        while True:
            page = table.query(**arguments)
            for item in page["Items"]:
                if item.get("kind") == CURRENT:
                    current[item["model_package_arn"]] = item
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return current


def differences(rows: list[VersionRow], recorded: dict[str, dict[str, Any]]) -> list[str]:
    """Where the table's current state is not the registry's, one line each."""
    found = []
    for row in rows:
        item = recorded.get(row.arn)
        if item is None:
            found.append(
                f"{row.group} v{row.version}: in the registry ({row.status}), not in the table"
            )
        elif item["status"] != row.status:
            found.append(
                f"{row.group} v{row.version}: {row.status} in the registry, {item['status']} in "
                "the table"
            )
        elif (item.get("comment") or "") != row.comment:
            found.append(
                f"{row.group} v{row.version}: approval comment {row.comment!r} in the registry, "
                f"{item.get('comment') or ''!r} in the table (a change of the comment alone "
                "emits no event: it was made outside mlops, e.g. in the console)"
            )
    known = {row.arn for row in rows}
    found += [
        f"{item['model_package_group']} v{item['version']}: in the table, not in the registry"
        for arn, item in sorted(recorded.items())
        if arn not in known
    ]
    return found


def collect(
    sagemaker, platform: RegistryContract, recorded: dict[str, dict[str, Any]], s3=None
) -> list[VersionRow]:
    """Every version of every group of the registry, described, linked and flagged; the
    served ones with their baseline, and (given `s3`) their stage's last data-quality check."""
    rows: list[VersionRow] = []
    sources: dict[str, str] = {}  # a promoted copy's ARN -> its source's ARN
    trainers: dict[str, str] = {}  # a version's ARN -> who started its training
    for stage, group_arn in sorted(platform.model_package_group_arns.items()):
        served = registry.serving(sagemaker, group_arn) or {}  # none approved: none served
        for summary in registry.list_versions(sagemaker, group_arn):
            sources[summary.arn] = summary.metadata.get(SOURCE, "")
            trainers[summary.arn] = summary.metadata.get(registry.TRAINED_BY, "")
            rows.append(
                VersionRow(
                    stage=stage,
                    group=group_arn.rsplit("/", 1)[1],
                    version=summary.version,
                    arn=summary.arn,
                    status=summary.status,
                    comment=summary.comment,
                    changed=_when(summary.changed),
                    changed_by=_by(recorded.get(summary.arn, {})),
                    auc=_auc(summary.metadata),
                    served=summary.arn == served.get("ModelPackageArn"),
                )
            )
            if rows[-1].served:
                rows[-1].baseline = drift_check_baselines(served)
            if rows[-1].served and s3 is not None:
                rows[-1].quality = last_quality_check(
                    s3,
                    platform.artifacts_bucket_name,
                    platform.data_quality_report_prefixes[stage],
                )
    by_arn = {row.arn: row for row in rows}
    for row in rows:
        source = by_arn.get(sources[row.arn])
        if source is not None:
            row.promoted_from = f"{source.stage} v{source.version}"
            if source.status == registry.REJECTED and row.status == registry.APPROVED:
                row.flags.append(
                    f"approved copy of {source.stage} v{source.version}, which was rejected since"
                )
        if row.status == registry.APPROVED and not row.comment:
            row.flags.append("approved without a comment")
            if row.served:
                row.flags.append(f"served in {row.stage} without an approval comment")
        if row.served and row.baseline is None:
            row.flags.append(
                f"served in {row.stage} without a data-quality baseline: its inference fails"
            )
        if row.served and recorded.get(row.arn, {}).get("status") != registry.APPROVED:
            row.flags.append(f"served in {row.stage} without an approval record in the table")
        item = recorded.get(row.arn, {})
        decided = row.status in (registry.APPROVED, registry.REJECTED)
        if decided and item.get("status") == row.status and not item.get("source_identity"):
            row.flags.append(f"{row.status.lower()} without a person's identity on the session")
        trainer = trainers.get(row.arn)
        if row.status == registry.APPROVED and trainer and trainer == item.get("source_identity"):
            row.flags.append(f"approved by its trainer, {trainer} (four eyes)")
    return rows


def _by(item: dict[str, Any]) -> str:
    """Who made the recorded change: the person, as the role they acted in."""
    arn, person = str(item.get("changed_by") or ""), item.get("source_identity")
    return f"{person} as {arn}" if person else arn


def _chart(rows: list[VersionRow], width: int = 640, height: int = 220) -> dict[str, Any]:
    """Polylines of AUC over version number, one per stage, scaled into the SVG's box."""
    pad = 30
    series: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        if row.auc is not None:
            series.setdefault(row.stage, []).append((row.version, row.auc))
    versions = [v for points in series.values() for v, _ in points] or [1]
    low, high = min(versions), max(max(versions), min(versions) + 1)

    def x(version: int) -> float:
        return round(pad + (width - 2 * pad) * (version - low) / (high - low), 1)

    def y(auc: float) -> float:
        return round(height - pad - (height - 2 * pad) * auc, 1)

    lines = [
        {
            "stage": stage,
            "points": " ".join(f"{x(v)},{y(a)}" for v, a in sorted(points)),
            "dots": [
                {"x": x(v), "y": y(a), "label": f"{stage} v{v}: AUC {a:.3f}"} for v, a in points
            ],
        }
        for stage, points in sorted(series.items())
    ]
    ticks = [{"x": x(v), "label": f"v{v}"} for v in sorted(set(versions))]
    return {"width": width, "height": height, "pad": pad, "lines": lines, "ticks": ticks, "y": y}


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a comment starting with = + - @ would otherwise
    be run as a formula (CSV injection)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render(rows: list[VersionRow], fmt: str, generated: str) -> str:
    """The report in one of FORMATS."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "stage",
                "group",
                "version",
                "status",
                "served",
                "comment",
                "changed",
                "changed_by",
                "auc",
                "promoted_from",
                "flags",
                "arn",
                "baseline_statistics",
                "baseline_constraints",
                "last_data_quality_check",
            ]
        )
        for row in rows:
            writer.writerow(
                _cell(value)
                for value in [
                    row.stage,
                    row.group,
                    row.version,
                    row.status,
                    str(row.served).lower(),
                    row.comment,
                    row.changed,
                    row.changed_by,
                    "" if row.auc is None else f"{row.auc:.4f}",
                    row.promoted_from,
                    "; ".join(row.flags),
                    row.arn,
                    *(row.baseline or ("", "")),
                    row.quality.summary() if row.quality else "",
                ]
            )
        return out.getvalue()
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROJECT_ROOT / "glue" / "templates"),
        autoescape=fmt == "html",
        keep_trailing_newline=True,
    )
    template = environment.get_template(f"governance_report.{fmt}.j2")
    return template.render(
        rows=rows,
        flagged=[row for row in rows if row.flags],
        stages=sorted({row.stage for row in rows}),
        chart=_chart(rows),
        generated=generated,
    )


def write(
    registry_config: EnvironmentConfig,
    target: Target,
    fmt: str,
    out: Path | None = None,
) -> tuple[Path, list[VersionRow]]:
    """Read the registry as its own account, render, write (default reports/governance.<fmt>)."""
    rows, _ = read(registry_config, target, data_quality=True)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = out or reports_dir() / f"governance.{fmt}"
    write_output(out, render(rows, fmt, generated).encode())
    return out, rows


def read(
    registry_config: EnvironmentConfig, target: Target, data_quality: bool = False
) -> tuple[list[VersionRow], dict[str, dict[str, Any]]]:
    """The registry's versions and the table's current items (and with `data_quality`, each
    stage's last data-quality check), all read by the person as the governance reader role."""
    session, _ = people.as_reader(registry_config, target)
    platform = people.registry_contract(session, registry_config, target)
    table = session.resource("dynamodb", endpoint_url=target.endpoint).Table(
        platform.governance_table_name
    )
    try:
        recorded = recorded_versions(table, platform)
    except ClientError as error:
        raise MlopsError(
            f"cannot read the governance table {platform.governance_table_name} as the "
            f"governance reader ({error})"
        ) from None
    sagemaker = client(session, "sagemaker", target)
    s3 = client(session, "s3", target) if data_quality else None
    return collect(sagemaker, platform, recorded, s3), recorded


def reconcile(registry_config: EnvironmentConfig, target: Target) -> list[str]:
    """`mlops governance reconcile`: the table against the registry, one line per difference."""
    rows, recorded = read(registry_config, target)
    return differences(rows, recorded)
