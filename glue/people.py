"""Who decides: the person behind the ambient credentials, and the registry roles they act as.

A model decision (approve, reject, promote, roll back) is made as the stage's approver role in
the registry account, and the governance record is read as the governance reader role. Each is
assumed with the caller's own identity as the session's source identity: AWS keeps it on every
request of the session and SageMaker records it with each change (DescribeModelPackage's
`LastModifiedBy.IamIdentity.SourceIdentity`), so the record names the person, not only the
role. The Terraform and CI roles hold none of these permissions (modules/model-approvers).

A person assumes these roles before any state can be read, so their names are known from the
registry's tfvars, as the naming module makes them (its outputs `model_approver_role_names` and
`governance_reader_role_name`; tests/test_people.py holds the two to each other). Inside the
role, the registry's contract is read from its SSM parameter.
"""

from __future__ import annotations

import json
import re

from botocore.exceptions import BotoCoreError, ClientError

from glue import contract
from glue.aws import Target, assumed_session, base_session, client
from glue.config import EnvironmentConfig
from glue.errors import MlopsError

# STS's SourceIdentity (and RoleSessionName): 2-64 of these characters, not starting "aws:".
SOURCE_IDENTITY = re.compile(r"[a-zA-Z0-9_+=,.@-]{2,64}")


def _role_arn(environment: EnvironmentConfig, role_name: str) -> str:
    """A role of the environment's account (the registry's, for the approvers)."""
    partition = (environment.terraform_role_arn or "arn:aws:").split(":")[1]
    return f"arn:{partition}:iam::{environment.account_id}:role/{role_name}"


def approver_role_arn(registry: EnvironmentConfig, stage: str) -> str:
    return _role_arn(registry, f"{registry.values['name_prefix']}-{stage}-model-approver")


def reader_role_arn(registry: EnvironmentConfig) -> str:
    return _role_arn(registry, f"{registry.values['name_prefix']}-governance-reader")


def data_scientist_role_arn(stage: EnvironmentConfig) -> str:
    """The role a stage's data scientists start its training as, in the stage's account."""
    return _role_arn(stage, f"{stage.values['name_prefix']}-{stage.name}-data-scientist")


def contract_parameter_name(environment: EnvironmentConfig) -> str:
    return f"/{environment.values['name_prefix']}/{environment.name}/platform"


def identity_from_arn(arn: str) -> str:
    """The person an ARN of GetCallerIdentity names: an IAM user's name, or a role session's
    name (an SSO session is named after the person's e-mail)."""
    kind, _, rest = arn.split(":", 5)[-1].partition("/")
    if kind == "user":
        name = rest.rsplit("/", 1)[-1]
    elif kind == "assumed-role":
        name = rest.split("/", 1)[-1]
    else:
        raise MlopsError(
            f"the AWS credentials are {arn}'s: a model decision needs a person's own "
            "credentials (an IAM user, or a role session named after the person)"
        )
    if not SOURCE_IDENTITY.fullmatch(name) or name.lower().startswith("aws:"):
        raise MlopsError(
            f"{name!r} (from {arn}) is no source identity STS accepts (2-64 letters, digits "
            "or _ + = , . @ -): sign in with a session name that is"
        )
    return name


def caller_arn(target: Target, region: str) -> str:
    """The ARN of the ambient credentials (GetCallerIdentity)."""
    try:
        return client(base_session(region, target), "sts", target).get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as error:
        raise MlopsError(f"cannot tell who the AWS credentials are ({error})") from None


def person(target: Target, region: str) -> str:
    """Who the ambient credentials are."""
    return identity_from_arn(caller_arn(target, region))


def is_role_session(caller: str, role_arn: str) -> bool:
    """Is the caller (a GetCallerIdentity ARN) a session of the role (its ARN, any path)?"""
    kind, _, rest = caller.split(":", 5)[-1].partition("/")
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return kind == "assumed-role" and caller.split(":")[4] == account and rest.split("/")[0] == name


def _as(role_arn: str, what: str, config: EnvironmentConfig, target: Target, keys: str):
    who = person(target, config.region)
    try:
        return assumed_session(
            role_arn, config.region, target, session_name=who, source_identity=who
        ), who
    except MlopsError as error:
        raise MlopsError(
            f"{who} may not act as {role_arn} ({what}): the {config.name} tfvars name who may "
            f"({keys}), and {config.name} must be applied with them; {error}"
        ) from None


def as_approver(registry: EnvironmentConfig, stage: str, target: Target):
    """(session as the stage's approver role with the caller's identity, the person)."""
    return _as(
        approver_role_arn(registry, stage), f"the {stage} approver", registry, target,
        "model_approvers",
    )  # fmt: skip


def as_reader(registry: EnvironmentConfig, target: Target):
    """(session as the governance reader role with the caller's identity, the person)."""
    return _as(
        reader_role_arn(registry), "the governance reader", registry, target,
        "governance_readers",
    )  # fmt: skip


def as_data_scientist(stage: EnvironmentConfig, target: Target):
    """(session as the stage's data scientist role with the caller's identity, the person)."""
    return _as(
        data_scientist_role_arn(stage), f"{stage.name}'s data scientist", stage, target,
        "data_scientists",
    )  # fmt: skip


def registry_contract(
    session, registry: EnvironmentConfig, target: Target
) -> contract.RegistryContract:
    """The registry's platform contract, from its SSM parameter (what a role without access to
    the Terraform state reads)."""
    return stored_contract(contract.RegistryContract, session, registry, target)


def stored_contract(
    kind: type[contract.Contract], session, environment: EnvironmentConfig, target
) -> contract.Contract:
    """An environment's platform contract, from its SSM parameter."""
    name = contract_parameter_name(environment)
    try:
        value = client(session, "ssm", target).get_parameter(Name=name, WithDecryption=True)
        platform = {**json.loads(value["Parameter"]["Value"]), "parameter_name": name}
    except ClientError as error:
        raise MlopsError(
            f"cannot read the contract of {environment.name} {name}: {error}"
        ) from None
    except ValueError:
        raise MlopsError(
            f"the contract of {environment.name} {name} is not JSON: apply {environment.name}"
        ) from None
    return contract.parse(kind, environment.name, platform)
