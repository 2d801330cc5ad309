"""The lifecycle on the applied environments: train (gated on AUC), approve, promote, infer,
and a failed inference that the deployed rules turn into retraining and a notification."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import time

import pytest

from glue import aws, cli, config, deploy, governance, people, state_store
from glue import registry as registry_module
from glue.aws import client, split_s3
from glue.local import lifecycle, monitoring, operator, sample_data
from glue.local.emulator import control
from glue.pipelines import upsert
from tests import least_privilege
from tests.accounts import DEV_APPROVER, PROD_APPROVER, READER
from tests.conftest import ACCOUNTS, REGION
from tests.model_monitor_schemas import valid

GOVERNANCE_RULE = "mammo-governance-recorder"

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def stages(emulator, platform, tmp_path_factory) -> dict[str, lifecycle.Stage]:
    workdir = tmp_path_factory.mktemp("runs")
    for name in ("dev", "prod"):
        upsert.upsert(
            platform[name], state_store.workload_platform(platform[name], emulator), emulator
        )
    stages = {name: lifecycle.stage(platform[name], emulator, workdir) for name in ("dev", "prod")}
    # prod serves nothing yet, as in the demo: the walkthrough's first promotion has no
    # champion to beat (earlier tests approved versions there by hand).
    with operator.acting_as(PROD_APPROVER):
        session = people.as_approver(platform["registry"], "prod", emulator)[0]
    owner = client(session, "sagemaker", emulator)
    for version in registry_module.list_versions(
        owner, stages["prod"].settings.model_package_group_arn
    ):
        if version.status == registry_module.APPROVED:
            owner.update_model_package(
                ModelPackageArn=version.arn,
                ModelApprovalStatus=registry_module.REJECTED,
                ApprovalDescription="test set-up: prod starts without a champion",
            )
    lifecycle.deliver(
        lifecycle.registry_router(platform["registry"], emulator, list(stages.values()))
    )
    return stages


def test_training_registers_only_above_the_auc_threshold(emulator, stages):
    dev = stages["dev"]
    dev.put(dev.training_data_uri(), sample_data.training_csv())
    passed = dev.runner.run(dev.settings.training_pipeline)
    assert passed.status == "Succeeded", passed.failure_reason
    assert [s.name for s in passed.steps] == [
        "Preprocess",
        "DataQualityBaseline",
        "Train",
        "Evaluate",
        "CheckAuc",
        "RegisterModel",
    ]
    assert lifecycle.auc(passed) >= 0.8
    registered = governance.versions(dev.config, emulator)
    assert registered[-1].version == lifecycle.registered_version(passed)
    assert registered[-1].status == "PendingManualApproval"
    lineage = registered[-1].metadata
    assert {"dataset_uri", "hp_eta", "auc", "accuracy"} <= set(lineage)
    # Recorded by the pipeline itself: the commit its code comes from.
    assert lineage["training_commit"] == upsert.source_commit() != "unknown"
    assert float(lineage["auc"]) == lifecycle.auc(passed)
    # Its data-quality baseline, computed by Model Monitor's analyzer from the training
    # features and registered with it: what SageMaker returns, in Model Monitor's schemas.
    described = client(dev.session, "sagemaker", emulator).describe_model_package(
        ModelPackageName=registered[-1].arn
    )
    baselines = described["DriftCheckBaselines"]["ModelDataQuality"]
    assert described["ModelMetrics"]["ModelDataQuality"] == baselines
    s3 = client(dev.runner.as_pipeline, "s3", emulator)
    for kind, schema in (("Statistics", "statistics"), ("Constraints", "constraints")):
        uri = baselines[kind]["S3Uri"]
        assert uri.endswith(f"/data-quality-baseline/{schema}.json")
        bucket, key = split_s3(uri)
        document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        valid(document, schema)

    blocked = dev.runner.run(dev.settings.training_pipeline, {"AucThreshold": 0.999})
    assert blocked.status == "Failed"
    assert blocked.steps[-1].name == "AucBelowThreshold"
    assert "is below the threshold 0.999 - nothing was registered" in blocked.failure_reason
    assert len(governance.versions(dev.config, emulator)) == len(registered)


def _subscribe_queue(stage: lifecycle.Stage, emulator) -> tuple:
    topic = state_store.workload_platform(stage.config, emulator).notification_topic_arn
    sqs = client(stage.session, "sqs", emulator)
    queue = sqs.create_queue(QueueName="failure-notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    client(stage.session, "sns", emulator).subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn
    )
    return sqs, queue


def _notifications(sqs, queue) -> list[dict]:
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


@pytest.fixture(scope="module")
def whole_lifecycle(emulator, platform, stages):
    """The demo's lifecycle, once (train, approve, promote, compare, infer, a failure that
    retrains, approve, roll back), with prod's failure notifications subscribed to a queue:
    its outcome, the queue, and the authorization decisions the local AWS made meanwhile."""
    dev, prod = stages["dev"], stages["prod"]
    sqs, queue = _subscribe_queue(prod, emulator)
    # What the tests before it left (in whatever order they ran): the lifecycle checks that
    # each of its own changes reaches exactly the rules it names.
    lifecycle.deliver(lifecycle.registry_router(platform["registry"], emulator, [dev, prod]))
    since = control.authorizations(emulator, policies=False)["next"]
    outcome = lifecycle.run(
        dev, prod, platform["registry"], emulator, lambda what, where, action: action()
    )
    record = control.authorizations(emulator, since)
    # What prod serves and its newest version as the lifecycle ends (later tests promote more).
    served = governance.latest(prod.config, emulator)["ModelPackageArn"]
    newest = governance.versions(prod.config, emulator)[-1]
    return outcome, (sqs, queue), record, (served, newest)


def test_failed_inference_retrains_through_the_deployed_rule(
    emulator, stages, whole_lifecycle, tmp_path
):
    prod = stages["prod"]
    outcome, (sqs, queue), _, (served, newest) = whole_lifecycle
    outcomes = {d.rule: d for d in outcome.deliveries}
    retrain = outcomes["mammo-prod-inference-failed-retrain"]
    assert retrain.execution.pipeline == prod.settings.training_pipeline
    assert retrain.execution.status == "Succeeded"
    assert retrain.execution.parameters["InputDataUri"].endswith("/mammo-prod/training/input/")
    assert outcomes["mammo-prod-pipeline-failed-notify"].outcome == "published"
    notified = _notifications(sqs, queue)
    assert notified and notified[0]["detail"]["currentPipelineExecutionStatus"] == "Failed"
    assert notified[0]["detail"]["pipelineArn"].endswith(
        "pipeline/mammo-severity-inference-pipeline"
    )
    # The retrained version was approved, then rolled back: the promoted one serves again.
    assert served == outcome.promoted.arn
    assert newest.version == lifecycle.retrained_version(outcome.deliveries)
    assert newest.status == "Rejected"

    # The same failure, after a plan that removes the retraining rule: no retraining.
    values = json.loads(prod.config.tfvars_file.read_text()) | {
        "retrain_on_failed_inference": False
    }
    without_rule = tmp_path / "prod.tfvars.json"
    without_rule.write_text(json.dumps(values))
    changed = config.load("prod", without_rule)
    plan = deploy.plan(changed, emulator)
    # The rule and its target go; the platform contract stops naming the rule.
    assert (plan.add, plan.change, plan.destroy) == (0, 1, 2)
    assert [c.address for c in plan.changes if c.action == "update"] == [
        "module.platform_contract.aws_ssm_parameter.contract"
    ]
    deploy.apply(changed, emulator, plan.plan_file)
    prod.put(prod.batch_uri(), sample_data.batch_csv(outliers=True))
    failed = prod.runner.run(prod.settings.inference_pipeline)
    assert failed.status == "Failed"
    again = prod.router.route(failed.status_change_event())
    assert [d.rule for d in again] == ["mammo-prod-pipeline-failed-notify"]
    assert not any(d.execution for d in again), "no pipeline may start without the rule"


def test_a_pipeline_parameter_aws_refuses_fails_the_step_as_sagemaker_does(stages):
    dev = stages["dev"]
    run = dev.runner.run(dev.settings.training_pipeline, {"ProcessingInstanceType": "ml.nope"})
    assert run.status == "Failed"
    assert [(s.name, s.status) for s in run.steps] == [("Preprocess", "Failed")]
    assert "ValidationException: 1 validation error detected: Value 'ml.nope' at " in (
        run.failure_reason
    )
    assert "'processingResources.clusterConfig.instanceType'" in run.failure_reason
    assert "Member must satisfy enum value set: [" in run.failure_reason


def test_pipelines_start_runs_the_pipeline_with_checked_parameters(
    emulator, stages, platform, capsys
):
    """`mlops pipelines start` (CI and people): locally the run happens to its end and its
    event goes through the deployed rules; a parameter the definition does not declare, or
    a value its type cannot hold, is refused before anything starts."""
    dev = stages["dev"]
    dev.put(dev.training_data_uri(), sample_data.training_csv())
    sagemaker = client(dev.session, "sagemaker", emulator)

    def executions() -> int:
        pipeline = dev.settings.training_pipeline
        return len(
            sagemaker.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"]
        )

    def start(*arguments: str) -> tuple[int, str, str]:
        files = [f"--var-file={platform['dev'].tfvars_file}"]
        code = cli.main(["pipelines", "start", "--env", "dev", *files, "train", *arguments])
        out, err = capsys.readouterr()
        return code, out, err

    before = executions()
    code, out, err = start("--param", "AucThreshold=0.999")
    assert code == 1 and "ended Failed: step AucBelowThreshold failed" in err
    assert out.startswith("arn:aws:sagemaker:") and ": Failed, AUC" in out
    assert "rule mammo-dev-pipeline-failed-notify -> mammo-dev-pipeline-failures: published" in out
    assert executions() == before + 1

    code, out, _ = start("--param", "AucThreshold=0.5", "--dry-run")
    assert code == 0
    # mlops records who starts a training run (CI here): four eyes on its version.
    assert out == (
        f"would start {dev.settings.training_pipeline} with AucThreshold=0.5, "
        "TrainedBy=mlops-local-ci (nothing started)\n"
    )
    refusals = [
        (["--param", "Threshold=0.5"], 1, "has no parameter Threshold: its parameters are Auc"),
        (["--param", "AucThreshold=high"], 1, "AucThreshold must be a Float, got 'high'"),
        (["--param", "TrainingInstanceCount=1.5"], 1, "must be an Integer, got '1.5'"),
        (["--param", "AucThreshold"], 2, "expected NAME=VALUE"),
        (["--param", "AucThreshold=1", "--param", "AucThreshold=2"], 2, "given twice"),
    ]
    for arguments, expected_code, message in refusals:
        code, _, err = start(*arguments)
        assert (code, err.count("\n")) == (expected_code, 1) and message in err, err
    assert executions() == before + 1

    code, out, err = start()
    assert code == 0, err
    assert ": Succeeded, AUC" in out and "registered v" in out


@pytest.mark.refuses("events:PutEvents")
def test_only_an_approval_starts_the_stage_inference_through_the_deployed_rules(
    emulator, stages, platform, tmp_path, capsys
):
    """SageMaker emits a version's state changes in the registry account, which owns the
    group: its rule forwards approvals to the stage's bus, whose rule starts the inference run.
    A version pending approval or rejected starts nothing; an approval starts exactly one run;
    without the stage bus's policy admitting the registry, nothing crosses."""
    dev = stages["dev"]
    registry = lifecycle.registry_router(platform["registry"], emulator, list(stages.values()))
    dev.put(dev.training_data_uri(), sample_data.training_csv())
    dev.put(dev.batch_uri(), sample_data.batch_csv())
    lifecycle.deliver(registry)  # what earlier tests left
    version = lifecycle.registered_version(dev.runner.run(dev.settings.training_pipeline))
    arn = registry_module.package_arn(dev.settings.model_package_group_arn, version)

    def routed() -> list[tuple[str, str]]:
        # The governance recorder's rule matches every change: recorded, starts nothing. (The
        # endpoint's own state changes, as many as its deployments take, run its deployment
        # function again: each succeeds.)
        deliveries = lifecycle.deliver(registry)
        recorded = [d for d in deliveries if d.rule == GOVERNANCE_RULE]
        assert recorded and {d.outcome for d in recorded} == {"invoked, succeeded"}, deliveries
        redeployed = [d for d in deliveries if d.rule == "mammo-dev-endpoint-deployer-endpoint"]
        assert {d.outcome for d in redeployed} <= {"invoked, succeeded"}, deliveries
        routed.started = [d.execution for d in deliveries if d.execution]
        return [
            (d.rule, d.outcome) for d in deliveries if d not in recorded and d not in redeployed
        ]

    def decide(approve: bool, comment: str) -> None:
        with operator.acting_as(DEV_APPROVER):
            governance.set_status(
                dev.config, platform["registry"], emulator, version, approve, comment
            )

    forwarded = ("mammo-dev-model-approved", f"forwarded to account {dev.config.account_id}")
    deployed = ("mammo-dev-endpoint-deployer-versions", "invoked, succeeded")
    assert routed() == []  # the registration: pending approval
    decide(False, "too slow")
    # A rejection starts no run; forwarded, it runs dev's endpoint deployment (which keeps the
    # endpoint on the newest approved version: tests/test_endpoints.py).
    assert sorted(routed()) == sorted([forwarded, deployed])

    decide(True, "fast now")
    assert sorted(routed()) == sorted(
        [forwarded, deployed, ("mammo-dev-model-approved-infer", "started, Succeeded")]
    )
    [started] = routed.started
    assert started.pipeline == dev.settings.inference_pipeline
    assert started.properties[lifecycle.SERVED] == arn
    # The approval deployed the version to dev's real-time endpoint too (a canary when another
    # version served it): it answers with the model the pipeline trained, one score per row.
    sagemaker = client(dev.session, "sagemaker", emulator)
    endpoint_name, config_name = "mammo-dev-endpoint", f"mammo-dev-endpoint-v{version}"
    # (A deployment earlier tests started may still go on: its end, delivered, runs the
    # function again, which deploys the newest.)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        if (described["EndpointStatus"], described["EndpointConfigName"]) == (
            "InService",
            config_name,
        ):
            break
        for delivery in lifecycle.deliver(registry):
            assert delivery.outcome.startswith(("invoked, succeeded", "forwarded")), delivery
        time.sleep(0.2)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
        "InService",
        config_name,
    )
    answered = client(dev.session, "sagemaker-runtime", emulator).invoke_endpoint(
        EndpointName=endpoint_name,
        Body="".join(sample_data.batch_csv().splitlines(keepends=True)[:3]).encode(),
        ContentType="text/csv",
    )
    scores = answered["Body"].read().decode().splitlines()
    assert len(scores) == 3 and all(0 <= float(score) <= 1 for score in scores), scores
    # What CI sees of it, as the stage's deploy role: the version served, its answer.
    capsys.readouterr()

    def endpoint(*arguments: str, env: str = "dev") -> tuple[int, str, str]:
        files = [f"--var-file={platform[env].tfvars_file}"]
        code = cli.main(["endpoint", *arguments, "--env", env, *files])
        out, err = capsys.readouterr()
        return code, out, err

    # The deployment's end runs the function again: it checks the version on the endpoint with
    # the first rows of its held-out split, and records the result on its endpoint config.
    for delivery in lifecycle.deliver(registry):
        assert delivery.outcome.startswith(("invoked, succeeded", "forwarded")), delivery
    code, out, _ = endpoint("status")
    assert code == 0 and out.startswith(
        f"{endpoint_name}: InService, serving version {version} ({config_name})"
    ), out
    assert "\n  checked after its deployment: passed: AUC " in out, out
    # Its Model Monitor schedule checks against the served version's baseline; an hour passes
    # (the local scheduler): what the endpoint received since is checked, the reports written.
    monitoring.hour_passes(emulator, ACCOUNTS["dev"], REGION)
    code, out, _ = endpoint("status")
    assert code == 0 and re.search(
        rf"\n  data quality: {endpoint_name}-data-quality Scheduled, cron\(0 \* \? \* \* \*\), "
        rf"against the baseline of version {version}; last execution [0-9-]+ [0-9:]+ UTC: "
        rf"Completed(WithViolations)?, reports in s3://\S+/{endpoint_name}/"
        rf"{endpoint_name}-data-quality/[0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}}/[0-9]{{2}}\n",
        out,
    ), out
    payload = tmp_path / "rows.csv"
    payload.write_text("".join(sample_data.batch_csv().splitlines(keepends=True)[:3]))
    code, out, _ = endpoint("invoke", "--payload", str(payload))
    assert code == 0 and out.splitlines() == scores
    payload.write_text("zero,one\n")
    code, _, err = endpoint("invoke", "--payload", str(payload))
    assert code == 1 and f"mlops: {endpoint_name}: the model answered 415: Loading csv" in err
    code, _, err = endpoint("invoke", "--payload", str(tmp_path / "missing.csv"))
    assert code == 1 and "missing.csv: cannot read it" in err
    code, _, err = endpoint("status", env="prod")  # the test platform gives prod none
    assert code == 1 and "prod has no real-time endpoint" in err

    events = client(dev.session, "events", emulator)
    policy = events.describe_event_bus(Name="default")["Policy"]
    events.remove_permission(RemoveAllPermissions=True)
    try:
        decide(False, "again")
        decide(True, "again")
        # Neither crosses: the forwarding role's PutEvents onto another account's bus needs
        # that bus's policy too.
        [(rule, outcome), again] = routed()
        assert again == (rule, outcome)
        assert rule == "mammo-dev-model-approved"
        assert outcome == (
            f"refused: User: arn:aws:sts::{platform['registry'].account_id}:assumed-role/"
            "mammo-forward-approvals/mammo-dev-model-approved is not authorized to perform: "
            f"events:PutEvents on resource: arn:aws:events:{dev.config.region}:"
            f"{dev.config.account_id}:event-bus/default because no resource-based policy "
            "allows the events:PutEvents action"
        )
    finally:
        events.put_permission(Policy=policy)


