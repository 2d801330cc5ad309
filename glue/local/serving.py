"""A stage's real-time endpoint in the demo: traffic while a deployment goes on, and a broken
version to show an automatic rollback.

The traffic is what a client application sends: rows of features, as the stage's deploy role
(which `mlops endpoint invoke` uses). While it flows, DescribeEndpoint is read as SageMaker's
console would show the deployment (each stage of the new fleet, the share of the traffic it
takes); when the endpoint is in service again, the events the local AWS emitted meanwhile (the
end of the deployment) go through the deployed rules, as EventBridge delivers them: the
deployment function runs again and may start the next deployment (a rollback's), which is then
watched in turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from glue import endpoints, registry, state_store
from glue.aws import assumed_session, client
from glue.errors import MlopsError
from glue.local import operator
from glue.local.emulator.control import Emulator
from glue.local.events import Delivery
from glue.local.services import as_aws

# Longer than any deployment the shipped tfvars ask for, scaled (README, "Real-time serving").
WATCH_SECONDS = 60.0
POLL_SECONDS = 0.05  # between two reads of an endpoint that answers no request yet


@dataclass
class Watched:
    """What the traffic met: the stages of each deployment seen (in order), the requests the
    endpoint answered and those it answered with a 5XX, and the version it serves at the end."""

    endpoint: str
    stages: list[str] = field(default_factory=list)
    answered: int = 0
    failed: int = 0
    serving: str = ""
    check: str | None = None  # the check after the deployment, recorded on the version served

    def saw(self, stage: str) -> None:
        if not self.stages or self.stages[-1] != stage:
            self.stages.append(stage)

    def __str__(self) -> str:
        failed = f"{self.failed} answered 5XX" if self.failed else "none answered 5XX"
        checked = f"; checked: {self.check}" if self.check else ""
        return (
            f"{' -> '.join(self.stages)}; {self.answered + self.failed} requests, {failed}"
            + checked
        )


def _version(config_name: str) -> str:
    version = endpoints.version_of(config_name)
    return f"v{version}" if version else config_name


def _stage(status: dict) -> str:
    """A stage of the new fleet in words: provisioning, or the share of the traffic it takes
    (baking: all of it, the old fleet kept for a rollback)."""
    share = status.get("StatusMessage", "").split(" % ", 1)[0]
    return {"Creating": "provisioning", "Baking": f"{share} % baking"}.get(
        status["Status"], f"{share} %"
    )


# Rows per request: a client sends the batch a few rows at a time, request after request.
ROWS_PER_REQUEST = 10


@dataclass
class Traffic:
    """What a client application sends: rows, a few a request, each request the next rows
    (round and round), from one watch to the next: what the endpoint captures is then a sample
    of the rows' own distribution, as its monitoring expects of clean traffic."""

    rows: bytes
    sent: int = 0
    requests: list[bytes] = field(init=False)

    def __post_init__(self) -> None:
        lines = self.rows.splitlines(keepends=True)
        step = ROWS_PER_REQUEST
        self.requests = [b"".join(lines[i : i + step]) for i in range(0, len(lines), step)]

    def next_request(self) -> bytes:
        body = self.requests[self.sent % len(self.requests)]
        self.sent += 1
        return body


def _request(runtime, name: str, traffic: Traffic, watched: Watched) -> None:
    body = traffic.next_request()
    try:
        runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv")
        watched.answered += 1
    except ClientError as error:
        if error.response.get("OriginalStatusCode", 0) < 500:
            raise
        watched.failed += 1


def _client_of(config, emulator: Emulator):
    """(the stage's endpoint, SageMaker and its runtime as the stage's deploy role: what a
    client application and `mlops endpoint` use)."""
    platform = state_store.workload_platform(config, emulator)
    with operator.acting_as_ci():
        session = assumed_session(
            platform.deploy_role_arn, config.region, emulator, f"mlops-endpoint-{config.name}"
        )
    if platform.endpoint_name is None:
        raise MlopsError(f"{config.name} has no real-time endpoint (its tfvars name none)")
    sagemaker = client(session, "sagemaker", emulator)
    return platform.endpoint_name, sagemaker, client(session, "sagemaker-runtime", emulator)


