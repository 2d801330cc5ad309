"""boto3 sessions: local emulator or real AWS, and one per account through an assumed role."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from glue.errors import MlopsError
from glue.local.emulator.control import Emulator

# A gap in the emulator must fail in seconds, not after the provider's retries of HTTP 500s
# (tens of minutes). boto3 reads AWS_MAX_ATTEMPTS; the AWS provider ignores it for those
# retries and needs `max_retries` in its block, which every root module takes as a variable.
# A few retries remain: the emulator's HTTP server sometimes closes a kept-alive connection.
EMULATOR_MAX_ATTEMPTS = "2"
EMULATOR_PROVIDER_MAX_RETRIES = "3"
# Ambient settings that would send the emulator's callers elsewhere: unset, not set empty (an
# empty AWS_PROFILE is a profile named "" to boto3 and the AWS CLI, which they refuse).
EMULATOR_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def emulator_environment(
    emulator: Emulator, region: str, credentials: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for Terraform and boto3 so that every AWS call goes to the emulator (with the
    variables of EMULATOR_UNSET removed), signed with `credentials` (environment variables:
    AWS_ACCESS_KEY_ID, ...), by default the local platform's CI principal's
    (glue/local/operator.py)."""
    if credentials is None:
        from glue.local import operator

        credentials = operator.credentials(emulator, region)
    return {
        **credentials,
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_MAX_ATTEMPTS": EMULATOR_MAX_ATTEMPTS,
        "TF_VAR_aws_max_retries": EMULATOR_PROVIDER_MAX_RETRIES,
    }


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


def session_with(region: str, keys: Mapping[str, str]) -> boto3.Session:
    """A session with credentials given as environment variables (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and, for a role's session, AWS_SESSION_TOKEN)."""
    return session(
        region,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys.get("AWS_SESSION_TOKEN"),
    )


def base_session(region: str, emulator: Emulator | None = None) -> boto3.Session:
    """The ambient credentials' session; on the local AWS, its CI principal's, or the person's
    that MLOPS_LOCAL_AS names (glue/local/operator.py)."""
    if emulator is None:
        return session(region)
    from glue.local import operator

    return session_with(region, operator.ambient_credentials(emulator, region))


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
    emulator: Emulator | None = None,
    session_name: str = "mlops",
    source_identity: str | None = None,
) -> boto3.Session:
    """A session in the role's account (the emulator derives the account from the role ARN),
    with `source_identity` (the person, glue/people.py) set on it when given."""
    endpoint = emulator.endpoint if emulator else None
    try:
        base = base_session(region, emulator)
        sts = base.client("sts", endpoint_url=endpoint)
        # Where: the STS endpoint, and for the emulator its run (a restart forgets its keys).
        where = (sts.meta.endpoint_url, emulator.instance if emulator else None)
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


def client(session: boto3.Session, service: str, emulator: Emulator | None = None):
    return session.client(service, endpoint_url=emulator.endpoint if emulator else None)


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
