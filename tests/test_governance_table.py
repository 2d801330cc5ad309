"""The registry's governance table, filled by the versions' own events through the deployed
rule and recorder Lambda, whoever changes a version (issue 13)."""

from __future__ import annotations

import json

import pytest
from boto3.dynamodb.conditions import Key

from glue import aws, cli, deploy, governance, people, saved_plans, state_store
from glue import registry as registry_module
from glue.aws import client
from glue.local import lifecycle, operator, sample_data
from glue.local.emulator import control
from glue.local.emulator.control import take_emitted_events
from glue.pipelines import upsert
from glue.steps import governance_recorder as recorder
from tests import accounts, least_privilege
from tests.accounts import DEV_APPROVER, PROD_APPROVER, READER
from tests.test_governance_recorder import _event


@pytest.fixture(scope="module")
def stages(emulator, platform, tmp_path_factory) -> dict[str, lifecycle.Stage]:
    workdir = tmp_path_factory.mktemp("runs")
    for name in ("dev", "prod"):
        upsert.upsert(
            platform[name], state_store.workload_platform(platform[name], emulator), emulator
        )
    stages = {name: lifecycle.stage(platform[name], emulator, workdir) for name in ("dev", "prod")}
    for stage in stages.values():
        # An approval starts the stage's inference: with a batch to score it succeeds (and
        # starts no retraining, which would register versions of its own).
        stage.put(stage.batch_uri(), sample_data.batch_csv())
    return stages


@pytest.fixture(scope="module")
def registry(emulator, platform, stages) -> lifecycle.EventRouter:
    router = lifecycle.registry_router(platform["registry"], emulator, list(stages.values()))
    lifecycle.deliver(router)  # what earlier tests left
    return router


def _table(emulator, platform):
    owner = platform["registry"]
    name = state_store.registry_platform(owner, emulator).governance_table_name
    return (
        aws.session_for(owner, emulator)
        .resource("dynamodb", endpoint_url=emulator.endpoint)
        .Table(name)
    )


def _items(table, group: str = "mammo-severity-dev") -> list[dict]:
    return table.query(KeyConditionExpression=Key("model_package_group").eq(group))["Items"]


def _history(table, arn: str) -> list[tuple[str, str | None]]:
    """(status, previous status) of each recorded change of a version, in order."""
    changes = [
        item
        for item in _items(table, arn.split("/")[1])
        if item["kind"] == "event" and item["model_package_arn"] == arn
    ]
    return [
        (item["status"], item.get("previous_status"))
        for item in sorted(changes, key=lambda item: item["sequence"])
    ]


def _console(owner, emulator, stage: str):
    """SageMaker as the stage's approver, outside mlops (the console's path)."""
    with operator.acting_as(DEV_APPROVER if stage == "dev" else PROD_APPROVER):
        return client(people.as_approver(owner, stage, emulator)[0], "sagemaker", emulator)


def _recorded(deliveries) -> list[str]:
    return [d.outcome for d in deliveries if d.rule == "mammo-governance-recorder"]


