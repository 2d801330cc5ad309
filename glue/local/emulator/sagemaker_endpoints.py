"""Real-time endpoints as SageMaker deploys them, on the emulator this project starts.

moto 5.2.5 lacks UpdateEndpoint, and its CreateModel, CreateEndpointConfig and CreateEndpoint
replace what exists under the name; AWS refuses a second creation ("Cannot create already
existing ..."), which the endpoint deployment function relies on never meeting twice.

UpdateEndpoint here carries out SageMaker's blue/green deployment: the new fleet is provisioned
beside the old, the traffic shifts to it as the DeploymentConfig's TrafficRoutingConfiguration
says (all at once; a canary, then the rest after WaitIntervalInSeconds; or linear steps, each
followed by that wait), then the old fleet is kept TerminationWaitInSeconds (baking) before it
goes. While it lasts, the endpoint is `Updating` and still names its old config, and
PendingDeploymentSummary shows the new config's stage (Creating, ActivatingTraffic with the
share moved so far, Baking). If one of AutoRollbackConfiguration's alarms is in ALARM during the
deployment, the traffic goes back to the old fleet: the endpoint is `InService` on its old
config again. An update without DeploymentConfig shifts all at once, with no baking.

Waits are scaled: a local deployment takes MLOPS_EMULATOR_DEPLOYMENT_TIME_SCALE (default 0.01)
of AWS's seconds, so a 300 s canary wait takes 3 s. New fleets are provisioned in
PROVISIONING_SECONDS (AWS: minutes), a new endpoint's too: it is `Creating` until then, answers
no invocation (as an endpoint not found) and takes no update, then `InService` (each a state
change event). The deployment advances when the endpoint is read or
updated (DescribeEndpoint, UpdateEndpoint), and the alarms are read then: an alarm that went to
ALARM and back between two reads is not seen.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from glue.local.emulator import alarms, sagemaker_events, timescale

# Seconds (local) a new fleet takes to come up.
PROVISIONING_SECONDS = 0.5
_DEPLOYMENTS_ATTRIBUTE = "_mlops_endpoint_deployments"
_CREATING_ATTRIBUTE = "_mlops_endpoints_creating"
# Reads and updates of an endpoint one at a time: a deployment advances once per moment.
_ADVANCING = threading.Lock()


@dataclass(frozen=True)
class Phase:
    """A stage of the new fleet's deployment: its status, the share of the traffic it takes
    (percent), and how long it lasts (local seconds)."""

    status: str
    weight: int
    seconds: float


def phases(deployment_config: dict[str, Any] | None) -> list[Phase]:
    """The stages a blue/green update goes through, from its DeploymentConfig."""
    scale = timescale.time_scale()
    policy = (deployment_config or {}).get("BlueGreenUpdatePolicy", {})
    routing = policy.get("TrafficRoutingConfiguration", {"Type": "ALL_AT_ONCE"})
    wait = routing.get("WaitIntervalInSeconds", 0) * scale
    stages = [Phase("Creating", 0, PROVISIONING_SECONDS)]
    if routing["Type"] == "CANARY":
        stages.append(Phase("ActivatingTraffic", routing["CanarySize"]["Value"], wait))
    elif routing["Type"] == "LINEAR":
        step = routing["LinearStepSize"]["Value"]
        stages += [Phase("ActivatingTraffic", share, wait) for share in range(step, 100, step)]
    stages.append(Phase("Baking", 100, policy.get("TerminationWaitInSeconds", 0) * scale))
    return stages


@dataclass
class Deployment:
    old_config: str
    new_config: str
    stages: list[Phase]
    alarms: list[str]
    started: float = field(default_factory=time.monotonic)
    requests: int = 0  # routed so far: the new fleet takes `weight` of each hundred
    started_at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )

    def stage(self, now: float) -> tuple[Phase, float] | None:
        """The stage at `now` and when it started (monotonic), or None once all are over."""
        start = self.started
        for phase in self.stages:
            if now < start + phase.seconds:
                return phase, start
            start += phase.seconds
        return None


def _deployments(backend: SageMakerModelBackend) -> dict[str, Deployment]:
    if not hasattr(backend, _DEPLOYMENTS_ATTRIBUTE):
        setattr(backend, _DEPLOYMENTS_ATTRIBUTE, {})
    return getattr(backend, _DEPLOYMENTS_ATTRIBUTE)


def _creating(backend: SageMakerModelBackend) -> dict[str, float]:
    """The endpoints being created, and when their creation started (monotonic)."""
    if not hasattr(backend, _CREATING_ATTRIBUTE):
        setattr(backend, _CREATING_ATTRIBUTE, {})
    return getattr(backend, _CREATING_ATTRIBUTE)


def _alarming(backend: SageMakerModelBackend, names: list[str]) -> list[str]:
    alarms = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    return [name for name in names if name in alarms and alarms[name].state_value == "ALARM"]


def _serve(endpoint: FakeEndpoint, config: dict[str, Any], name: str) -> None:
    endpoint.endpoint_config_name = name
    endpoint.production_variants = endpoint._process_production_variants(
        config["ProductionVariants"]
    )
    endpoint.data_capture_config = config.get("DataCaptureConfig")
    endpoint.last_modified_time = utcnow()


def advance(backend: SageMakerModelBackend, name: str) -> Deployment | None:
    """Bring the endpoint's deployment to now: the new config serves once its stages are over;
    an alarm in ALARM before then rolls it back. Returns the deployment still in progress."""
    started = _creating(backend).get(name)
    if started is not None and time.monotonic() >= started + PROVISIONING_SECONDS:
        del _creating(backend)[name]  # its fleet is up: in service
        backend.endpoints[name].endpoint_status = "InService"
        backend.endpoints[name].last_modified_time = utcnow()
        sagemaker_events.endpoint_state_change(backend.describe_endpoint(name))
    deployment = _deployments(backend).get(name)
    if deployment is None:
        return None
    endpoint = backend.endpoints[name]
    alarms.evaluate(backend.account_id, backend.region_name, name)
    if _alarming(backend, deployment.alarms):
        del _deployments(backend)[name]
        endpoint.endpoint_status = "InService"  # on the old fleet, which never stopped serving
        endpoint.last_modified_time = utcnow()
        sagemaker_events.endpoint_state_change(backend.describe_endpoint(name))
        return None
    if deployment.stage(time.monotonic()) is not None:
        return deployment
    del _deployments(backend)[name]
    _serve(endpoint, backend.describe_endpoint_config(deployment.new_config), deployment.new_config)
    endpoint.endpoint_status = "InService"
    sagemaker_events.endpoint_state_change(backend.describe_endpoint(name))
    return None


def routed(backend: SageMakerModelBackend, name: str) -> str | None:
    """The endpoint config whose fleet takes the next request (None: no such endpoint): the
    new fleet takes its share of the traffic while it is shifted, every request afterwards."""
    with _ADVANCING:
        if name not in backend.endpoints:
            return None
        deployment = advance(backend, name)
        if name in _creating(backend):
            return None  # no fleet serves it yet
        serving = backend.endpoints[name].endpoint_config_name
        if deployment is None:
            return serving
        current = deployment.stage(time.monotonic())
        weight = current[0].weight if current else 100
        deployment.requests += 1
        return deployment.new_config if deployment.requests % 100 < weight else serving


def _pending_summary(deployment: Deployment, config: dict[str, Any]) -> dict[str, Any]:
    now = time.monotonic()
    phase, since = deployment.stage(now) or (deployment.stages[-1], now)
    started = deployment.started_at + datetime.timedelta(seconds=since - deployment.started)
    return {
        "EndpointConfigName": deployment.new_config,
        "StartTime": deployment.started_at.isoformat(),
        "ProductionVariants": [
            {
                "VariantName": variant["VariantName"],
                # The variant's weight, as AWS gives it; the share of the traffic the new fleet
                # has taken is in the status's message.
                "CurrentWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "DesiredWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "VariantStatus": [
                    {
                        "Status": phase.status,
                        "StatusMessage": f"{phase.weight} % of the traffic on the new fleet",
                        "StartTime": started.isoformat(),
                    }
                ],
            }
            for variant in config["ProductionVariants"]
        ],
    }


def describe_endpoint(backend: SageMakerModelBackend, name: str) -> dict[str, Any]:
    with _ADVANCING:
        if name not in backend.endpoints:
            return backend.describe_endpoint(name)  # moto's "Could not find endpoint"
        deployment = advance(backend, name)
        described = backend.describe_endpoint(name)
        if deployment is not None:
            config = backend.describe_endpoint_config(deployment.new_config)
            described["PendingDeploymentSummary"] = _pending_summary(deployment, config)
        return described


def update_endpoint(
    backend: SageMakerModelBackend,
    name: str,
    config_name: str,
    deployment_config: dict[str, Any] | None,
) -> str:
    with _ADVANCING:
        if name not in backend.endpoints:
            arn = FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)
            raise ValidationError(message=f"Could not find endpoint '{arn}'.")
        endpoint = backend.endpoints[name]
        advance(backend, name)
        if endpoint.endpoint_status != "InService":
            raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
        config = backend.describe_endpoint_config(config_name)  # "Could not find ..."
        serving = backend.describe_endpoint_config(endpoint.endpoint_config_name)
        variants = [v["VariantName"] for v in config["ProductionVariants"]]
        if variants != [v["VariantName"] for v in serving["ProductionVariants"]]:
            # SageMaker's guide, exclusions of deployment guardrails.
            raise ValidationError(
                message="The new endpoint configuration must have the same variant names as "
                f"the old one for a blue/green deployment: {variants}"
            )
        alarms = [
            alarm["AlarmName"]
            for alarm in (deployment_config or {})
            .get("AutoRollbackConfiguration", {})
            .get("Alarms", [])
        ]
        _deployments(backend)[name] = Deployment(
            endpoint.endpoint_config_name, config_name, phases(deployment_config), alarms
        )
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        sagemaker_events.endpoint_state_change(backend.describe_endpoint(name))
        return endpoint.arn


def _refusing_existing(kind: str, registry: Callable[[SageMakerModelBackend], dict]) -> Callable:
    """A creation AWS refuses when the name exists; moto would replace it."""

    def wrap(original: Callable) -> Callable:
        def create(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
            name = kwargs.get(f"{kind.replace('-', '_')}_name", args[0] if args else "")
            if name in registry(self):
                arn = arn_formatter(kind, name, self.account_id, self.region_name)
                words = {"model": "model", "endpoint-config": "endpoint configuration"}
                raise ValidationError(
                    message=f'Cannot create already existing {words.get(kind, kind)} "{arn}".'
                )
            return original(self, *args, **kwargs)

        return create

    return wrap


def _respond_update(self: SageMakerResponse) -> ActionResult:
    arn = update_endpoint(
        self.sagemaker_backend,
        self._get_param("EndpointName"),
        self._get_param("EndpointConfigName"),
        self._get_param("DeploymentConfig"),
    )
    return ActionResult({"EndpointArn": arn})


def _respond_describe(self: SageMakerResponse) -> ActionResult:
    return ActionResult(describe_endpoint(self.sagemaker_backend, self._get_param("EndpointName")))


def install() -> None:
    """UpdateEndpoint, deployments seen by DescribeEndpoint, creations that refuse an existing
    name (idempotent)."""
    if getattr(SageMakerResponse, "_mlops_endpoints", False):
        return
    SageMakerResponse.update_endpoint = _respond_update
    SageMakerResponse.describe_endpoint = _respond_describe
    original_delete = SageMakerModelBackend.delete_endpoint

    def delete_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> None:
        with _ADVANCING:
            original_delete(self, endpoint_name)
            _deployments(self).pop(endpoint_name, None)
            _creating(self).pop(endpoint_name, None)

    SageMakerModelBackend.delete_endpoint = delete_endpoint
    original_create = SageMakerModelBackend.create_endpoint

    def create_endpoint(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        created = original_create(self, *args, **kwargs)
        with _ADVANCING:  # its fleet comes up first (moto had it in service at once)
            created.endpoint_status = "Creating"
            _creating(self)[created.endpoint_name] = time.monotonic()
        sagemaker_events.endpoint_state_change(self.describe_endpoint(created.endpoint_name))
        return created

    SageMakerModelBackend.create_endpoint = create_endpoint
    for method, kind, registry in (
        ("create_model", "model", lambda backend: backend._models),
        ("create_endpoint_config", "endpoint-config", lambda backend: backend.endpoint_configs),
        ("create_endpoint", "endpoint", lambda backend: backend.endpoints),
    ):
        original = getattr(SageMakerModelBackend, method)
        setattr(SageMakerModelBackend, method, _refusing_existing(kind, registry)(original))
    SageMakerResponse._mlops_endpoints = True
