"""The local AWS does what STS does with a role session's source identity (IAM User Guide,
"Monitor and control actions taken with assumed roles"): set by AssumeRole when the role's trust
allows sts:SetSourceIdentity, carried by the session's requests as aws:SourceIdentity, kept (and
never changed) across role chaining, and recorded by SageMaker as who changed a model version.

An emulator of this module's own (tests/test_authorization.py's fixture), enforcing.
"""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from glue.aws import client, session_with
from glue.local.emulator import control
from tests import accounts, test_authorization
from tests.conftest import REGION
from tests.test_authorization import A, _allow, _policy, _refused, _root, _user

pytestmark = pytest.mark.emulator

# Its fixture, bound here so that pytest finds it (a module-scoped emulator: this module's own).
local_aws = test_authorization.local_aws


def _role(
    emulator, trusted: str, trust_actions: list[str], *statements: dict, **condition: dict
) -> str:
    """A new role of account A trusting `trusted` for these actions (under `condition`, a
    policy Condition element), holding exactly these statements."""
    iam = client(_root(emulator, A), "iam", emulator)
    name = f"role-{uuid.uuid4().hex[:8]}"
    trust = {"Effect": "Allow", "Action": trust_actions, "Principal": {"AWS": trusted}}
    if condition:
        trust["Condition"] = condition
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_policy(trust))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=_policy(*statements))
    return arn


def _as(answer: dict) -> boto3.Session:
    """The session AssumeRole answered."""
    return session_with(REGION, control.as_variables(answer["Credentials"]))


_SET = ["sts:AssumeRole", "sts:SetSourceIdentity"]
# What a session may do only with a source identity: the global key its requests carry.
_ONLY_AS_ALICE = _allow(
    "sns:ListTopics", Condition={"StringEquals": {"aws:SourceIdentity": "alice"}}
)


def test_a_trust_may_require_a_source_identity(local_aws):
    """(A trust allowing sts:AssumeRole alone refuses one: tests/test_authorization.py.)"""
    role = _role(local_aws, f"arn:aws:iam::{A}:root", _SET, Null={"sts:SourceIdentity": "false"})
    user, arn = _user(local_aws, A, _allow(_SET, role))
    sts = client(user, "sts", local_aws)
    answer = sts.assume_role(RoleArn=role, RoleSessionName="named", SourceIdentity="alice")
    assert answer["SourceIdentity"] == "alice"
    _refused(
        lambda: sts.assume_role(RoleArn=role, RoleSessionName="unnamed"),
        "AccessDenied",
        f"User: {arn} is not authorized to perform: sts:AssumeRole on resource: {role} "
        "because no resource-based policy allows the sts:AssumeRole action",
    )


def test_a_session_requests_with_its_source_identity(local_aws):
    role = _role(local_aws, f"arn:aws:iam::{A}:root", _SET, _ONLY_AS_ALICE)
    user, _ = _user(local_aws, A, _allow(_SET, role))
    sts = client(user, "sts", local_aws)
    alice = _as(sts.assume_role(RoleArn=role, RoleSessionName="someone", SourceIdentity="alice"))
    client(alice, "sns", local_aws).list_topics()
    nobody = _as(sts.assume_role(RoleArn=role, RoleSessionName="someone"))
    with pytest.raises(ClientError, match="no identity-based policy allows the sns:ListTopics"):
        client(nobody, "sns", local_aws).list_topics()