def test_governance_report_shows_versions_promotions_and_flags(
    emulator, stages, platform, whole_lifecycle, tmp_path, capsys
):
    """What a compliance officer reads: a version approved in the console (no comment) is
    flagged, its promoted copy links back to it and is flagged once the source is rejected; the
    HTML is one self-contained page, the CSV safe to open in a spreadsheet."""
    dev, owner = stages["dev"], platform["registry"]
    dev.put(dev.training_data_uri(), sample_data.training_csv())
    version = lifecycle.registered_version(dev.runner.run(dev.settings.training_pipeline))
    arn = registry_module.package_arn(dev.settings.model_package_group_arn, version)
    with operator.acting_as(DEV_APPROVER):  # in the console, without a comment
        console = client(people.as_approver(owner, "dev", emulator)[0], "sagemaker", emulator)
    console.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    # Scored with prod's champion (the lifecycle's) first (trained on the same data: as good),
    # then promoted.
    governance.compare(
        dev.config, stages["prod"].config, owner, emulator, version, None,
        lambda pipeline, parameters: dev.runner.run(pipeline, parameters),
    )  # fmt: skip
    with operator.acting_as(PROD_APPROVER):
        promotion = governance.promote(dev.config, stages["prod"].config, owner, emulator, version)
    copy = promotion.version
    comment = '=HYPERLINK("http://x") worse on the May batch'
    with operator.acting_as(DEV_APPROVER):
        governance.set_status(dev.config, owner, emulator, version, False, comment)
    # The decisions' events first (an approval starts an inference run); then dev's next batch
    # has ages no patient has: Model Monitor fails its inference run, the stage's last.
    lifecycle.deliver(lifecycle.registry_router(owner, emulator, list(stages.values())))
    # S3 keeps LastModified to the second, and the report shows a stage's newest check: the
    # checks below come a second after every earlier run's (the fixture's lifecycle ends with
    # prod's inference runs: CI met prod's last check and this one in the same second).
    time.sleep(1.1)
    dev.put(dev.batch_uri(), sample_data.batch_csv(outliers=True))
    drifted = dev.runner.run(dev.settings.inference_pipeline)
    dev.put(dev.batch_uri(), sample_data.batch_csv())  # the module's other tests' batch again
    assert drifted.steps[-1].name == "DataQualityCheck" and drifted.status == "Failed"
    assert drifted.failure_reason.startswith(
        "step DataQualityCheck failed: ClientError: Quality check failed. See violation report "
    )
    assert {(v["feature_name"], v["constraint_check_type"]) for v in lifecycle.violations(
        dev, drifted)} == {("_c1", "baseline_drift_check")}  # fmt: skip
    # prod's, a clean batch, passes its check and is scored.
    prod = stages["prod"]
    prod.put(prod.batch_uri(), sample_data.batch_csv())
    clean = prod.runner.run(prod.settings.inference_pipeline)
    assert clean.status == "Succeeded", clean.failure_reason

    since = control.authorizations(emulator, policies=False)["next"]
    reports = {}
    for fmt in ("csv", "md", "html"):
        out = tmp_path / f"governance.{fmt}"
        files = ["--out", str(out), f"--var-file={owner.tfvars_file}"]
        with operator.acting_as(READER):
            code = cli.main(["governance", "report", "--format", fmt, *files])
        written = capsys.readouterr().out.splitlines()[-1]  # after the events it delivered
        assert code == 0 and written.startswith(f"governance report written to {out}")
        reports[fmt] = out.read_text()

    rows = {(r["stage"], r["version"]): r for r in csv.DictReader(io.StringIO(reports["csv"]))}
    source = rows["dev", str(version)]
    assert (source["status"], source["comment"]) == ("Rejected", "'" + comment)
    promoted = rows["prod", str(copy.version)]
    assert promoted["promoted_from"] == f"dev v{version}"
    assert promoted["flags"] == f"approved copy of dev v{version}, which was rejected since"
    assert promoted["comment"] == f"promoted from {arn} (approved: no comment)"
    assert f"**prod v{copy.version}** (Approved): approved copy of dev v{version}" in reports["md"]
    # What each stage serves: its registered baseline, and its last batch's check (dev's
    # drifted, prod's clean).
    served = {r["stage"]: r for r in rows.values() if r["served"] == "true"}
    assert set(served) == {"dev", "prod"}
    for row in served.values():
        assert row["baseline_statistics"].endswith("/data-quality-baseline/statistics.json")
        assert row["baseline_constraints"].endswith("/data-quality-baseline/constraints.json")
    dev_check = served["dev"]["last_data_quality_check"]
    assert re.fullmatch(
        rf"run {drifted.id} \(\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\): _c1 baseline_drift_check: "
        r"Numerical distance: (0\.[5-9]\d*|1\.0) exceeds numerical threshold: 0\.1",
        dev_check,
    ), dev_check
    assert re.fullmatch(
        rf"run {clean.id} \(\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\): no violation",
        served["prod"]["last_data_quality_check"],
    ), served["prod"]["last_data_quality_check"]
    assert "`_c1` baseline_drift_check: Numerical distance:" in reports["md"]
    # The reader's statements for those reports, each removed alone, deny some request of the
    # reports' (tests/least_privilege.py).
    record = control.authorizations(emulator, since)
    chosen = [
        statement
        for statement in least_privilege.statements(
            record["policies"], lambda label: "role/mammo-governance-reader#" in label
        )
        if statement.sid.endswith("DataQualityReports")
    ]
    needs = least_privilege.needs_by_sid(record["records"], record["policies"], chosen)
    assert needs == {
        "FindEachStagesDataQualityReports": {"s3:ListBucket"},
        "ReadEachStagesDataQualityReports": {"s3:GetObject"},
    }, needs

    html = reports["html"]
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<polyline" in html
    assert "<script" not in html and "url(" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "fetches nothing"
    assert html.count("<tr") == len(rows) + len({r["stage"] for r in rows.values()})
    assert "<code>_c1</code> baseline_drift_check: Numerical distance:" in html
    assert "&#34;http://x&#34;" in html or "&quot;http://x&quot;" in html  # escaped, not markup


