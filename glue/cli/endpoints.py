"""A stage's real-time endpoint, as CI sees it: `mlops endpoint status|invoke --env STAGE`, as
the stage's deploy role (which CI's role assumes, as for the upsert)."""

from __future__ import annotations

import argparse
from pathlib import Path

from glue.cli.common import add_environment_arguments, config_of, target_of
from glue.errors import MlopsError


def _stage(args: argparse.Namespace):
    """The stage's checked tfvars (a bad file, or not a stage, is the first thing said)."""
    from glue.config import WORKLOAD_ENVIRONMENTS

    loaded = config_of(args)
    if loaded.name not in WORKLOAD_ENVIRONMENTS:
        stages = ", ".join(WORKLOAD_ENVIRONMENTS)
        raise MlopsError(f"environment {loaded.name!r} is not a stage: expected one of {stages}")
    return loaded


def _endpoint(args: argparse.Namespace, loaded):
    """(the stage's platform contract, a session as its deploy role, the target)."""
    from glue import state_store
    from glue.aws import assumed_session

    target = target_of(args)
    platform = state_store.workload_platform(loaded, target)
    if platform.endpoint_name is None:
        raise MlopsError(
            f"{loaded.name} has no real-time endpoint: its tfvars ({loaded.tfvars_file}) name "
            "none (key 'endpoint'; README, \"Real-time serving\")"
        )
    session = assumed_session(
        platform.deploy_role_arn, loaded.region, target, f"mlops-endpoint-{loaded.name}"
    )
    return platform, session, target


def _version(config_name: str) -> str:
    from glue import endpoints

    version = endpoints.version_of(config_name)
    return f"version {version}" if version else config_name


def _status(args: argparse.Namespace) -> None:
    from botocore.exceptions import ClientError

    from glue import endpoints
    from glue.aws import client

    platform, session, target = _endpoint(args, _stage(args))
    sagemaker = client(session, "sagemaker", target)
    name = platform.endpoint_name
    try:
        described = sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as error:
        if not endpoints.missing(error):
            raise
        print(
            f"{name}: not created yet (the first approval of a version of "
            f"{platform.model_package_group_arn} creates it)"
        )
        return
    serving = described["EndpointConfigName"]
    print(f"{name}: {described['EndpointStatus']}, serving {_version(serving)} ({serving})")
    check = endpoints.check_of(sagemaker, described["EndpointArn"], serving)
    if check:
        print(f"  checked after its deployment: {check}")
    pending = described.get("PendingDeploymentSummary")
    if pending:
        [variant, *_] = pending["ProductionVariants"]
        [status, *_] = variant.get("VariantStatus") or [{}]
        message = status.get("StatusMessage")
        shown = f" ({message})" if message else ""
        deploying = pending["EndpointConfigName"]
        print(
            f"  deploying {_version(deploying)} ({deploying}): {status.get('Status', '?')}{shown}"
        )
    if described.get("FailureReason"):
        print(f"  failure: {described['FailureReason']}")
    if platform.monitoring_schedule_name:
        print(f"  {endpoints.monitoring_of(sagemaker, platform.monitoring_schedule_name)}")


def _invoke(args: argparse.Namespace) -> None:
    from botocore.exceptions import ClientError

    from glue.aws import client

    loaded = _stage(args)
    try:
        payload = args.payload.read_bytes()
    except OSError as error:
        raise MlopsError(f"{args.payload}: cannot read it ({error.strerror or error})") from None
    platform, session, target = _endpoint(args, loaded)
    runtime = client(session, "sagemaker-runtime", target)
    try:
        answered = runtime.invoke_endpoint(
            EndpointName=platform.endpoint_name, Body=payload, ContentType=args.content_type
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ModelError":
            raise
        said = error.response.get("OriginalMessage") or error.response["Error"].get("Message", "")
        said = " ".join(str(said).split())[:300]  # one line, whatever the container wrote
        status = error.response.get("OriginalStatusCode", "?")
        raise MlopsError(f"{platform.endpoint_name}: the model answered {status}: {said}") from None
    print(answered["Body"].read().decode(errors="replace"), end="")


def register(commands: argparse._SubParsersAction) -> None:
    endpoint = commands.add_parser("endpoint", help="a stage's real-time endpoint")
    endpoint_commands = endpoint.add_subparsers(dest="endpoint_command", required=True)
    status = endpoint_commands.add_parser(
        "status", help="the version it serves, and the deployment in progress if any"
    )
    add_environment_arguments(status)
    status.set_defaults(handler=_status)
    invoke = endpoint_commands.add_parser(
        "invoke", help="the endpoint's answer to a request (CSV rows of features: one score each)"
    )
    add_environment_arguments(invoke)
    invoke.add_argument("--payload", type=Path, required=True, help="the request's body")
    invoke.add_argument("--content-type", default="text/csv", help="default: text/csv")
    invoke.set_defaults(handler=_invoke)
