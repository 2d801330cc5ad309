"""Where commands run (Target: AWS itself here, the local AWS in glue/local/target.py), and boto3
sessions: ambient, or one per account through an assumed role."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from glue.errors import MlopsError

if TYPE_CHECKING:
    from pathlib import Path

    from glue.config import EnvironmentConfig


@dataclass(frozen=True)
class PipelineRun:
    """A pipeline execution a command started. On SageMaker it runs on by itself (`ended`
    False); the local AWS runs it to its end first, and says how it ended."""

    arn: str
    outcome: str  # "started (it runs on SageMaker)", or how it ended: "Succeeded, AUC 0.912"
    ended: bool = False
    failure: str | None = None  # how an ended run did not succeed: "Failed: <its reason>"
    deliveries: tuple[str, ...] = ()  # each rule its events fired: "rule R -> T: what happened"


class Target(Protocol):
    """What a command needs from where it runs. The AWS-side modules know only this: AWS (below)
    or the local AWS (glue/local/target.py), chosen once by the CLI."""

    @property
    def name(self) -> str:
        """Recorded in each plan's stamp: a plan is applied only where it was made."""

    @property
    def endpoint(self) -> str | None:
        """Every service's endpoint URL; None: AWS's own."""

    def ambient_credentials(self, region: str) -> Mapping[str, str] | None:
        """What a command signs with unless it assumes a role (environment variables:
        AWS_ACCESS_KEY_ID, ...); None: boto3's credential chain."""

    def administrator_credentials(self, config: EnvironmentConfig) -> Mapping[str, str] | None:
        """An administrator of the environment's account, who bootstraps it; None: ambient."""

    def prepare_account(self, config: EnvironmentConfig) -> None:
        """Before a session in the environment's account: its Terraform role assumable."""

    def terraform_environment(
        self, region: str, credentials: Mapping[str, str] | None = None
    ) -> tuple[dict[str, str], tuple[str, ...]]:
        """What Terraform runs with: variables set, and ambient ones removed."""

    def backend_settings(self) -> dict[str, object]:
        """What the S3 backend needs beyond the state store's bucket, key and key ARN."""

    def refuse_plan_of(self, plan_file: Path, planned_on: str) -> str:
        """Why a plan made on `planned_on` (another target's name) is not applied here."""

    def check_not_restarted(self, environment: str) -> None:
        """Raise when what the environment's state says is gone from where it runs."""

    def why_registry_may_be_missing(self, environment: str) -> str:
        """A hint for a stage's failed plan ("" when there is none)."""

    def apply_starting(self, environment: str) -> None: ...

    def apply_failed(self, environment: str, reasons: list[str]) -> None:
        """Raise, with the reasons, when the apply failed because where it ran went away."""

    def destroyed(self, environment: str) -> None: ...

    def start_pipeline(
        self, config: EnvironmentConfig, session: boto3.Session, name: str, parameters: dict
    ) -> PipelineRun:
        """Start the pipeline as the session's principal, its parameters checked against the
        deployed definition first."""

    def deliver_events(self, registry_config: EnvironmentConfig) -> tuple[str, ...]:
        """What the rules did by now with the events the command's changes caused."""


class Aws:
    """AWS itself: ambient credentials and AWS's endpoints; SageMaker runs the pipelines and
    EventBridge delivers the events, by themselves."""

    name = "aws"
    endpoint = None

    def ambient_credentials(self, region: str) -> None:
        return None

    def administrator_credentials(self, config: EnvironmentConfig) -> None:
        return None

    def prepare_account(self, config: EnvironmentConfig) -> None:
        return None

    def terraform_environment(
        self, region: str, credentials: Mapping[str, str] | None = None
    ) -> tuple[dict[str, str], tuple[str, ...]]:
        return {}, ()

    def backend_settings(self) -> dict[str, object]:
        return {}

    def refuse_plan_of(self, plan_file: Path, planned_on: str) -> str:
        return planned_elsewhere(plan_file, planned_on, self.name)

    def check_not_restarted(self, environment: str) -> None:
        return None

    def why_registry_may_be_missing(self, environment: str) -> str:
        return ""

    def apply_starting(self, environment: str) -> None:
        return None

    def apply_failed(self, environment: str, reasons: list[str]) -> None:
        return None

    def destroyed(self, environment: str) -> None:
        return None

    def start_pipeline(
        self, config: EnvironmentConfig, session: boto3.Session, name: str, parameters: dict
    ) -> PipelineRun:
        from glue.pipelines import start

        arn = start.start(client(session, "sagemaker", self), name, parameters)
        return PipelineRun(arn, "started (it runs on SageMaker)")

    def deliver_events(self, registry_config: EnvironmentConfig) -> tuple[str, ...]:
        return ()