def send(config, emulator: Emulator, rows: bytes) -> Watched:
    """Send every row once to the stage's endpoint, a few a request."""
    name, _, runtime = _client_of(config, emulator)
    watched = Watched(name)
    traffic = Traffic(rows)
    for _ in traffic.requests:
        _request(runtime, name, traffic, watched)
    return watched


def watch(
    config,
    emulator: Emulator,
    traffic: Traffic,
    deliver: Callable[[], list[Delivery]],
    seconds: float = WATCH_SECONDS,
) -> Watched:
    """Send the traffic to the stage's endpoint until no deployment is in progress and none
    starts once the events emitted meanwhile are delivered."""
    name, sagemaker, runtime = _client_of(config, emulator)
    watched = Watched(name)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        described = sagemaker.describe_endpoint(EndpointName=name)
        pending = described.get("PendingDeploymentSummary")
        if described["EndpointStatus"] == "Creating":  # its first fleet: nothing answers yet
            watched.saw(f"{_version(described['EndpointConfigName'])} provisioning")
            time.sleep(POLL_SECONDS)
            continue
        if pending is None:
            if described["EndpointStatus"] != "InService":
                raise MlopsError(
                    f"{name} is {described['EndpointStatus']}: "
                    f"{described.get('FailureReason', 'no reason given')}"
                )
            watched.serving = _version(described["EndpointConfigName"])
            watched.saw(f"{watched.serving} serves")
            deliver()  # the deployment's end: the function runs again
            if "PendingDeploymentSummary" not in sagemaker.describe_endpoint(EndpointName=name):
                _request(runtime, name, traffic, watched)  # what serves now answers
                config_name = described["EndpointConfigName"]
                watched.check = endpoints.check_of(sagemaker, described["EndpointArn"], config_name)
                return watched
            continue
        [variant, *_] = pending["ProductionVariants"]
        [status, *_] = variant["VariantStatus"]
        watched.saw(f"{_version(pending['EndpointConfigName'])} {_stage(status)}")
        _request(runtime, name, traffic, watched)
    raise MlopsError(f"{name} was still deploying after {seconds:.0f} s")


def register_broken_copy(registry_config, stage_config, emulator: Emulator) -> tuple[int, int]:
    """Fault injection: a copy of the version the stage serves whose model artifact is its
    evaluation report, not a model (a registration gone wrong), registered by the registry
    account's owner, pending approval. (its number, the number of the version copied)"""
    group_arn = state_store.workload_platform(stage_config, emulator).model_package_group_arn
    session = as_aws(emulator, registry_config.account_id, registry_config.region)
    sagemaker = client(session, "sagemaker", emulator)
    source = registry.serving(sagemaker, group_arn)
    if source is None:
        raise MlopsError(f"{stage_config.name} serves no version to copy")
    [container] = source["InferenceSpecification"]["Containers"]
    report = source["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    kept = ("ModelMetrics", "DriftCheckBaselines", "CustomerMetadataProperties")
    created = sagemaker.create_model_package(
        ModelPackageGroupName=group_arn,
        ModelPackageDescription=(
            f"fault injection: a copy of {source['ModelPackageArn']} with its evaluation report "
            "as its model"
        ),
        InferenceSpecification={
            **source["InferenceSpecification"],
            "Containers": [{**container, "ModelDataUrl": report}],
        },
        ModelApprovalStatus="PendingManualApproval",
        **{key: source[key] for key in kept if source.get(key)},
    )
    number = int(created["ModelPackageArn"].rsplit("/", 1)[1])
    return number, int(source["ModelPackageVersion"])