def test_every_change_reaches_the_table_through_the_deployed_rule(
    emulator, platform, stages, registry, capsys
):
    """A pipeline's registration, a CLI approval, a raw UpdateModelPackage (the console's path),
    a rejection and a promotion: each is recorded once, with who and why, by the recorder."""
    dev, owner, table = stages["dev"], platform["registry"], _table(emulator, platform)
    lifecycle.deliver(registry)  # what earlier tests left undelivered (they run in any order)
    dev.put(dev.training_data_uri(), sample_data.training_csv())
    version = lifecycle.registered_version(dev.runner.run(dev.settings.training_pipeline))
    arn = registry_module.package_arn(dev.settings.model_package_group_arn, version)
    assert _recorded(lifecycle.deliver(registry)) == ["invoked, succeeded"]
    assert _history(table, arn) == [("PendingManualApproval", None)]

    # The CLI approves; on the local AWS it delivers the emitted event itself, as EventBridge.
    registry_file = f"--registry-var-file={owner.tfvars_file}"
    approve = ["models", "approve", "--env", "dev", "--version", str(version)]
    with operator.acting_as(DEV_APPROVER):
        assert cli.main([*approve, "--comment", "AUC fine", f"--var-file={dev.config.tfvars_file}",
                         registry_file]) == 0  # fmt: skip
    out = capsys.readouterr().out
    recorded = "rule mammo-governance-recorder -> mammo-governance-recorder: invoked, succeeded"
    assert f"event: {recorded}" in out

    with operator.acting_as(DEV_APPROVER):
        governance.set_status(dev.config, owner, emulator, version, False, "drift")
    assert _recorded(lifecycle.deliver(registry)) == ["invoked, succeeded"]
    # The console path: a raw UpdateModelPackage approval, by dev's approver.
    console = _console(owner, emulator, "dev")
    console.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="drift explained"
    )
    # A promotion creates the copy pending, then approves it with its comment (that approval's
    # event carries the comment and starts prod's inference). Left pending (its approval
    # failed), the copy is approved by the next promotion, not made twice.
    source = registry_module.describe(console, dev.settings.model_package_group_arn, version)
    prod_group = stages["prod"].settings.model_package_group_arn
    left = registry_module._copy(_console(owner, emulator, "prod"), source, prod_group, "abc123")
    with operator.acting_as(PROD_APPROVER):
        promotion = governance.promote(dev.config, stages["prod"].config, owner, emulator, version)
    assert (promotion.version.arn, promotion.version.status) == (left, "Approved")
    assert promotion.version.comment == f"promoted from {arn} (approved: drift explained)"
    assert [c.arn for c in registry_module.copies_of(console, arn, prod_group)] == [left]
    lifecycle.deliver(registry)

    assert _history(table, arn) == [
        ("PendingManualApproval", None),
        ("Approved", "PendingManualApproval"),
        ("Rejected", "Approved"),
        ("Approved", "Rejected"),
    ]
    current = next(i for i in _items(table) if i["record"] == recorder.version_key(version))
    assert (current["status"], current["comment"]) == ("Approved", "drift explained")
    assert current["changed_by"] == (
        f"arn:aws:sts::{owner.account_id}:assumed-role/mammo-dev-model-approver/{DEV_APPROVER}"
    )
    assert current["source_identity"] == DEV_APPROVER
    assert current["pipeline_execution"] and current["dataset_uri"].startswith("s3://")  # lineage
    copy = promotion.version.arn
    assert _history(table, copy) == [
        ("PendingManualApproval", None),
        ("Approved", "PendingManualApproval"),
    ]
    [copied] = [i for i in _items(table, "mammo-severity-prod") if i["record"].endswith(
        recorder.version_key(promotion.version.version)) and i["kind"] == "current"]  # fmt: skip
    assert (copied["stage"], copied["source_model_package_arn"]) == ("prod", arn)

    since = control.authorizations(emulator, policies=False)["next"]
    with operator.acting_as(READER):
        # Assumed here, as the reconcile would (which may reuse an earlier test's session).
        client(aws.base_session(owner.region, emulator), "sts", emulator).assume_role(
            RoleArn=people.reader_role_arn(owner), RoleSessionName=READER, SourceIdentity=READER
        )
        assert cli.main(["governance", "reconcile", f"--var-file={owner.tfvars_file}"]) == 0
    assert "0 differences" in capsys.readouterr().out
    # The reader's role: each statement of its policy and trust, removed alone, denies some
    # request of the reconcile (tests/least_privilege.py).
    record = control.authorizations(emulator, since)
    chosen = least_privilege.statements(
        record["policies"],
        lambda label: "role/mammo-governance-reader" in label and label.split(" ")[0] != "key",
    )
    met = {label for r in record["records"] for label in r["identity_policies"]}
    met |= {r["resource_policy"] for r in record["records"]}
    chosen = [statement for statement in chosen if statement.policy in met]
    needs = least_privilege.needs_by_sid(record["records"], record["policies"], chosen)
    # (The report alone reads the stages' data-quality reports: tests/test_lifecycle.py proves
    # those two statements needed.)
    by_the_report = {"FindEachStagesDataQualityReports", "ReadEachStagesDataQualityReports"}
    assert set(needs) - by_the_report == {
        "ReadEveryStagesVersions",
        "ReadTheGovernanceTable",
        "ReadTheRegistrysContract",
        "DecryptTheTableContractAndReports",
        "TheGovernanceReadersAsThemselves",
    }, needs
    assert all(actions for sid, actions in needs.items() if sid not in by_the_report), needs