def test_a_worse_challenger_is_refused_with_both_metrics_unless_forced(
    emulator, stages, platform, whole_lifecycle, capsys
):
    """`models compare` scores a challenger and prod's champion on the same held-out data and
    records both AUCs on the challenger; `models promote` refuses it, worse by more than prod's
    tolerance, naming both, and changes nothing, unless forced with a comment, which the
    copy's approval keeps."""
    dev, owner = stages["dev"], platform["registry"]
    sagemaker = client(aws.session_for(owner, emulator), "sagemaker", emulator)
    prod_group = stages["prod"].settings.model_package_group_arn
    champion = registry_module.serving(sagemaker, prod_group)  # the lifecycle's, rolled back to
    # A challenger that learned nothing: trained on the data with its labels shuffled.
    rows = sample_data.training_csv().splitlines()
    labels = [row.rsplit(",", 1)[1] for row in rows[1:]]
    random.Random(3).shuffle(labels)
    shuffled = [rows[0]] + [
        r.rsplit(",", 1)[0] + "," + y for r, y in zip(rows[1:], labels, strict=True)
    ]
    noisy = dev.settings.s3("training", "shuffled", "data.csv")
    dev.put(noisy, "\n".join(shuffled) + "\n")
    trained = dev.runner.run(
        dev.settings.training_pipeline, {"InputDataUri": noisy, "AucThreshold": 0.01}
    )
    version = lifecycle.registered_version(trained)
    with operator.acting_as(DEV_APPROVER):
        governance.set_status(dev.config, owner, emulator, version, True, "a challenger")
    files = [
        "--env", "dev", "--version", str(version), f"--var-file={dev.config.tfvars_file}",
        f"--registry-var-file={owner.tfvars_file}",
        f"--to-var-file={platform['prod'].tfvars_file}",
    ]  # fmt: skip

    def mlops(*arguments: str) -> tuple[int, str, str]:
        """As prod's approver (promote) or CI (compare)."""
        with operator.acting_as(PROD_APPROVER if arguments[1] == "promote" else ""):
            code = cli.main([*arguments, *files])
        out, err = capsys.readouterr()
        return code, out, err

    served = len(registry_module.list_versions(sagemaker, prod_group))
    code, _, err = mlops("models", "promote")
    assert code == 1 and err.count("\n") == 1
    assert (
        f"was not compared with prod's champion {champion['ModelPackageArn'].split('/', 1)[1]}"
        in err
    )

    held_out = champion["CustomerMetadataProperties"]["test_data_uri"]
    code, out, err = mlops("models", "compare", "--test-data", held_out)
    assert code == 0, err
    recorded = registry_module.describe(sagemaker, dev.settings.model_package_group_arn, version)
    metadata = recorded["CustomerMetadataProperties"]
    assert metadata["compared_champion_arn"] == champion["ModelPackageArn"]
    assert metadata["comparison_data_uri"] == held_out
    assert metadata["dataset_uri"] == noisy, "the lineage stays"
    assert recorded["ApprovalDescription"] == "a challenger", "so does why it was approved"
    challenger_auc, champion_auc = (
        float(metadata["challenger_auc"]),
        float(metadata["champion_auc"]),
    )
    assert champion_auc - challenger_auc > 0.1, (challenger_auc, champion_auc)
    assert f"AUC {challenger_auc:.4f}" in out and f"AUC {champion_auc:.4f}" in out
    code, out, _ = mlops("models", "compare", "--test-data", held_out)
    assert code == 0 and "compared before with this champion on this data: nothing ran" in out

    code, _, err = mlops("models", "promote")
    assert code == 1 and err.count("\n") == 1
    assert f"AUC {challenger_auc:.4f} against {champion_auc:.4f} on the same held-out data" in err
    assert "more than the tolerance 0.01 (challenger_auc_tolerance in prod's tfvars)" in err
    assert len(registry_module.list_versions(sagemaker, prod_group)) == served

    code, _, err = mlops("models", "promote", "--force")
    assert code == 2 and "--force and --comment go together" in err
    code, out, err = mlops("models", "promote", "--force", "--comment", "hotfix: label rules")
    assert code == 0, err
    copy = registry_module.to_version(
        sagemaker.describe_model_package(ModelPackageName=out.splitlines()[0].split(": ")[0])
    )
    assert copy.status == "Approved" and copy.comment.startswith("forced: hotfix: label rules (")
    assert f"against {champion_auc:.4f}" in copy.comment


