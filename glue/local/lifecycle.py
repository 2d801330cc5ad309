"""The model lifecycle of the reference walkthrough, on deployed environments.

Train in dev on the data, approve (the approval event, forwarded by the registry, starts dev's
inference), promote to prod (the approved copy's event starts prod's inference on a clean batch,
which succeeds); train a challenger in dev, compare it with prod's champion on the same
held-out data, promote it (prod serves it); infer on a batch with outliers (fails): the failure
event goes through the deployed EventBridge rules, which start retraining in prod on the
enlarged training set and notify the failure topic; the retrained version is approved in prod,
then rolled back, and the next inference run serves the version before it. A stage with a
real-time endpoint is sent traffic after each decision until the deployment it started has
ended (glue/local/serving.py); prod's, last, gets a broken version, whose canary rolls back.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glue import governance, people, state_store
from glue.aws import assumed_session, client, split_s3
from glue.compliance import read_violations
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig, load
from glue.contract import WorkloadContract
from glue.errors import MlopsError
from glue.local import monitoring, operator, sample_data, serving
from glue.local.emulator.control import Emulator
from glue.local.events import Delivery, EventRouter, deliver_emitted
from glue.local.runner import VIOLATION_REPORT, Execution, LocalRunner
from glue.local.services import as_aws
from glue.pipelines.definitions import PipelineSettings
from glue.pipelines.start import TRAINED_BY, trained_by
from glue.pipelines.upsert import settings_for
from glue.registry import ModelVersion

Timed = Callable[[str, str, Callable[[], Any]], Any]


@dataclass
class Stage:
    """One deployed workload environment with its runner and event router."""

    config: EnvironmentConfig
    settings: PipelineSettings
    session: Any  # the account's root: AWS's services reading it, the data its owner puts there
    runner: LocalRunner
    router: EventRouter
    endpoint: str | None = None  # its real-time endpoint, if its tfvars ask for one
    monitoring_schedule: str | None = None  # its endpoint's Model Monitor schedule, if any

    @property
    def where(self) -> str:
        return f"{self.config.name} ({self.config.account_id})"

    def put(self, uri: str, text: str) -> None:
        bucket, key = split_s3(uri)
        client(self.session, "s3", self.runner.emulator).put_object(
            Bucket=bucket, Key=key, Body=text.encode()
        )

    def training_data_uri(self) -> str:
        return self.settings.s3("training", "input", "data.csv")

    def batch_uri(self) -> str:
        return self.settings.s3("inference", "input", "batch.csv")


@dataclass(frozen=True)
class Outcome:
    trained: Execution
    promoted: ModelVersion
    deliveries: list[Delivery]


def stage(config: EnvironmentConfig, emulator: Emulator, workdir: Path) -> Stage:
    """The stage's runner and router: SageMaker, EventBridge and Lambda read the account as
    AWS does (its root), and a pipeline that no rule starts is started as CI starts it (the
    stage's deploy role, as `mlops pipelines start`)."""
    platform = state_store.workload_platform(config, emulator)
    session = as_aws(emulator, config.account_id, config.region)
    starter = assumed_session(
        platform.deploy_role_arn, config.region, emulator, f"mlops-start-{config.name}"
    )
    runner = LocalRunner(session, emulator, workdir / config.name, starter)
    settings = settings_for(config, platform)
    router = EventRouter(config.account_id, session, emulator, runner)
    return Stage(
        config,
        settings,
        session,
        runner,
        router,
        platform.endpoint_name,
        platform.monitoring_schedule_name,
    )


def auc(execution: Execution) -> float | None:
    report = execution.properties.get("Steps.Evaluate.PropertyFiles.EvaluationReport", {})
    return report.get("metrics", {}).get("auc", {}).get("value")


def registered_version(execution: Execution) -> int | None:
    arn = execution.properties.get("Steps.RegisterModel.ModelPackageArn")
    return int(arn.rsplit("/", 1)[1]) if arn else None


def retrained_version(deliveries: list[Delivery]) -> int | None:
    """The model version registered by a run that the routed event started (the retraining)."""
    versions = (registered_version(d.execution) for d in deliveries if d.execution)
    return next((v for v in versions if v is not None), None)


def reason(execution: Execution, width: int = 160) -> str:
    """Why the run failed, on one line, shortened at a whole word (never within one)."""
    return textwrap.TextWrapper(
        width, max_lines=1, placeholder=" ...", break_long_words=False, break_on_hyphens=False
    ).fill(execution.failure_reason)


SERVED = "Steps.LatestApprovedModel.OutputParameters['ModelPackageArn']"


def describe(execution: Execution) -> str:
    parts = [execution.status]
    if SERVED in execution.properties:  # an inference run: the version its Lambda picked
        parts.append(f"served v{execution.properties[SERVED].rsplit('/', 1)[1]}")
    if auc(execution) is not None:
        parts.append(f"AUC {auc(execution):.3f}")
    if registered_version(execution) is not None:
        parts.append(f"registered v{registered_version(execution)}")
    if execution.failure_reason:
        parts.append(reason(execution))
    return ", ".join(parts)


def delivered(deliveries: list[Delivery]) -> tuple[str, ...]:
    """Each rule that fired, its target and what happened there (a run: how it ended)."""
    return tuple(
        f"rule {d.rule} -> {d.target.rsplit(':', 1)[-1]}: "
        + (describe(d.execution) if d.execution else d.outcome)
        for d in deliveries
    )


def violations(stage: Stage, execution: Execution) -> list[dict[str, str]]:
    """What Model Monitor found in the run's batch: its data-quality check's violation report,
    read as the pipeline's role (which wrote it); none when no check reported."""
    reports = [v for k, v in execution.properties.items() if k.endswith(VIOLATION_REPORT)]
    return [
        violation
        for report in reports
        for violation in read_violations(stage.runner.s3, *split_s3(report))
    ]


def _require(execution: Execution, status: str) -> Execution:
    if execution.status != status:
        raise MlopsError(
            f"{execution.pipeline} ended {execution.status}, expected {status}: "
            f"{execution.failure_reason}"
        )
    return execution


def registry_router(
    registry_config: EnvironmentConfig, emulator: Emulator, stages: list[Stage]
) -> EventRouter:
    """The registry account's router: it owns the groups, so SageMaker emits the versions'
    state changes there; its rules forward approvals to the stages' buses."""
    session = as_aws(emulator, registry_config.account_id, registry_config.region)
    stage_routers = {s.config.account_id: s.router for s in stages}
    return EventRouter(registry_config.account_id, session, emulator, None, stage_routers)


def deliver(registry: EventRouter) -> list[Delivery]:
    """Deliver what the local AWS emitted meanwhile, as EventBridge does: the versions' state
    changes in the registry account that owns the groups, and the stages' own (an endpoint's
    state changes) in theirs."""
    return deliver_emitted(registry.emulator, {**registry.accounts, registry.account: registry})


def deliver_here(
    registry_config: EnvironmentConfig, emulator: Emulator, workdir: Path
) -> list[Delivery]:
    """`deliver` for a command: through the rules of the registry and of each stage applied
    on this local AWS (a stage not applied has no rules to run). EventBridge delivers and CI's
    tools read the stages' contracts: not the person whose command caused the events."""
    with operator.acting_as_ci():
        stages = []
        for name in WORKLOAD_ENVIRONMENTS:
            with contextlib.suppress(MlopsError):
                stages.append(stage(load(name, None), emulator, workdir))
        return deliver(registry_router(registry_config, emulator, stages))


def _outcomes(deliveries: list[Delivery]) -> str:
    """What each rule that fired did, for a message."""
    return "; ".join(f"{d.rule}: {d.outcome}" for d in deliveries) or "no rule matched"


def _recorded(deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries of a change that starts no run: recorded in the governance table, and a
    rejection forwarded to its stage (where it may redeploy the stage's endpoint)."""
    wrong = [
        d for d in deliveries if d.execution or not d.outcome.startswith(("invoked", "forwarded"))
    ]
    if wrong or not any(d.outcome.startswith("invoked") for d in deliveries):
        raise MlopsError(
            "the change's event must start no run (recorded, and forwarded if a rejection), got: "
            + _outcomes(deliveries)
        )
    return deliveries


def _failed_inference(stage: Stage, deliveries: list[Delivery]) -> str:
    """The deliveries of a broken version's approval: one inference run, which failed (its
    model does not load), and what its failure event started (as any failed inference's)."""
    inference = stage.settings.inference_pipeline
    runs = [d.execution for d in deliveries if d.execution and d.execution.pipeline == inference]
    if len(runs) != 1 or runs[0].status != "Failed":
        raise MlopsError(
            "a broken version's approval must start one inference run that fails, got: "
            + _outcomes(deliveries)
        )
    started = [
        f"{d.rule}: {describe(d.execution) if d.execution else d.outcome}"
        for d in deliveries
        if d.execution is not runs[0] and (d.execution or d.outcome == "published")
    ]
    return "; ".join([f"inference failed as intended: {reason(runs[0], 100)}", *started])


def _started_inference(deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries of an approval: forwarded, then exactly one inference run that succeeded."""
    runs = [d.execution for d in deliveries if d.execution]
    if len(runs) != 1 or runs[0].status != "Succeeded":
        raise MlopsError(
            "an approval must start exactly one inference run that succeeds, got: "
            + _outcomes(deliveries)
        )
    return deliveries


def run(
    dev: Stage,
    prod: Stage,
    registry_config: EnvironmentConfig,
    emulator: Emulator,
    timed: Timed,
    data: Path | None = None,
) -> Outcome:
    registry = registry_router(registry_config, emulator, [dev, prod])
    training = data.read_text() if data else sample_data.training_csv()

    def batch(outliers: bool = False, rows: int = BATCH_ROWS) -> str:
        if data is None:
            return sample_data.batch_csv(rows=rows, outliers=outliers)
        return sample_data.batch_from(training, rows=rows, outliers=outliers)

    dev.put(dev.training_data_uri(), training)
    # Each stage's approval rule starts its inference run on the newly approved model.
    dev.put(dev.batch_uri(), batch())
    prod.put(prod.batch_uri(), batch())
    # What client applications send the stages' endpoints: clean rows, none twice for as long
    # as the demo's traffic lasts (a sample of the data's own distribution: no drift).
    traffic = serving.Traffic(batch(rows=TRAFFIC_ROWS).encode())

    def watch(stage: Stage, expected: Callable[[serving.Watched], str | None] = _deployed) -> None:
        _watch(stage, registry, timed, traffic, expected)

    trained, version = _train_and_approve(
        dev,
        registry,
        registry_config,
        emulator,
        timed,
        watch,
        "",
        lambda trained: f"demo: AUC {auc(trained):.3f} on the held-out split",
    )
    # The copy is created approved: its event starts prod's inference on the clean batch.
    _promote(dev, prod, registry, registry_config, emulator, timed, watch, version, "to prod")
    promoted = _challenge(dev, prod, registry, registry_config, emulator, timed, watch)
    for monitored in (dev, prod):  # what the endpoints answered meanwhile, checked
        _hour_passes(monitored, emulator, timed)

    # New labelled data arrives with the drifted batch: retraining uses the enlarged set.
    extra = sample_data.training_csv(rows=300, seed=8).split("\n", 1)[1]
    prod.put(prod.training_data_uri(), training.rstrip("\n") + "\n" + extra)
    prod.put(prod.batch_uri(), batch(outliers=True))
    drifted = timed(
        "infer, batch with outliers",
        prod.where,
        lambda: _require(prod.runner.run(prod.settings.inference_pipeline), "Failed"),
    )
    for violation in violations(prod, drifted):
        print(
            f"    Model Monitor: {violation['feature_name']} "
            f"{violation['constraint_check_type']}: {violation['description'].strip()}"
        )
    for monitored in (dev, prod):  # the drifted rows reach the endpoints too
        _hour_passes(monitored, emulator, timed, batch(outliers=True).encode())
    deliveries = timed(
        "route failure event", prod.where, lambda: prod.router.route(drifted.status_change_event())
    )
    for delivery in deliveries:
        detail = describe(delivery.execution) if delivery.execution else delivery.outcome
        print(f"    rule {delivery.rule} -> {delivery.target.rsplit(':', 1)[-1]}: {detail}")

    # The retrained version is approved in prod and serves; found worse in production, it is
    # rolled back, and the next inference run serves the version before it again.
    retrained = retrained_version(deliveries)
    if retrained is None:
        raise MlopsError("the failed inference started no retraining that registered a version")
    prod.put(prod.batch_uri(), batch())
    _approve(
        prod,
        registry_config,
        emulator,
        timed,
        "approve retrained",
        retrained,
        "demo: retrained on more data",
    )
    timed(
        "approval event -> inference",
        prod.where,
        lambda: _started_inference(deliver(registry)),
    )
    watch(prod)
    _roll_back(prod, registry, registry_config, timed, retrained, "demo: worse in production")
    watch(prod)
    timed(
        "infer after rollback",
        prod.where,
        lambda: _require(prod.runner.run(prod.settings.inference_pipeline), "Succeeded"),
    )
    if prod.endpoint is not None:
        _broken_version(prod, registry, registry_config, emulator, timed, watch)
    return Outcome(trained, promoted, deliveries)


# Rows of a batch (the sample data's default), and of the endpoints' clean traffic: more than
# the demo's requests carry, so that none is sent twice (glue/local/serving.py).
BATCH_ROWS = 50
TRAFFIC_ROWS = 4000


def _deployed(watched: serving.Watched) -> str | None:
    """What is wrong with a deployment of a working version: a request answered 5XX."""
    return f"{watched.failed} requests answered 5XX" if watched.failed else None


def _hour_passes(stage: Stage, emulator: Emulator, timed: Timed, rows: bytes = b"") -> None:
    """Model Monitor on the stage's endpoint (if it has a schedule): `rows` sent by a client,
    then the hour of its schedule comes (glue/local/monitoring.py), and an execution checks
    what the endpoint received since the last against the served version's baseline."""
    if stage.monitoring_schedule is None:
        return
    if rows:
        timed(
            f"endpoint {stage.endpoint} sent the rows",
            stage.where,
            lambda: str(serving.send(stage.config, emulator, rows)).split("; ", 1)[-1],
        )

    def execution() -> str:
        ran = monitoring.hour_passes(emulator, stage.config.account_id, stage.config.region)
        [found] = [
            e for e in ran if e.summary["MonitoringScheduleName"] == stage.monitoring_schedule
        ]
        return str(found)

    timed(f"an hour passes: Model Monitor on {stage.endpoint}", stage.where, execution)


def _watch(
    stage: Stage,
    registry: EventRouter,
    timed: Timed,
    traffic: serving.Traffic,
    expected: Callable[[serving.Watched], str | None],
) -> None:
    """The stage's endpoint under traffic while the deployment a decision started goes on, to
    its end (a stage without an endpoint: nothing)."""
    if stage.endpoint is None:
        return

    def under_traffic() -> str:
        watched = serving.watch(stage.config, registry.emulator, traffic, lambda: deliver(registry))
        wrong = expected(watched)
        if wrong:
            raise MlopsError(f"{stage.endpoint}: {wrong} ({watched})")
        return str(watched)

    timed(f"endpoint {stage.endpoint} under traffic", stage.where, under_traffic)


def _broken_version(
    prod: Stage,
    registry: EventRouter,
    registry_config: EnvironmentConfig,
    emulator: Emulator,
    timed: Timed,
    watch: Callable[..., None],
) -> None:
    """A broken version approved in prod (fault injection: its model is not one): its batch
    inference fails, and its deployment rolls itself back when the 5XX alarm fires (the old
    fleet answers every request again); its approver then rolls it back in the registry."""
    injected: dict[str, int] = {}

    def inject() -> str:
        broken, source = serving.register_broken_copy(registry_config, prod.config, emulator)
        injected.update(broken=broken, source=source)
        return (
            f"v{broken} pending approval: a copy of v{source} whose model is its evaluation report"
        )

    timed("register a broken copy (fault injection)", prod.where, inject)
    broken, serving_before = injected["broken"], f"v{injected['source']}"
    timed(
        "registration event -> governance table", prod.where, lambda: _recorded(deliver(registry))
    )
    _approve(
        prod, registry_config, emulator, timed, "approve broken", broken, "demo: a broken version"
    )
    timed(
        "approval event -> inference",
        prod.where,
        lambda: _failed_inference(prod, deliver(registry)),
    )

    def rolled_back(watched: serving.Watched) -> str | None:
        if watched.failed == 0 or watched.serving != serving_before:
            return f"expected 5XX answers, then {serving_before} serving again"
        return None

    watch(prod, rolled_back)
    comment = "demo: rolled back at the endpoint by its 5XX alarm"
    _roll_back(prod, registry, registry_config, timed, broken, comment)


def _approve(
    stage: Stage,
    registry_config: EnvironmentConfig,
    emulator: Emulator,
    timed: Timed,
    what: str,
    version: int,
    comment: str,
) -> None:
    """The step `what`: the stage's approver approves the version."""
    timed(
        _by(what, registry_config, stage),
        stage.where,
        lambda: _as_approver(
            registry_config,
            stage,
            lambda: governance.set_status(
                stage.config, registry_config, emulator, version, True, comment
            ),
        ),
    )


def _roll_back(
    stage: Stage,
    registry: EventRouter,
    registry_config: EnvironmentConfig,
    timed: Timed,
    version: int,
    comment: str,
) -> None:
    """The stage's approver rolls the version back (`mlops models rollback`); its rejection's
    event reaches the governance table (and, forwarded, the stage's endpoint)."""
    timed(
        _by("rollback", registry_config, stage),
        stage.where,
        lambda: _as_approver(
            registry_config,
            stage,
            lambda: governance.rollback(
                stage.config, registry_config, registry.emulator, comment, version
            ),
        ),
    )
    timed("rejection event -> governance table", stage.where, lambda: _recorded(deliver(registry)))


def _as_approver(registry_config: EnvironmentConfig, stage: Stage, decide: Callable[[], Any]):
    """A decision, made by the stage's approver (the first the registry's tfvars name)."""
    with operator.acting_as(operator.approver(registry_config, stage.config.name)):
        return decide()


def _by(what: str, registry_config: EnvironmentConfig, stage: Stage) -> str:
    """The step's name with who decides it."""
    return f"{what}, by {operator.approver(registry_config, stage.config.name)}"


def _train_and_approve(
    dev: Stage,
    registry: EventRouter,
    registry_config: EnvironmentConfig,
    emulator: Emulator,
    timed: Timed,
    watch: Callable[[Stage], None],
    which: str,
    why: Callable[[Execution], str],
) -> tuple[Execution, int]:
    """Train in dev, then approve the version it registered (`which` names it in the steps):
    the approval's event starts dev's inference."""
    starter, parameters = _training_start(dev, emulator)
    trained = timed(
        f"train{which}, by {parameters[TRAINED_BY]}",
        dev.where,
        lambda: _require(
            dev.runner.run(dev.settings.training_pipeline, parameters, started_by=starter),
            "Succeeded",
        ),
    )
    version = registered_version(trained)
    if version is None:
        raise MlopsError("training succeeded but registered no model version")
    # The registration's event reaches the governance table (and starts nothing: pending).
    timed("registration event -> governance table", dev.where, lambda: _recorded(deliver(registry)))
    _approve(dev, registry_config, emulator, timed, f"approve{which}", version, why(trained))
    timed("approval event -> inference", dev.where, lambda: _started_inference(deliver(registry)))
    watch(dev)
    return trained, version


def _training_start(stage: Stage, emulator: Emulator) -> tuple[Any, dict[str, str]]:
    """Who starts the demo's training, as `mlops pipelines start` does for them: the stage's
    first data scientist its tfvars name, as its data scientist role (else CI, as the runner's
    starter); the session and the run's parameters."""
    scientists = stage.config.values.get("data_scientists") or []
    if not scientists:
        with operator.acting_as_ci():
            return None, {TRAINED_BY: trained_by(people.person(emulator, stage.config.region))}
    name = operator.person_among(scientists, f"{stage.config.name}'s data scientist")
    with operator.acting_as(name):
        session, who = people.as_data_scientist(stage.config, emulator)
    # As the command does, the pipeline is found in the stage's contract.
    contract = people.stored_contract(WorkloadContract, session, stage.config, emulator)
    if contract.training_pipeline != stage.settings.training_pipeline:
        raise MlopsError(f"{stage.config.name}'s contract names another training pipeline")
    return session, {TRAINED_BY: trained_by(who)}


def _promote(
    dev: Stage,
    prod: Stage,
    registry: EventRouter,
    registry_config: EnvironmentConfig,
    emulator: Emulator,
    timed: Timed,
    watch: Callable[[Stage], None],
    version: int,
    which: str,
) -> ModelVersion:
    """Promote a dev version: the approved copy's event starts prod's inference."""
    promoted = timed(
        _by(f"promote {which}", registry_config, prod),
        prod.where,
        lambda: _as_approver(
            registry_config,
            prod,
            lambda: (
                governance.promote(
                    dev.config, prod.config, registry_config, emulator, version
                ).version
            ),
        ),
    )
    timed("approval event -> inference", prod.where, lambda: _started_inference(deliver(registry)))
    watch(prod)
    return promoted


def _challenge(
    dev: Stage,
    prod: Stage,
    registry: EventRouter,
    registry_config: EnvironmentConfig,
    emulator: Emulator,
    timed: Timed,
    watch: Callable[[Stage], None],
) -> ModelVersion:
    """A challenger trained in dev, scored with prod's champion on the same held-out data by
    dev's comparison pipeline, promoted (not worse beyond prod's tolerance): prod serves it."""
    _, version = _train_and_approve(
        dev,
        registry,
        registry_config,
        emulator,
        timed,
        watch,
        " challenger",
        lambda _: "demo: challenger",
    )

    def run(pipeline: str, parameters: dict[str, str]) -> None:
        _require(dev.runner.run(pipeline, parameters), "Succeeded")

    timed(
        "compare with prod's champion",
        dev.where,
        lambda: governance.compare(
            dev.config, prod.config, registry_config, emulator, version, None, run
        ),
    )
    return _promote(
        dev, prod, registry, registry_config, emulator, timed, watch, version, "challenger"
    )


def start_here(
    config: EnvironmentConfig,
    emulator: Emulator,
    pipeline: str,
    parameters: dict[str, str],
    workdir: Path,
    starter=None,
) -> tuple[Execution, list[Delivery]]:
    """`mlops pipelines start` on the local AWS: started by `starter` (the session the command
    acts as; by default CI's, as the stage's deploy role), the run happens here, to its end
    (SageMaker runs it on AWS), and its terminal event goes through the deployed rules (as AWS
    does: not the person's doing)."""
    with operator.acting_as_ci():
        here = stage(config, emulator, workdir)
    execution = here.runner.run(pipeline, parameters, started_by=starter)
    return execution, here.router.route(execution.status_change_event())