def test_a_redelivered_event_adds_nothing(emulator, platform, stages, registry):
    """EventBridge delivers at least once: the event id makes the second delivery a no-op."""
    dev, table = stages["dev"], _table(emulator, platform)
    console = _console(platform["registry"], emulator, "dev")
    # A version pending approval (the tests before may have left none: they run in any order).
    dev.put(dev.training_data_uri(), sample_data.training_csv())
    version = lifecycle.registered_version(dev.runner.run(dev.settings.training_pipeline))
    latest = registry_module.describe(console, dev.settings.model_package_group_arn, version)
    assert latest["ModelApprovalStatus"] == "PendingManualApproval"
    lifecycle.deliver(registry)  # what the tests before left, and this registration
    console.update_model_package(
        ModelPackageArn=latest["ModelPackageArn"], ModelApprovalStatus="Rejected"
    )
    [event] = take_emitted_events(emulator)
    assert _recorded(registry.route(event)) == ["invoked, succeeded"]
    before = _items(table)
    assert _recorded(registry.route(event)) == ["invoked, succeeded"]
    assert _items(table) == before


def test_an_event_it_cannot_record_waits_in_the_dead_letter_queue(emulator, platform, registry):
    """A malformed event matching the rule: refused with the reason, nothing written, the event
    and the error kept in the dead-letter queue."""
    table = _table(emulator, platform)
    before = _items(table)
    bad = {**_event(ModelPackageVersion="3"), "account": platform["registry"].account_id}
    [outcome] = _recorded(registry.route(bad))
    assert outcome.startswith("failed: UngovernedEvent: detail.ModelPackageVersion '3'")
    assert outcome.endswith("the event waits in mammo-governance-recorder-dead-letter")
    assert _items(table) == before

    contract = state_store.registry_platform(platform["registry"], emulator)
    sqs = client(aws.session_for(platform["registry"], emulator), "sqs", emulator)
    [message] = sqs.receive_message(
        QueueUrl=contract.governance_dead_letter_queue_url, MessageAttributeNames=["All"]
    )["Messages"]
    assert json.loads(message["Body"]) == bad
    assert "do not name a version" in message["MessageAttributes"]["ErrorMessage"]["StringValue"]


@pytest.mark.refuses("lambda:InvokeFunction")
def test_an_event_the_function_s_policy_refuses_waits_in_the_rule_s_dead_letter_queue(
    emulator, platform, registry
):
    """EventBridge invokes the recorder as itself, for the rule: without the function's policy
    statement naming the rule it is refused as AWS refuses it, and EventBridge sends the event
    (not retried: a permission error) to the target's dead-letter queue, as itself too (the
    queue's policy and its key's policy must let it)."""
    owner, table = platform["registry"], _table(emulator, platform)
    session = aws.session_for(owner, emulator)
    awslambda = client(session, "lambda", emulator)
    contract = state_store.registry_platform(owner, emulator)
    function = contract.governance_function_arn
    [statement] = json.loads(awslambda.get_policy(FunctionName=function)["Policy"])["Statement"]
    awslambda.remove_permission(FunctionName=function, StatementId=statement["Sid"])
    before = _items(table)
    event = {**_event(), "account": owner.account_id}
    since = control.authorizations(emulator, policies=False)["next"]
    try:
        [outcome] = _recorded(registry.route(event))
    finally:
        awslambda.add_permission(
            FunctionName=function,
            StatementId=statement["Sid"],
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=statement["Condition"]["ArnLike"]["AWS:SourceArn"],
        )
    assert outcome == (
        "refused: User: events.amazonaws.com is not authorized to perform: "
        f"lambda:InvokeFunction on resource: {statement['Resource']} because no resource-based "
        "policy allows the lambda:InvokeFunction action; the event waits in "
        "mammo-governance-recorder-dead-letter"
    )
    assert _items(table) == before
    sqs = client(session, "sqs", emulator)
    waiting = sqs.receive_message(
        QueueUrl=contract.governance_dead_letter_queue_url,
        MessageAttributeNames=["All"],
        MaxNumberOfMessages=10,
    )["Messages"]
    # Lambda's own sends (the recorder failing: the test above) carry ErrorMessage instead.
    [message] = [m for m in waiting if "RULE_ARN" in m.get("MessageAttributes", {})]
    sqs.delete_message(
        QueueUrl=contract.governance_dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"]
    )
    assert json.loads(message["Body"]) == event
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"] == contract.governance_rule_arn
    assert attributes["TARGET_ARN"] == function
    # Each Allow statement of the queue's policy, and of the key policy that let EventBridge
    # encrypt the message, removed alone denies the send (tests/least_privilege.py).
    record = control.authorizations(emulator, since)
    sent = [r for r in record["records"] if r["caller"]["service"] and r["allowed"]]
    met = {r["resource_policy"] for r in sent}
    chosen = least_privilege.statements(record["policies"], lambda label: True)
    chosen = [s for s in chosen if s.policy in met and s.policy.startswith("queue policy")]
    assert chosen, met
    needs = least_privilege.needs_by_sid(sent, record["policies"], chosen)
    assert needs == {"EventBridgeSendsWhatItCouldNotDeliver": {"sqs:SendMessage"}}
    keys = least_privilege.statements(record["policies"], lambda label: True)
    keys = [s for s in keys if s.policy in met and s.policy.startswith("key policy")]
    needed = least_privilege.needs_by_sid(sent, record["policies"], keys)
    assert needed["ServicesOfThisAccountUseTheKey"] == {"kms:GenerateDataKey", "kms:Decrypt"}