# Statements of the roles the lifecycle runs as (steps, functions, rule targets) that no request
# of the local run needs, and why they are still there: what AWS's services do as those roles
# and the local AWS does not emulate.
NOT_EMULATED = {
    "PullBuiltInAlgorithmImages": "the jobs pull their images from ECR as the role",
    "AuthenticateToEcr": "after authenticating to ECR",
    "WriteJobLogs": "the jobs write their logs to CloudWatch Logs as the role",
    "PublishJobMetrics": "and their metrics to CloudWatch",
    "UseWorkloadKey": "the jobs encrypt their volumes and outputs with the workload key",
    "WriteFunctionLogs": "Lambda writes the function's logs as its role",
    "WriteItsOwnLogs": "Lambda writes the recorder's and the deployer's logs as their roles",
    "DecryptItsEnvironment": "Lambda decrypts the endpoint deployer's environment as its role",
    "ReadTheEndpointsRollbackAlarms": "SageMaker reads the endpoint's alarms as the execution role",
    # Key policies.
    "CloudWatchLogsEncryptsTheListedLogGroups": "CloudWatch Logs encrypts the functions' logs",
    "UserAccountsGrantToAwsServices": "SageMaker's jobs get grants on the artifacts key",
    # Needed when the recorder fails, which the lifecycle's run never does: the send, as the
    # recorder's role, is tests/test_governance_table.py's dead-letter test.
    "SendWhatFailedToTheDeadLetterQueue": "Lambda sends a failed event as the recorder's role",
}


