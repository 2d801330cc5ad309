"""The local AWS authorizes as IAM does: each refusal in AWS's error shape and message.

An emulator of its own, enforcing (tests/test_walkthrough.py runs the README's deployment under
it); principals made by each account's root user, as an administrator would.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from glue.aws import client, session, session_with
from glue.local.emulator import control
from glue.local.emulator.policy_evaluation import (
    Caller,
    Policy,
    Request,
    UnknownConditionKey,
    evaluate,
)
from tests import accounts
from tests.conftest import REGION

pytestmark = pytest.mark.emulator

A, B = "720000000001", "720000000002"


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.fixture(scope="module")
def local_aws(tmp_path_factory):
    previous = os.environ.get("MLOPS_STATE_DIR")
    os.environ["MLOPS_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    emulator = control.up(watch_pid=os.getpid())
    try:
        yield emulator
    finally:
        control.down()
        if previous is None:
            os.environ.pop("MLOPS_STATE_DIR")
        else:
            os.environ["MLOPS_STATE_DIR"] = previous


def _root(emulator, account: str):
    return accounts.session(emulator, account)


def _user(emulator, account: str, *statements: dict):
    """A new IAM user of the account holding exactly these statements."""
    iam = client(_root(emulator, account), "iam", emulator)
    name = f"user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=_policy(*statements))
    keys = control.as_variables(iam.create_access_key(UserName=name)["AccessKey"])
    return session_with(REGION, keys), f"arn:aws:iam::{account}:user/{name}"


def _refused(call, code: str, message: str) -> None:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    assert error["Code"] == code, error
    assert error["Message"] == message, error


def test_an_identity_policy_missing_the_action(local_aws):
    own, arn = _user(local_aws, A, _allow("sns:ListTopics"))
    client(own, "sns", local_aws).list_topics()
    _refused(
        lambda: client(own, "dynamodb", local_aws).list_tables(),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: dynamodb:ListTables on resource: * "
        "because no identity-based policy allows the dynamodb:ListTables action",
    )


def test_a_resource_less_action_scoped_to_an_arn_is_refused(local_aws):
    """events:PutPermission has no resource type: IAM authorizes it against "*"."""
    bus = f"arn:aws:events:{REGION}:{A}:event-bus/default"
    scoped, arn = _user(local_aws, A, _allow("events:PutPermission", bus))
    events = client(scoped, "events", local_aws)
    _refused(
        lambda: events.put_permission(Action="events:PutEvents", Principal=B, StatementId="b"),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: events:PutPermission on resource: * "
        "because no identity-based policy allows the events:PutPermission action",
    )
    unscoped, _ = _user(local_aws, A, _allow("events:PutPermission"))
    client(unscoped, "events", local_aws).put_permission(
        Action="events:PutEvents", Principal=B, StatementId="b"
    )


def test_a_cross_account_call_needs_the_resource_policy(local_aws):
    group = f"group-{uuid.uuid4().hex[:8]}"
    owner = client(_root(local_aws, B), "sagemaker", local_aws)
    group_arn = owner.create_model_package_group(ModelPackageGroupName=group)[
        "ModelPackageGroupArn"
    ]
    reader, arn = _user(local_aws, A, _allow("sagemaker:DescribeModelPackageGroup"))
    describe = lambda: client(reader, "sagemaker", local_aws).describe_model_package_group(  # noqa: E731
        ModelPackageGroupName=group_arn
    )
    _refused(
        describe,
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: sagemaker:DescribeModelPackageGroup on "
        f"resource: {group_arn} because no resource-based policy allows the "
        "sagemaker:DescribeModelPackageGroup action",
    )
    owner.put_model_package_group_policy(
        ModelPackageGroupName=group,
        ResourcePolicy=_policy(
            _allow(
                "sagemaker:DescribeModelPackageGroup",
                group_arn,
                Principal={"AWS": f"arn:aws:iam::{A}:root"},
            )
        ),
    )
    assert describe()["ModelPackageGroupArn"] == group_arn


def test_a_kms_call_needs_the_key_policy(local_aws):
    kms_root = client(_root(local_aws, A), "kms", local_aws)
    admin_only = f"arn:aws:iam::{A}:role/nobody"
    key = kms_root.create_key(
        Policy=_policy(
            _allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:root"}, Sid="Root")
            | {"Action": ["kms:PutKeyPolicy", "kms:DescribeKey"]},
            _allow("kms:*", "*", Principal={"AWS": admin_only}),
        )
    )["KeyMetadata"]["Arn"]
    user, arn = _user(local_aws, A, _allow("kms:*"))
    _refused(
        lambda: client(user, "kms", local_aws).encrypt(KeyId=key, Plaintext=b"x"),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: kms:Encrypt on resource: {key} "
        "because no resource-based policy allows the kms:Encrypt action",
    )


def test_reading_a_secure_string_decrypts_with_its_key_as_the_caller(local_aws):
    """SSM decrypts a SecureString WithDecryption by asking KMS as the caller: without
    kms:Decrypt on the parameter's key (through SSM), the read is refused; the value alone,
    undecrypted, is not a KMS call."""
    kms_root = client(_root(local_aws, A), "kms", local_aws)
    key = kms_root.create_key(Description="parameters")["KeyMetadata"]["Arn"]
    name = f"/secure-{uuid.uuid4().hex[:8]}"
    client(_root(local_aws, A), "ssm", local_aws).put_parameter(
        Name=name, Value="s3cret", Type="SecureString", KeyId=key
    )
    reader, arn = _user(local_aws, A, _allow("ssm:GetParameter"))
    ssm = client(reader, "ssm", local_aws)
    ssm.get_parameter(Name=name)
    _refused(
        lambda: ssm.get_parameter(Name=name, WithDecryption=True),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: kms:Decrypt on resource: {key} "
        "because no identity-based policy allows the kms:Decrypt action",
    )
    through_ssm = {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}}
    allowed, _ = _user(
        local_aws, A, _allow("ssm:GetParameter"), _allow("kms:Decrypt", key, Condition=through_ssm)
    )
    answer = client(allowed, "ssm", local_aws).get_parameter(Name=name, WithDecryption=True)
    assert answer["Parameter"]["Value"] == "s3cret"


@pytest.mark.parametrize("store", ["topic", "queue", "table"])
def test_writing_to_an_encrypted_store_uses_its_key_as_the_caller(local_aws, store):
    """SNS, SQS and DynamoDB ask KMS for the topic's, queue's or table's key as the caller (the
    SNS and SQS guides' "Key management", DynamoDB's "How Amazon DynamoDB uses AWS KMS"):
    without kms:Decrypt (and kms:GenerateDataKey to publish or send) on it, through the service,
    the write is refused; an unencrypted one asks KMS for nothing."""
    root = _root(local_aws, A)
    key = client(root, "kms", local_aws).create_key(Description=store)["KeyMetadata"]["Arn"]
    name = f"{store}-{uuid.uuid4().hex[:8]}"
    service, action, resource = {
        "topic": ("sns", "sns:Publish", f"arn:aws:sns:{REGION}:{A}:{name}"),
        "queue": ("sqs", "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{A}:{name}"),
        "table": ("dynamodb", "dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{A}:table/{name}"),
    }[store]
    made = client(root, service, local_aws)
    if store == "topic":
        made.create_topic(Name=name, Attributes={"KmsMasterKeyId": key})
        write = lambda s: client(s, "sns", local_aws).publish(TopicArn=resource, Message="m")  # noqa: E731
    elif store == "queue":
        url = made.create_queue(QueueName=name, Attributes={"KmsMasterKeyId": key})["QueueUrl"]
        write = lambda s: client(s, "sqs", local_aws).send_message(QueueUrl=url, MessageBody="m")  # noqa: E731
    else:
        made.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
        )
        write = lambda s: client(s, "dynamodb", local_aws).put_item(  # noqa: E731
            TableName=name, Item={"k": {"S": "v"}}
        )
    writer, arn = _user(local_aws, A, _allow(action, resource))
    needed = "kms:Decrypt" if store == "table" else "kms:GenerateDataKey"
    _refused(
        lambda: write(writer),
        "AuthorizationError" if store == "topic" else "AccessDeniedException",
        f"User: {arn} is not authorized to perform: {needed} on resource: {key} "
        f"because no identity-based policy allows the {needed} action",
    )
    through = {"StringEquals": {"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}}
    allowed, _ = _user(
        local_aws,
        A,
        _allow(action, resource),
        _allow(["kms:Decrypt", "kms:GenerateDataKey"], key, Condition=through),
    )
    write(allowed)


def test_a_service_acting_as_itself_needs_the_resource_policy_naming_it_and_its_rule(local_aws):
    """EventBridge publishes to a topic as itself for a rule: the topic's policy must name the
    service, and its conditions on aws:SourceAccount and aws:SourceArn hold for that rule only."""
    name = f"topic-{uuid.uuid4().hex[:8]}"
    sns = client(_root(local_aws, A), "sns", local_aws)
    topic = sns.create_topic(Name=name)["TopicArn"]
    rule = f"arn:aws:events:{REGION}:{A}:rule/notify"
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=_policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": A},
                    "ArnEquals": {"aws:SourceArn": rule},
                },
            }
        ),
    )

    def as_events(source_arn: str):
        keys = control.service_principal_credentials(
            local_aws, "events.amazonaws.com", A, source_arn
        )
        return client(session_with(REGION, keys), "sns", local_aws)

    as_events(rule).publish(TopicArn=topic, Message="m")
    _refused(
        lambda: as_events(f"{rule}-other").publish(TopicArn=topic, Message="m"),
        "AuthorizationError",
        f"User: events.amazonaws.com is not authorized to perform: sns:Publish on resource: "
        f"{topic} because no resource-based policy allows the sns:Publish action",
    )


def test_passing_a_role_to_another_service_is_refused(local_aws):
    role = f"arn:aws:iam::{A}:role/runs-functions"
    user, arn = _user(
        local_aws,
        A,
        _allow(["events:PutRule", "events:PutTargets"]),
        _allow(
            "iam:PassRole",
            role,
            Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        ),
    )
    events = client(user, "events", local_aws)
    events.put_rule(Name="every-day", ScheduleExpression="rate(1 day)")
    target = {"Id": "t", "Arn": f"arn:aws:sqs:{REGION}:{A}:q", "RoleArn": role}
    _refused(
        lambda: events.put_targets(Rule="every-day", Targets=[target]),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: iam:PassRole on resource: {role} "
        "because no identity-based policy allows the iam:PassRole action",
    )


def test_an_explicit_deny_wins(local_aws):
    user, arn = _user(
        local_aws,
        A,
        _allow("*"),
        {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
    )
    _refused(
        lambda: client(user, "s3", local_aws).list_buckets(),
        "AccessDenied",
        f"User: {arn} is not authorized to perform: s3:ListAllMyBuckets on resource: * "
        "with an explicit deny in an identity-based policy",
    )


def test_assuming_a_role_needs_its_trust(local_aws):
    iam = client(_root(local_aws, A), "iam", local_aws)
    name = f"trusting-b-{uuid.uuid4().hex[:6]}"
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
            }
        ),
    )["Role"]["Arn"]
    user, arn = _user(local_aws, A, _allow("sts:AssumeRole"))
    _refused(
        lambda: client(user, "sts", local_aws).assume_role(RoleArn=role, RoleSessionName="someone"),
        "AccessDenied",
        f"User: {arn} is not authorized to perform: sts:AssumeRole on resource: {role} "
        "because no resource-based policy allows the sts:AssumeRole action",
    )
    other, _ = _user(local_aws, B, _allow("sts:AssumeRole", role))
    assumed = client(other, "sts", local_aws).assume_role(RoleArn=role, RoleSessionName="someone")
    as_role = session_with(REGION, control.as_variables(assumed["Credentials"]))
    # The role holds no policy: its session may do nothing.
    with pytest.raises(ClientError, match="no identity-based policy allows the sns:ListTopics"):
        client(as_role, "sns", local_aws).list_topics()


def test_an_unknown_access_key_is_refused(local_aws):
    stranger = session(REGION, aws_access_key_id="AKIASTRANGER", aws_secret_access_key="x")
    _refused(
        lambda: client(stranger, "sns", local_aws).list_topics(),
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )


def test_the_record_names_who_made_each_call(local_aws):
    user, arn = _user(local_aws, A, _allow("sns:ListTopics"))
    since = control.authorizations(local_aws)["next"]
    client(user, "sns", local_aws).list_topics()
    record = control.authorizations(local_aws, since)
    calls = [r for r in record["records"] if r["caller"]["arn"] == arn]
    assert [(c["request"]["action"], c["allowed"]) for c in calls] == [("sns:ListTopics", True)]
    assert calls[0]["statements"] == [f"{arn}#inline:p#0"]
    # Each policy kept as it was when the request was decided, labelled with its digest.
    [label] = calls[0]["identity_policies"]
    assert label.startswith(f"{arn}#inline:p@")
    assert record["policies"][label]["Statement"][0]["Action"] == "sns:ListTopics"


# --- the evaluator alone ----------------------------------------------------------------------


def _caller(*statements: dict) -> Caller:
    return Caller(
        arn=f"arn:aws:iam::{A}:user/u",
        account=A,
        identity_policies=(Policy("identity", {"Statement": list(statements)}),),
    )


def test_a_condition_on_a_key_the_evaluator_does_not_know_is_an_error_not_an_allow():
    caller = _caller(_allow("s3:GetObject", Condition={"StringEquals": {"aws:Unheard": "x"}}))
    with pytest.raises(UnknownConditionKey):
        evaluate(caller, Request("s3:GetObject", "arn:aws:s3:::b/k", A))


@pytest.mark.parametrize(
    ("operator", "values", "context", "allowed"),
    [
        ("StringEquals", "lambda.amazonaws.com", ("lambda.amazonaws.com",), True),
        ("StringEquals", "lambda.amazonaws.com", ("events.amazonaws.com",), False),
        ("StringEquals", "lambda.amazonaws.com", None, False),
        ("StringNotEquals", "lambda.amazonaws.com", ("events.amazonaws.com",), True),
        ("StringLike", "*.amazonaws.com", ("events.amazonaws.com",), True),
        ("StringEqualsIfExists", "lambda.amazonaws.com", None, True),
        (
            "ForAnyValue:StringEquals",
            ["a", "lambda.amazonaws.com"],
            ("lambda.amazonaws.com",),
            True,
        ),
        ("Null", "true", None, True),
        ("Null", "false", None, False),
        # A key the request lacks: ForAnyValue is false, ForAllValues true, even negated.
        ("ForAnyValue:StringNotEquals", "lambda.amazonaws.com", None, False),
        ("ForAllValues:StringEquals", "lambda.amazonaws.com", None, True),
    ],
)
def test_condition_operators(operator, values, context, allowed):
    caller = _caller(_allow("iam:PassRole", Condition={operator: {"iam:PassedToService": values}}))
    request = Request(
        "iam:PassRole",
        f"arn:aws:iam::{A}:role/r",
        A,
        {} if context is None else {"iam:passedtoservice": context},
    )
    assert evaluate(caller, request).allowed is allowed


def test_an_account_principal_in_a_resource_policy_delegates_to_iam():
    """Same account: a key policy naming the account root needs the identity policy too; one
    naming the principal itself does not."""
    request = Request("kms:Decrypt", f"arn:aws:kms:{REGION}:{A}:key/k", A)
    root_named = Policy(
        "key", {"Statement": [_allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:root"})]}
    )
    user_named = Policy(
        "key", {"Statement": [_allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{A}:user/u"})]}
    )
    nothing = _caller()
    assert not evaluate(nothing, request, root_named, resource_policy_required=True).allowed
    assert evaluate(_caller(_allow("kms:Decrypt")), request, root_named, True).allowed
    assert evaluate(nothing, request, user_named, resource_policy_required=True).allowed


@pytest.mark.parametrize(
    ("action", "params", "resources"),
    [
        # A rule of the default bus has no bus in its ARN, even when the request names the bus.
        ("events:PutRule", {"Name": "r", "EventBusName": "default"}, ["rule/r"]),
        ("events:PutRule", {"Name": "r"}, ["rule/r"]),
        ("events:PutRule", {"Name": "r", "EventBusName": "b"}, ["rule/b/r"]),
        ("events:PutPermission", {"Action": "events:PutEvents"}, ["*"]),
        ("sagemaker:ListModelPackages", {"ModelPackageGroupName": "g"}, ["model-package-group/g"]),
    ],
)
def test_the_resource_of_a_request(action, params, resources):
    from glue.local.emulator.request_checks import resources_for

    prefix = f"arn:aws:{action.split(':')[0]}:{REGION}:{A}:"
    found = resources_for(action, params, A, REGION)
    assert found == [r if r == "*" else prefix + r for r in resources]


def test_an_ssm_tag_request_names_the_kind_of_its_resource():
    from glue.local.emulator.request_checks import resources_for

    found = resources_for(
        "ssm:ListTagsForResource",
        {"ResourceType": "Parameter", "ResourceId": "/mammo/registry/platform"},
        A,
        REGION,
    )
    assert found == [f"arn:aws:ssm:{REGION}:{A}:parameter/mammo/registry/platform"]


def test_a_service_acts_as_a_role_only_when_its_trust_admits_that_service(local_aws):
    """What the local stand-ins for SageMaker, Lambda and EventBridge act with."""
    from glue.errors import MlopsError

    iam = client(_root(local_aws, A), "iam", local_aws)
    name = f"functions-{uuid.uuid4().hex[:6]}"
    trust = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": A}},
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_policy(trust))["Role"]["Arn"]
    keys = control.service_credentials(local_aws, "lambda.amazonaws.com", role, "handler")
    assert keys["AWS_SESSION_TOKEN"]
    with pytest.raises(MlopsError, match="sagemaker.amazonaws.com cannot act as"):
        control.service_credentials(local_aws, "sagemaker.amazonaws.com", role, "step")


def test_deleting_several_objects_deletes_each():
    from glue.local.emulator.request_checks import _each_resource, resources_for

    params = {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y/z"}]}}
    found = [
        arn
        for named in _each_resource("s3", "DeleteObjects", params)
        for arn in resources_for("s3:DeleteObject", named, A, REGION)
    ]
    assert found == ["arn:aws:s3:::b/x", "arn:aws:s3:::b/y/z"]


def test_removing_a_statement_one_at_a_time_finds_the_dead_one():
    """tests/least_privilege.py on a synthetic run: the statement a request needed, and one
    no request needed."""
    from tests import least_privilege

    label = f"arn:aws:iam::{A}:role/r#inline:p"
    policies = {
        label: {
            "Statement": [
                _allow("sns:ListTopics") | {"Sid": "Needed"},
                _allow("sqs:ListQueues") | {"Sid": "Dead"},
            ]
        }
    }
    record = {
        "caller": {
            "arn": f"arn:aws:sts::{A}:assumed-role/r/s",
            "account": A,
            "also_named": [f"arn:aws:iam::{A}:role/r"],
            "is_root": False,
            "service": None,
        },
        "identity_policies": [label],
        "resource_policy": None,
        "resource_policy_required": False,
        "request": {
            "action": "sns:ListTopics",
            "resource": "*",
            "resource_account": None,
            "context": {},
        },
        "allowed": True,
    }
    chosen = least_privilege.statements(policies, lambda name: name == label)
    needed = {
        s.sid: actions for s, actions in least_privilege.needs([record], policies, chosen).items()
    }
    assert needed == {"Needed": {"sns:ListTopics"}, "Dead": set()}


def test_the_root_user_reaches_everything_of_its_account_but_assumes_no_role():
    root = Caller(arn=f"arn:aws:iam::{A}:root", account=A, is_root=True)
    assert evaluate(root, Request("s3:GetObject", "arn:aws:s3:::b/k", A)).allowed
    trust = Policy(
        "trust",
        {"Statement": [_allow("sts:AssumeRole", Principal={"AWS": f"arn:aws:iam::{A}:root"})]},
    )
    assume = Request("sts:AssumeRole", f"arn:aws:iam::{A}:role/r", A)
    assert not evaluate(root, assume, trust, resource_policy_required=True).allowed
    # Another account's resource: only when its policy admits the root's account.
    granted = Policy("bucket", {"Statement": [_allow("s3:GetObject", Principal={"AWS": A})]})
    elsewhere = Request("s3:GetObject", "arn:aws:s3:::b/k", B)
    assert not evaluate(root, elsewhere).allowed
    assert evaluate(root, elsewhere, granted).allowed


def test_a_date_alone_is_midnight_utc_and_a_policy_variable_is_an_error():
    before = _caller(
        _allow("s3:GetObject", Condition={"DateLessThan": {"aws:CurrentTime": "2999-01-01"}})
    )
    now = {"aws:currenttime": ("2026-12-04T21:00:00Z",)}
    assert evaluate(before, Request("s3:GetObject", "arn:aws:s3:::b/k", A, now)).allowed
    own = _caller(_allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"))
    with pytest.raises(UnknownConditionKey):
        evaluate(own, Request("s3:GetObject", "arn:aws:s3:::b/u/k", A))


def test_a_policy_variable_in_a_condition_is_the_request_s_value():
    """As in the approver roles' trust: a user may name only themselves as the source identity.
    A variable whose key the request lacks matches nothing; an unknown key is an error."""
    themselves = _caller(
        _allow(
            "sts:AssumeRole",
            Condition={"StringEquals": {"sts:SourceIdentity": "${aws:username}"}},
        )
    )
    role = f"arn:aws:iam::{A}:role/r"

    def assumed(**context: str) -> bool:
        keys = {key: (value,) for key, value in context.items()}
        return evaluate(themselves, Request("sts:AssumeRole", role, A, keys)).allowed

    assert assumed(**{"aws:username": "dana", "sts:sourceidentity": "dana"})
    assert not assumed(**{"aws:username": "dana", "sts:sourceidentity": "pat"})
    assert not assumed(**{"sts:sourceidentity": "dana"}), "a role's session has no user name"
    literal = _caller(_allow("s3:GetObject", Condition={"StringEquals": {"aws:username": "a${*}"}}))
    assert evaluate(literal, Request("s3:GetObject", "*", A, {"aws:username": ("a*",)})).allowed
    unknown = _caller(
        _allow("s3:GetObject", Condition={"StringEquals": {"aws:username": "${no:such}"}})
    )
    with pytest.raises(UnknownConditionKey):
        evaluate(unknown, Request("s3:GetObject", "*", A, {"aws:username": ("x",)}))


def test_a_copy_reads_its_source_and_a_version_needs_the_version_action():
    from glue.local.emulator.request_checks import checks_for

    caller = _caller()
    copy = checks_for(
        "s3", "CopyObject", {"Bucket": "to", "Key": "k", "CopySource": "from/a%20b"}, caller, REGION
    )
    assert [(c.action, c.resource) for c in copy] == [
        ("s3:PutObject", "arn:aws:s3:::to/k"),
        ("s3:GetObject", "arn:aws:s3:::from/a b"),
    ]
    versioned = checks_for(
        "s3",
        "DeleteObjects",
        {"Bucket": "b", "Delete": {"Objects": [{"Key": "x", "VersionId": "1"}, {"Key": "y"}]}},
        caller,
        REGION,
    )
    assert [(c.action, c.resource) for c in versioned] == [
        ("s3:DeleteObjectVersion", "arn:aws:s3:::b/x"),
        ("s3:DeleteObject", "arn:aws:s3:::b/y"),
    ]


def test_a_source_identity_needs_the_trust_to_allow_setting_it(local_aws):
    iam = client(_root(local_aws, A), "iam", local_aws)
    name = f"no-source-identity-{uuid.uuid4().hex[:6]}"
    trust = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_policy(trust))["Role"]["Arn"]
    user, arn = _user(local_aws, A, _allow(["sts:AssumeRole", "sts:SetSourceIdentity"], role))
    sts = client(user, "sts", local_aws)
    sts.assume_role(RoleArn=role, RoleSessionName="plain")
    _refused(
        lambda: sts.assume_role(RoleArn=role, RoleSessionName="named", SourceIdentity="alice"),
        "AccessDenied",
        f"User: {arn} is not authorized to perform: sts:SetSourceIdentity on resource: {role} "
        "because no resource-based policy allows the sts:SetSourceIdentity action",
    )


def test_lambda_requests_are_authorized_too(local_aws):
    """moto names the service `awslambda`, botocore `lambda`: both layers must see it."""
    user, arn = _user(local_aws, A, _allow("sns:ListTopics"))
    _refused(
        lambda: client(user, "lambda", local_aws).list_functions(),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: lambda:ListFunctions on resource: * "
        "because no identity-based policy allows the lambda:ListFunctions action",
    )


def test_a_request_the_authorizer_cannot_decide_is_refused_and_recorded(local_aws):
    """A gap of the evaluator (here a condition key it cannot fill) is never an allow."""
    user, arn = _user(
        local_aws, A, _allow("sns:ListTopics", Condition={"StringEquals": {"aws:SourceVpc": "v"}})
    )
    since = control.authorizations(local_aws, policies=False)["next"]
    with pytest.raises(ClientError, match="condition key aws:SourceVpc is not known"):
        client(user, "sns", local_aws).list_topics()
    records = control.authorizations(local_aws, since, policies=False)["records"]
    # (Once per attempt: an SDK retries a server error.)
    assert records and {(r["caller"]["arn"], r["allowed"]) for r in records} == {(arn, False)}
    assert "could not decide" in records[0]["reason"]


def test_a_role_with_a_path_is_named_with_it():
    from glue.local.emulator.request_checks import resources_for

    found = resources_for("iam:CreateRole", {"RoleName": "r", "Path": "/platform/"}, A, REGION)
    assert found == [f"arn:aws:iam::{A}:role/platform/r"]


def test_a_key_named_by_its_alias_arn_is_that_alias_key(local_aws):
    """KMS authorizes a request naming an alias's ARN against the key it points to."""
    kms = client(_root(local_aws, A), "kms", local_aws)
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/named-{uuid.uuid4().hex[:6]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    user, _ = _user(local_aws, A, _allow("kms:DescribeKey", key["Arn"]))
    alias_arn = f"arn:aws:kms:{REGION}:{A}:{alias}"
    assert (
        client(user, "kms", local_aws).describe_key(KeyId=alias_arn)["KeyMetadata"]["Arn"]
        == (key["Arn"])
    )


def test_a_listing_s_prefix_is_its_s3_prefix_condition(local_aws):
    """s3:prefix narrows s3:ListBucket to folders (the governance reader lists only the stages'
    data-quality reports): a listing of another folder, or of the whole bucket, is refused."""
    bucket = f"listed-{uuid.uuid4().hex[:8]}"
    client(_root(local_aws, A), "s3", local_aws).create_bucket(Bucket=bucket)
    reports = {"StringLike": {"s3:prefix": "stage/reports/*"}}
    own, arn = _user(
        local_aws, A, _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", Condition=reports)
    )
    s3 = client(own, "s3", local_aws)
    assert s3.list_objects_v2(Bucket=bucket, Prefix="stage/reports/")["KeyCount"] == 0
    for listing in ({"Prefix": "stage/models/"}, {}):
        with pytest.raises(ClientError) as refused:
            s3.list_objects_v2(Bucket=bucket, **listing)
        error = refused.value.response["Error"]
        assert error["Code"] == "AccessDenied"
        assert error["Message"].startswith(
            f"User: {arn} is not authorized to perform: s3:ListBucket"
        )


def test_invoking_an_endpoint_is_checked_and_authorized_as_aws_does_it(local_aws):
    """sagemaker-runtime's InvokeEndpoint (moto's `sagemakerruntime`) is a SageMaker action on
    the endpoint: refused without it, and a name outside botocore's pattern is refused first."""
    own, arn = _user(local_aws, A, _allow("sagemaker:DescribeEndpoint"))
    runtime = client(own, "sagemaker-runtime", local_aws)
    _refused(
        lambda: runtime.invoke_endpoint(EndpointName="Scores", Body=b"1,2", ContentType="text/csv"),
        "AccessDeniedException",
        f"User: {arn} is not authorized to perform: sagemaker:InvokeEndpoint on resource: "
        f"arn:aws:sagemaker:{REGION}:{A}:endpoint/scores because no identity-based policy "
        "allows the sagemaker:InvokeEndpoint action",
    )
    with pytest.raises(ClientError, match="ValidationException"):
        runtime.invoke_endpoint(EndpointName="not_a_name", Body=b"1,2", ContentType="text/csv")
    allowed, _ = _user(
        local_aws, A, _allow("sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{REGION}:{A}:*")
    )
    with pytest.raises(ClientError, match="Could not find endpoint|not found"):
        client(allowed, "sagemaker-runtime", local_aws).invoke_endpoint(
            EndpointName="scores", Body=b"1,2", ContentType="text/csv"
        )