def test_removing_the_rule_by_plan_stops_the_flow(emulator, platform, stages, registry, capfd):
    """The table is fed by the deployed rule and nothing else: planned away, a change reaches
    no table (and is not in the reconcile's agreement); planned back, changes flow again."""
    owner, table = platform["registry"], _table(emulator, platform)
    lifecycle.deliver(registry)  # what earlier tests left reaches the table first
    with operator.acting_as(READER):
        assert cli.main(["governance", "reconcile", f"--var-file={owner.tfvars_file}"]) == 0
    terraform = deploy.init(owner, emulator)
    var_files = [f"-var-file={path}" for path in deploy.var_files(owner)]
    plan = saved_plans.plan_file_for(owner).with_name("governance-rule.tfplan")
    rule = "-target=module.governance_recorder.aws_cloudwatch_event_rule.this"
    # The state is this apply's own: no refresh needed to plan against it.
    options = ["-input=false", "-refresh=false", f"-out={plan}", *var_files]
    terraform.run("plan", "-destroy", rule, *options)
    terraform.apply(plan)
    capfd.readouterr()
    dev = client(accounts.session(emulator, stages["dev"].config.account_id), "sagemaker", emulator)
    try:
        # A version registered pending (starts nothing but the recorder's rule, now gone).
        missed = dev.create_model_package(
            ModelPackageGroupName=stages["dev"].settings.model_package_group_arn,
            InferenceSpecification=accounts.INFERENCE_SPEC,
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]
        before = _items(table)
        assert _recorded(lifecycle.deliver(registry)) == []
        assert _items(table) == before
    finally:
        # The targeted destroy took what names the rule with it (the registry's contract):
        # both are planned back.
        targets = ["-target=module.governance_recorder", "-target=module.platform_contract"]
        terraform.run("plan", *targets, *options)
        terraform.apply(plan)
    capfd.readouterr()
    # reconcile sees the change the table missed: one line each, exit 1.
    with operator.acting_as(READER):
        assert cli.main(["governance", "reconcile", f"--var-file={owner.tfvars_file}"]) == 1
    out, err = capfd.readouterr()
    version = missed.rsplit("/", 1)[1]
    assert f"v{version}: in the registry (PendingManualApproval), not in the table" in out
    assert err.startswith("mlops: 1 difference(s) between the governance table and the")
    assert err.count("\n") == 1
    console = _console(owner, emulator, "dev")
    console.update_model_package(ModelPackageArn=missed, ModelApprovalStatus="Rejected")
    assert _recorded(lifecycle.deliver(registry)) == ["invoked, succeeded"]
