"""The local AWS: a real moto server on loopback, three accounts, and the operations we added."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from glue import aws
from glue.aws import assumed_session, client, session_with
from glue.errors import MlopsError
from glue.local.emulator import control
from glue.local.emulator.control import Emulator
from tests import accounts
from tests.accounts import INFERENCE_SPEC
from tests.conftest import ACCOUNTS, REGION

pytestmark = pytest.mark.emulator
# The role these tests act as in each account (allowed everything there: the emulator's
# behaviour is under test, not the platform's policies).
TESTING_ROLE = "emulator-tester"


def _session(emulator, account_id: str):
    return accounts.role_session(emulator, f"arn:aws:iam::{account_id}:role/{TESTING_ROLE}")


def test_an_assumed_role_is_reused_until_near_expiry_within_one_emulator_run(emulator, monkeypatch):
    assumed: list[str] = []

    tester = accounts.tester_keys(emulator, ACCOUNTS["dev"])

    def counting(region, emulator=None):  # the dev account's tester user, counting AssumeRole
        base = session_with(region, tester)
        base.events.register(
            "provide-client-params.sts.AssumeRole",
            lambda params, **_: assumed.append(params["RoleArn"]),
        )
        return base

    monkeypatch.setattr(aws, "base_session", counting)
    monkeypatch.setattr(aws, "_ASSUMED", {})
    role = f"arn:aws:iam::{ACCOUNTS['dev']}:role/{TESTING_ROLE}"
    accounts.make_role(emulator, role)

    for _ in range(3):
        session = assumed_session(role, REGION, emulator)
        assert client(session, "sts", emulator).get_caller_identity()["Account"] == ACCOUNTS["dev"]
    assert assumed == [role]

    # A restarted emulator forgot the credentials it issued; expiring ones are renewed.
    assumed_session(role, REGION, dataclasses.replace(emulator, instance="a later run"))
    assert len(assumed) == 2
    for credentials in aws._ASSUMED.values():
        credentials["Expiration"] = aws._now() + aws._EXPIRY_MARGIN / 2
    assumed_session(role, REGION, emulator)
    assert len(assumed) == 3


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_each_account_is_its_own(emulator, role):
    session = _session(emulator, ACCOUNTS[role])
    identity = client(session, "sts", emulator).get_caller_identity()
    assert identity["Account"] == ACCOUNTS[role]

    bucket = f"probe-{role}-{ACCOUNTS[role]}"
    s3 = client(session, "s3", emulator)
    s3.create_bucket(Bucket=bucket)
    key = client(session, "kms", emulator).create_key(Description=role)["KeyMetadata"]
    assert key["Arn"].split(":")[4] == ACCOUNTS[role]
    role_arn = client(session, "iam", emulator).create_role(
        RoleName=f"probe-{role}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    assert role_arn.split(":")[4] == ACCOUNTS[role]
    topic = client(session, "sns", emulator).create_topic(Name=f"probe-{role}")["TopicArn"]
    assert topic.split(":")[4] == ACCOUNTS[role]
    rule = client(session, "events", emulator).put_rule(
        Name=f"probe-{role}", ScheduleExpression="cron(0 6 * * ? *)"
    )["RuleArn"]
    assert rule.split(":")[4] == ACCOUNTS[role]
    group = client(session, "sagemaker", emulator).create_model_package_group(
        ModelPackageGroupName=f"probe-{role}"
    )["ModelPackageGroupArn"]
    assert group.split(":")[4] == ACCOUNTS[role]


def test_accounts_do_not_see_each_other(emulator):
    dev = client(_session(emulator, ACCOUNTS["dev"]), "sagemaker", emulator)
    prod = client(_session(emulator, ACCOUNTS["prod"]), "sagemaker", emulator)
    dev.create_model_package_group(ModelPackageGroupName="only-in-dev")
    names = [
        g["ModelPackageGroupName"]
        for g in prod.list_model_package_groups()["ModelPackageGroupSummaryList"]
    ]
    assert "only-in-dev" not in names


def test_model_package_group_policy_operations(emulator):
    sagemaker = client(_session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    arn = sagemaker.create_model_package_group(ModelPackageGroupName="policy-probe")[
        "ModelPackageGroupArn"
    ]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['dev']}:root"},
                    "Action": "sagemaker:DescribeModelPackage",
                    "Resource": "*",
                }
            ],
        }
    )

    with pytest.raises(ClientError, match="Cannot find resource policy") as missing:
        sagemaker.get_model_package_group_policy(ModelPackageGroupName="policy-probe")
    assert missing.value.response["Error"]["Code"] == "ValidationException"

    put = sagemaker.put_model_package_group_policy(
        ModelPackageGroupName="policy-probe", ResourcePolicy=policy
    )
    assert put["ModelPackageGroupArn"] == arn
    got = sagemaker.get_model_package_group_policy(ModelPackageGroupName="policy-probe")
    assert json.loads(got["ResourcePolicy"]) == json.loads(policy)
    # The policy operations take the group's name only (EntityName in botocore's model).
    with pytest.raises(ClientError, match="at 'modelPackageGroupName' failed to satisfy"):
        sagemaker.get_model_package_group_policy(ModelPackageGroupName=arn)

    sagemaker.delete_model_package_group_policy(ModelPackageGroupName="policy-probe")
    with pytest.raises(ClientError, match="Cannot find resource policy"):
        sagemaker.get_model_package_group_policy(ModelPackageGroupName="policy-probe")


def test_policy_is_stored_per_account(emulator):
    registry = client(_session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    prod = client(_session(emulator, ACCOUNTS["prod"]), "sagemaker", emulator)
    for sagemaker in (registry, prod):
        sagemaker.create_model_package_group(ModelPackageGroupName="same-name")
    registry.put_model_package_group_policy(
        ModelPackageGroupName="same-name", ResourcePolicy='{"Version": "2012-10-17"}'
    )
    with pytest.raises(ClientError, match="Cannot find resource policy"):
        prod.get_model_package_group_policy(ModelPackageGroupName="same-name")


def test_policy_of_unknown_group_is_a_validation_error(emulator):
    sagemaker = client(_session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    with pytest.raises(ClientError, match="Cannot find Model Package Group"):
        sagemaker.put_model_package_group_policy(
            ModelPackageGroupName="no-such-group", ResourcePolicy="{}"
        )


def test_delete_model_package_group(emulator):
    sagemaker = client(_session(emulator, ACCOUNTS["dev"]), "sagemaker", emulator)
    sagemaker.create_model_package_group(ModelPackageGroupName="to-delete")
    sagemaker.delete_model_package_group(ModelPackageGroupName="to-delete")
    with pytest.raises(ClientError, match="does not exist"):
        sagemaker.describe_model_package_group(ModelPackageGroupName="to-delete")


def test_a_model_package_client_token_creates_once(emulator):
    """botocore marks ClientToken an idempotency token (SDKs fill in a random one): a token
    seen before answers the version it made; another token makes another version."""
    sagemaker = client(_session(emulator, ACCOUNTS["dev"]), "sagemaker", emulator)
    sagemaker.create_model_package_group(ModelPackageGroupName="tokens")

    def create(token: str) -> str:
        return sagemaker.create_model_package(
            ModelPackageGroupName="tokens", InferenceSpecification=INFERENCE_SPEC, ClientToken=token
        )["ModelPackageArn"]

    first = create("copy-of-dev-1")
    assert create("copy-of-dev-1") == first and first.endswith("/tokens/1")
    assert create("copy-of-dev-2").endswith("/tokens/2")
    listed = sagemaker.list_model_packages(ModelPackageGroupName="tokens")
    assert len(listed["ModelPackageSummaryList"]) == 2


def test_server_stops_itself_when_its_watcher_dies(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    watcher = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    control.up(watch_pid=watcher.pid)
    watcher.kill()
    watcher.wait()
    deadline = time.monotonic() + 10
    while control.find() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert control.find() is None


@pytest.mark.refuses("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")
def test_cross_account_registry_through_the_group_policy(emulator):
    registry = client(_session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    dev = client(_session(emulator, ACCOUNTS["dev"]), "sagemaker", emulator)
    prod = client(_session(emulator, ACCOUNTS["prod"]), "sagemaker", emulator)
    group = registry.create_model_package_group(ModelPackageGroupName="shared-models")[
        "ModelPackageGroupArn"
    ]
    versions = group.replace(":model-package-group/", ":model-package/") + "/*"
    registry.put_model_package_group_policy(
        ModelPackageGroupName="shared-models",
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['dev']}:root"},
                        "Action": [
                            "sagemaker:CreateModelPackage",
                            "sagemaker:ListModelPackages",
                            "sagemaker:DescribeModelPackage",
                            "sagemaker:UpdateModelPackage",
                        ],
                        "Resource": [group, versions],
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['prod']}:root"},
                        "Action": ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"],
                        "Resource": [group, versions],
                    },
                ],
            }
        ),
    )
    spec = {
        "Containers": [{"Image": "xgboost:1", "ModelDataUrl": "s3://b/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    created = dev.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=INFERENCE_SPEC,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"commit": "abc123"},
    )["ModelPackageArn"]
    assert f":{ACCOUNTS['registry']}:model-package/shared-models/1" in created
    dev.update_model_package(ModelPackageArn=created, ModelApprovalStatus="Approved")
    listed = prod.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert [p["ModelApprovalStatus"] for p in listed] == ["Approved"]
    described = prod.describe_model_package(ModelPackageName=created)
    assert described["CustomerMetadataProperties"] == {"commit": "abc123"}, "approval kept it"
    with pytest.raises(ClientError, match="AccessDenied"):
        prod.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec)
    with pytest.raises(ClientError, match="AccessDenied"):
        prod.update_model_package(ModelPackageArn=created, ModelApprovalStatus="Rejected")


@pytest.mark.refuses("s3:GetObject")
def test_bucket_policy_is_evaluated_as_for_a_tls_request(emulator):
    s3 = client(_session(emulator, ACCOUNTS["registry"]), "s3", emulator)
    s3.create_bucket(Bucket="tls-only-probe")

    def policy(condition: dict | None) -> str:
        statement = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::tls-only-probe/*",
        }
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [statement | ({"Condition": condition} if condition else {})],
            }
        )

    s3.put_bucket_policy(
        Bucket="tls-only-probe", Policy=policy({"Bool": {"aws:SecureTransport": "false"}})
    )
    s3.put_object(Bucket="tls-only-probe", Key="k", Body=b"v")
    assert s3.get_object(Bucket="tls-only-probe", Key="k")["Body"].read() == b"v"

    s3.put_bucket_policy(Bucket="tls-only-probe", Policy=policy(None))
    with pytest.raises(ClientError, match="403|AccessDenied|Forbidden"):
        s3.head_object(Bucket="tls-only-probe", Key="k")


def test_test_event_pattern_answers_with_the_match(emulator):
    events = client(_session(emulator, ACCOUNTS["prod"]), "events", emulator)
    pattern = json.dumps(
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
            "detail": {"currentPipelineExecutionStatus": ["Failed"]},
        }
    )
    event = {
        "id": "1",
        "account": ACCOUNTS["prod"],
        "source": "aws.sagemaker",
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail-type": "SageMaker Model Building Pipeline Execution Status Change",
        "detail": {"currentPipelineExecutionStatus": "Failed"},
    }
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]
    event["detail"]["currentPipelineExecutionStatus"] = "Succeeded"
    assert not events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]


def test_sagemaker_emits_a_state_change_in_the_account_that_owns_the_group(emulator):
    """A registration across accounts and an approval each emit one event, in the registry's
    account, in the AWS sample's shape, naming who made the change; an update that leaves the
    status as it was emits none."""
    control.take_emitted_events(emulator)  # what earlier tests emitted
    registry = client(_session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    dev_session = accounts.role_session(
        emulator, f"arn:aws:iam::{ACCOUNTS['dev']}:role/pipeline", "training-run"
    )
    group = registry.create_model_package_group(ModelPackageGroupName="emitting-models")[
        "ModelPackageGroupArn"
    ]
    registry.put_model_package_group_policy(
        ModelPackageGroupName="emitting-models",
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['dev']}:root"},
                        "Action": "sagemaker:CreateModelPackage",
                        "Resource": group,
                    }
                ],
            }
        ),
    )
    arn = client(dev_session, "sagemaker", emulator).create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=INFERENCE_SPEC,
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]
    registry.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    registry.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    created, approved = control.take_emitted_events(emulator)
    assert control.take_emitted_events(emulator) == []  # taken once
    for event, status in ((created, "PendingManualApproval"), (approved, "Approved")):
        assert (event["source"], event["detail-type"]) == (
            "aws.sagemaker",
            "SageMaker Model Package State Change",
        )
        assert (event["account"], event["region"], event["resources"]) == (
            ACCOUNTS["registry"],
            REGION,
            [arn],
        )
        detail = event["detail"]
        assert (detail["ModelPackageGroupName"], detail["ModelPackageVersion"]) == (
            "emitting-models",
            1,
        )
        assert detail["ModelApprovalStatus"] == status
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", detail["CreationTime"])
    assert created["detail"]["CreatedBy"]["IamIdentity"]["Arn"] == (
        f"arn:aws:sts::{ACCOUNTS['dev']}:assumed-role/pipeline/training-run"
    )
    assert approved["detail"]["LastModifiedBy"]["IamIdentity"]["Arn"].startswith(
        f"arn:aws:sts::{ACCOUNTS['registry']}:assumed-role/{TESTING_ROLE}/"
    )
    assert created["id"] != approved["id"]


def test_lambda_keeps_its_dead_letter_queue(emulator):
    """moto dropped DeadLetterConfig: Terraform would plan to add it at every apply."""
    session = _session(emulator, ACCOUNTS["registry"])
    awslambda = client(session, "lambda", emulator)
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNTS['registry']}:failed"
    role = client(session, "iam", emulator).create_role(
        RoleName="function-with-dead-letters", AssumeRolePolicyDocument=json.dumps({})
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("handler.py", "def handler(event, context):\n    return event\n")
    awslambda.create_function(
        FunctionName="with-dead-letters",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
        DeadLetterConfig={"TargetArn": queue},
    )
    configuration = awslambda.get_function_configuration(FunctionName="with-dead-letters")
    assert configuration["DeadLetterConfig"] == {"TargetArn": queue}
    awslambda.update_function_configuration(
        FunctionName="with-dead-letters", DeadLetterConfig={"TargetArn": ""}
    )
    configuration = awslambda.get_function_configuration(FunctionName="with-dead-letters")
    assert "DeadLetterConfig" not in configuration

    # A statement id is unique in the function's policy: a second AddPermission with it (a
    # retry whose first answer came late) is refused, and one RemovePermission removes it.
    permission = {
        "FunctionName": "with-dead-letters",
        "StatementId": "InvokedByTheRule",
        "Action": "lambda:InvokeFunction",
        "Principal": "events.amazonaws.com",
    }
    awslambda.add_permission(**permission)
    with pytest.raises(ClientError) as refused:
        awslambda.add_permission(**permission)
    assert refused.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "The statement id (InvokedByTheRule) provided already exists" in str(refused.value)
    awslambda.remove_permission(FunctionName="with-dead-letters", StatementId="InvokedByTheRule")
    with pytest.raises(awslambda.exceptions.ResourceNotFoundException):
        awslambda.get_policy(FunctionName="with-dead-letters")


def test_updating_only_metadata_keeps_the_status_and_why(emulator):
    """moto's UpdateModelPackage clears what the call does not repeat; AWS keeps it: recording
    a comparison on a version leaves it approved, with its approval comment, and no event."""
    sagemaker = client(_session(emulator, ACCOUNTS["registry"]), "sagemaker", emulator)
    group = sagemaker.create_model_package_group(ModelPackageGroupName="keep-on-update")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group["ModelPackageGroupArn"],
        InferenceSpecification=INFERENCE_SPEC,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"auc": "0.9"},
    )["ModelPackageArn"]
    sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="fine"
    )
    control.take_emitted_events(emulator)  # the creation's and the approval's
    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"auc": "0.9", "champion_auc": "0.8"}
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "fine"
    assert described["CustomerMetadataProperties"] == {"auc": "0.9", "champion_auc": "0.8"}
    assert not control.take_emitted_events(emulator)
    sagemaker.delete_model_package(ModelPackageName=arn)
    sagemaker.delete_model_package_group(ModelPackageGroupName="keep-on-update")


def test_a_key_created_without_usage_is_a_single_region_encryption_key(emulator):
    """CreateKey's defaults, as KMS documents them: what Terraform reads when it imports a key
    made without them (the state key) must not differ from what it would create."""
    kms = client(_session(emulator, ACCOUNTS["dev"]), "kms", emulator)
    key = kms.create_key(Description="made as mlops makes the state key")["KeyMetadata"]
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["KeyUsage"], described["MultiRegion"]) == ("ENCRYPT_DECRYPT", False)
    assert key["KeyUsage"] == "ENCRYPT_DECRYPT"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)


def test_a_retried_change_is_answered_as_its_first_attempt_was(emulator):
    """An SDK retries a call whose answer it did not read (the same amz-sdk-invocation-id, a
    later attempt): the change was made, so the local AWS answers as it did the first time
    instead of making it again ("already exists", issue 30's duplicated creates under load).
    The same call sent anew (attempt 1) is made again, and refused as AWS refuses it."""
    import urllib.error
    import urllib.request

    ssm = client(_session(emulator, ACCOUNTS["dev"]), "ssm", emulator)
    sent: list = []
    ssm.meta.events.register(
        "before-send.ssm.PutParameter", lambda request, **_: sent.append(request)
    )
    name = f"/retried/{time.monotonic_ns()}"
    first = ssm.put_parameter(Name=name, Value="v", Type="String")
    [request] = sent

    def again(attempt: str) -> tuple[int, bytes]:
        headers = {
            k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
        }
        headers["amz-sdk-request"] = attempt
        resent = urllib.request.Request(
            request.url, data=request.body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(resent, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    status, body = again("attempt=2; max=2")
    assert status == 200 and json.loads(body)["Version"] == first["Version"] == 1
    status, body = again("attempt=1; max=2")
    assert status == 400 and b"ParameterAlreadyExists" in body
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 1


def test_concurrent_creates_on_a_busy_machine_each_happen_once(emulator):
    """Issue 30's stress test: 240 creates from 16 connections at once, while the machine's
    cores are busy (two spinning processes, beside whatever else the suite runs), with the
    SDK's standard retries. Each create is made once and answered as made: none meets "already
    exists" (what a retry of a create already made would meet without the replay above), none
    is lost, none is made twice."""
    from concurrent.futures import ThreadPoolExecutor

    from botocore.config import Config

    ssm = _session(emulator, ACCOUNTS["dev"]).client(
        "ssm",
        endpoint_url=emulator.endpoint,
        config=Config(max_pool_connections=16, retries={"mode": "standard", "max_attempts": 5}),
    )
    prefix = f"/stress/{time.monotonic_ns()}"
    names = [f"{prefix}/{n}" for n in range(240)]
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        with ThreadPoolExecutor(16) as pool:
            answers = list(
                pool.map(
                    lambda name: ssm.put_parameter(Name=name, Value=name, Type="String"),
                    names,
                )
            )
    finally:
        for process in spinning:
            process.kill()
            process.wait()
    try:
        assert [answer["Version"] for answer in answers] == [1] * len(names)
        with ThreadPoolExecutor(16) as pool:
            stored = list(pool.map(lambda name: ssm.get_parameter(Name=name)["Parameter"], names))
        assert [(p["Name"], p["Value"], p["Version"]) for p in stored] == [
            (name, name, 1) for name in names
        ]
    finally:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda name: ssm.delete_parameter(Name=name), names))


def test_an_emulator_dying_while_it_answers_is_no_emulator():
    """A server that stops itself (its watcher died) can close a connection in the middle of
    an answer: whoever looks for it is told nothing answers, never shown a traceback."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def answer_half() -> None:
        connection, _ = listener.accept()
        connection.recv(4096)
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        connection.close()

    port = listener.getsockname()[1]
    try:
        for ask in (
            lambda: control.answered_instance(f"http://127.0.0.1:{port}"),
            lambda: control.authorizations(Emulator(os.getpid(), "127.0.0.1", port, "gone")),
            lambda: control.take_emitted_events(Emulator(os.getpid(), "127.0.0.1", port, "gone")),
        ):
            server = threading.Thread(target=answer_half)
            server.start()
            try:
                assert ask() is None
            except MlopsError as error:  # one line, saying what to do
                assert "did not" in str(error) and "`mlops local up`" in str(error)
            server.join(5)
    finally:
        listener.close()