def test_role_chaining_keeps_the_source_identity_and_never_changes_it(local_aws):
    first = _role(local_aws, f"arn:aws:iam::{A}:root", _SET, _allow(_SET))
    session_arn = f"arn:aws:sts::{A}:assumed-role/{first.rsplit('/', 1)[1]}/first"
    # The next role's trust must allow setting it too: the chained request sets it again.
    not_setting = _role(local_aws, first, ["sts:AssumeRole"])
    # (The trust of AWS's example: the chained request carries both keys.)
    second = _role(
        local_aws,
        first,
        _SET,
        _ONLY_AS_ALICE,
        StringEquals={"aws:SourceIdentity": "alice"},
        Null={"sts:SourceIdentity": "false"},
    )
    user, _ = _user(local_aws, A, _allow(_SET, first))
    answer = client(user, "sts", local_aws).assume_role(
        RoleArn=first, RoleSessionName="first", SourceIdentity="alice"
    )
    sts = client(_as(answer), "sts", local_aws)

    _refused(
        lambda: sts.assume_role(RoleArn=not_setting, RoleSessionName="next"),
        "AccessDenied",
        f"User: {session_arn} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{not_setting} because no resource-based policy allows the sts:SetSourceIdentity action",
    )
    chained = sts.assume_role(RoleArn=second, RoleSessionName="next")
    assert chained["SourceIdentity"] == "alice"
    client(_as(chained), "sns", local_aws).list_topics()
    again = sts.assume_role(RoleArn=second, RoleSessionName="again", SourceIdentity="alice")
    assert again["SourceIdentity"] == "alice"
    _refused(
        lambda: sts.assume_role(RoleArn=second, RoleSessionName="bob", SourceIdentity="bob"),
        "AccessDenied",
        "The calling session's source identity is alice: it persists across role chaining and "
        "cannot be changed to bob",
    )


def test_an_invalid_source_identity_is_refused_before_authorization(local_aws):
    user, _ = _user(local_aws, A)
    role = f"arn:aws:iam::{A}:role/anything"
    _refused(
        lambda: client(user, "sts", local_aws).assume_role(
            RoleArn=role, RoleSessionName="someone", SourceIdentity="alice smith"
        ),
        "ValidationError",
        "1 validation error detected: Value 'alice smith' at 'sourceIdentity' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    )


def test_sagemaker_records_who_changed_a_version_with_their_source_identity(local_aws):
    """CreatedBy / LastModifiedBy, in DescribeModelPackage and in the state change events:
    every update sets LastModifiedBy (and LastModifiedTime); only a status change emits."""
    role = _role(local_aws, f"arn:aws:iam::{A}:root", _SET, _allow("sagemaker:*"))
    user, _ = _user(local_aws, A, _allow(_SET, role))
    answer = client(user, "sts", local_aws).assume_role(
        RoleArn=role, RoleSessionName="registrar", SourceIdentity="alice"
    )
    alice = client(_as(answer), "sagemaker", local_aws)
    alice_identity = {
        "Arn": answer["AssumedRoleUser"]["Arn"],
        "PrincipalId": answer["AssumedRoleUser"]["AssumedRoleId"],
        "SourceIdentity": "alice",
    }
    editor, editor_arn = _user(local_aws, A, _allow("sagemaker:*"))
    group = f"group-{uuid.uuid4().hex[:8]}"
    alice.create_model_package_group(ModelPackageGroupName=group)
    control.take_emitted_events(local_aws)
    arn = alice.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=accounts.INFERENCE_SPEC,
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]
    created = alice.describe_model_package(ModelPackageName=arn)
    assert created["CreatedBy"] == {"IamIdentity": alice_identity}

    client(editor, "sagemaker", local_aws).update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"note": "checked"}
    )
    edited = alice.describe_model_package(ModelPackageName=arn)
    assert edited["LastModifiedBy"]["IamIdentity"]["Arn"] == editor_arn
    assert "SourceIdentity" not in edited["LastModifiedBy"]["IamIdentity"]
    assert edited["LastModifiedTime"] >= created["CreationTime"]

    alice.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    # (None for the metadata's update: it changed no status.)
    [on_create, on_approval] = control.take_emitted_events(local_aws)
    assert on_create["detail"]["CreatedBy"] == {"IamIdentity": alice_identity}
    assert on_approval["detail"]["ModelApprovalStatus"] == "Approved"
    assert on_approval["detail"]["LastModifiedBy"] == {"IamIdentity": alice_identity}
    assert on_approval["detail"]["CustomerMetadataProperties"] == {"note": "checked"}