AWS = Aws()


def planned_elsewhere(plan_file: Path, planned_on: str, here: str) -> str:
    return (
        f"{plan_file} was planned against {planned_on}, not {here}: plan again against the "
        "target you mean"
    )


class _SearchPaths(list):
    """The shared loader's folders: every new boto3 session appends boto3's own, once is enough."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


# One loader for every session of the process: it decodes each service model once. A session
# of its own would decode them again (tens of milliseconds per model, each time a role is
# assumed), most of what a command spends on the client side.
_LOADER = botocore.loaders.create_loader()
_LOADER._search_paths = _SearchPaths(_LOADER.search_paths)


def session(region: str, **credentials: str) -> boto3.Session:
    """A boto3 session (ambient credentials unless given) sharing the process's loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region, **credentials)


def session_with(region: str, keys: Mapping[str, str] | None) -> boto3.Session:
    """A session with credentials given as environment variables (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and, for a role's session, AWS_SESSION_TOKEN); None: the ambient
    ones (what a Target answers on AWS)."""
    if keys is None:
        return session(region)
    return session(
        region,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys.get("AWS_SESSION_TOKEN"),
    )


def base_session(region: str, target: Target = AWS) -> boto3.Session:
    """The session of the target's ambient credentials (on the local AWS: its CI principal's,
    or the person's that MLOPS_LOCAL_AS names)."""
    return session_with(region, target.ambient_credentials(region))


# Credentials of the roles this process assumed, until shortly before they expire: a command
# reading several outputs or groups of one account assumes its role once, not at every read.
# Keyed by who assumed them (the caller's access key) and where (the STS endpoint; for the
# emulator, its run), so other credentials, another endpoint or a restarted emulator assume the
# role again. Like AWS's own session credentials, they outlive a change to the role's policies.
_ASSUMED: dict[tuple, dict] = {}
_ASSUMED_LOCK = threading.Lock()
_EXPIRY_MARGIN = timedelta(minutes=5)


def assumed_session(
    role_arn: str,
    region: str,
    target: Target = AWS,
    session_name: str = "mlops",
    source_identity: str | None = None,
) -> boto3.Session:
    """A session in the role's account (the emulator derives the account from the role ARN),
    with `source_identity` (the person, glue/people.py) set on it when given."""
    try:
        base = base_session(region, target)
        sts = client(base, "sts", target)
        # Where: the STS endpoint, and the target (a restarted local AWS forgets its keys).
        where = (sts.meta.endpoint_url, target.name)
        key = (role_arn, region, session_name, source_identity, where, _caller(base))
        with _ASSUMED_LOCK:
            credentials = _ASSUMED.get(key)
        if credentials is None or credentials["Expiration"] - _EXPIRY_MARGIN < _now():
            person = {"SourceIdentity": source_identity} if source_identity else {}
            answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, **person)
            credentials = answer["Credentials"]
            with _ASSUMED_LOCK:
                _ASSUMED[key] = credentials
    except (ClientError, BotoCoreError) as error:
        raise MlopsError(
            f"cannot assume {role_arn} with the current AWS credentials ({error}): its trust "
            "policy names who may (the CI principal for the deploy role)"
        ) from None
    return session(
        region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _caller(base: boto3.Session) -> str | None:
    """The access key of the credentials the role is assumed with (None: there are none, and
    AssumeRole will say so)."""
    credentials = base.get_credentials()
    return credentials.get_frozen_credentials().access_key if credentials else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def client(session: boto3.Session, service: str, target: Target = AWS):
    return session.client(service, endpoint_url=target.endpoint)


def session_for(config: EnvironmentConfig, target: Target):
    """A session in the environment's account (its terraform_role_arn, else ambient; on the
    local AWS, the account bootstrapped first for the local platform's CI principal)."""
    target.prepare_account(config)
    if config.terraform_role_arn:
        return assumed_session(config.terraform_role_arn, config.region, target)
    return base_session(config.region, target)


def s3_uri(bucket: str, *parts: str) -> str:
    """The s3:// URI of a key or prefix, from the bucket and the key's parts (the reverse of
    split_s3)."""
    return "/".join([f"s3://{bucket}", *parts])


def split_s3(uri: str) -> tuple[str, str]:
    """(bucket, key or prefix) of an s3:// URI."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", uri)
    if match is None:
        raise ValueError(f"not an S3 URI: {uri}")
    return match.group(1), match.group(2)