# Statements the lifecycle's run does not need, and the test whose requests do.
EXERCISED_ELSEWHERE = {
    "SeeCopiesInProd": "test_environments_apply: a rejection in dev warns of the copy prod serves",
}


def test_every_statement_of_the_roles_the_lifecycle_runs_as_is_needed(whole_lifecycle):
    """Each statement of the pipeline, function, rule-target, approver and data scientist roles'
    policies and of the key, bucket, group and trust policies their requests meet, removed
    alone, denies some request of the lifecycle's run (tests/least_privilege.py), or is one of
    what AWS does as the role and the local AWS does not (NOT_EMULATED), or another test's
    requests need it (EXERCISED_ELSEWHERE)."""
    _, _, record, _ = whole_lifecycle
    policies = record["policies"]
    roles = (
        "-sagemaker-execution#",
        "-latest-model-lambda#",
        "-governance-recorder#",
        "-endpoint-deployer#",
        "-events-",
        "-model-approver#",
        "-data-scientist#",
        "-forward-approvals#",
    )
    resources = (
        "key policy",
        "bucket policy",
        "group policy",
        "trust policy",
        "bus policy",
        "function policy",
        "topic policy",
    )
    chosen = least_privilege.statements(
        policies, lambda label: any(r in label for r in roles) or label.startswith(resources)
    )
    # Of those, the ones the lifecycle's requests met, as they were then (the record keeps every
    # policy it has seen, each version by its digest: the state key's policy before and after
    # its account's bootstrap, say).
    met = {label for r in record["records"] for label in r["identity_policies"]}
    met |= {r["resource_policy"] for r in record["records"]}
    chosen = [statement for statement in chosen if statement.policy in met]
    for role in (
        "role/mammo-dev-sagemaker-execution#",
        "role/mammo-prod-sagemaker-execution#",
        "role/mammo-dev-endpoint-deployer#",  # dev's endpoint (tests/conftest.py)
    ):
        assert any(role in s.policy for s in chosen), role
    # The resource policies the run's requests met: EventBridge publishes to the topic and
    # invokes the recorder as itself, and forwards approvals onto the stages' buses as its role.
    # (The queue's policy is met only by an event the recorder's policy refuses:
    # tests/test_governance_table.py.)
    kinds = {s.policy.split(" policy ", 1)[0] for s in chosen if " policy " in s.policy}
    assert kinds == {"bucket", "group", "key", "trust", "bus", "function", "topic"}, kinds
    by_sid = least_privilege.needs_by_sid(record["records"], policies, chosen)
    unexplained = sorted(
        sid
        for sid, actions in by_sid.items()
        if not actions and sid not in NOT_EMULATED and sid not in EXERCISED_ELSEWHERE
    )
    assert not unexplained, f"statements no request of the lifecycle needs: {unexplained}"
    emulated = sorted(sid for sid, actions in by_sid.items() if actions and sid in NOT_EMULATED)
    assert not emulated, f"needed after all (take them out of NOT_EMULATED): {emulated}"
