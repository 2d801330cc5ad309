"""`mlops pipelines upsert|start`: a stage's SageMaker pipelines."""

from __future__ import annotations

import argparse

from glue.cli.common import (
    add_environment_arguments,
    config_of,
    deliver_emitted,
    print_deliveries,
    target_of,
)
from glue.errors import MlopsError, UsageError

# What `pipelines start` starts; kept here, not imported, so building the parser stays cheap
# (glue/pipelines/start.py uses the same).
START_KINDS = ("train", "infer")


def _pipelines_upsert(args: argparse.Namespace) -> None:
    from glue import state_store
    from glue.pipelines import upsert

    loaded = config_of(args)
    target = target_of(args)
    platform = state_store.workload_platform(loaded, target)
    changes, diffs = upsert.upsert(loaded, platform, target, args.dry_run)
    if args.dry_run:
        for diff in diffs:
            print(diff)
    for change in changes:
        print(change)


def _pipelines_start(args: argparse.Namespace) -> None:
    from glue import people, state_store
    from glue.aws import assumed_session, client
    from glue.config import WORKLOAD_ENVIRONMENTS
    from glue.contract import WorkloadContract
    from glue.pipelines import start

    loaded = config_of(args)
    given = start.parse_parameters(args.param)  # a malformed pair is refused before any AWS
    if start.TRAINED_BY in given:
        raise UsageError(f"--param {start.TRAINED_BY}: mlops sets it, to whoever starts the run")
    if loaded.name not in WORKLOAD_ENVIRONMENTS:
        stages = ", ".join(WORKLOAD_ENVIRONMENTS)
        raise MlopsError(f"environment {loaded.name!r} is not a stage: expected one of {stages}")
    target = target_of(args)
    caller = people.caller_arn(target, loaded.region)
    if people.is_role_session(caller, loaded.values["ci_role_arn"]):
        # CI, as the deploy role it assumes (trusted by ci_role_arn only), like the upsert.
        platform = state_store.workload_platform(loaded, target)
        session = assumed_session(
            platform.deploy_role_arn, loaded.region, target, f"mlops-start-{loaded.name}"
        )
        who = people.identity_from_arn(caller)
    else:
        if args.kind != "train":
            raise MlopsError(
                f"{people.identity_from_arn(caller)} starts training only: inference runs are "
                "started by their schedule, an approval, or CI"
            )
        # A person, as the stage's data scientist role with their identity on the session.
        session, who = people.as_data_scientist(loaded, target)
        platform = people.stored_contract(WorkloadContract, session, loaded, target)
    name = start.pipeline_name(platform, args.kind)
    if args.kind == "train":
        given[start.TRAINED_BY] = start.trained_by(who)
    sagemaker = client(session, "sagemaker", target)
    if args.dry_run:
        parameters = start.prepared(sagemaker, name, given)
        shown = ", ".join(f"{p['Name']}={p['Value']}" for p in parameters) or "its defaults"
        print(f"would start {name} with {shown} (nothing started)")
        return
    run = target.start_pipeline(loaded, session, name, given)
    print(f"{run.arn}: {run.outcome}")
    print_deliveries(run.deliveries, "  ")
    if run.ended:  # its registration, if any (a run on SageMaker has not ended yet)
        from glue import config

        deliver_emitted(config.load("registry", None), target)
    if run.failure is not None:
        raise MlopsError(f"{name} ended {run.failure}")


def register(commands: argparse._SubParsersAction) -> None:
    pipelines = commands.add_parser("pipelines", help="the SageMaker pipelines of an environment")
    pipeline_commands = pipelines.add_subparsers(dest="pipelines_command", required=True)
    upsert = pipeline_commands.add_parser(
        "upsert", help="create or update scripts, Lambda and pipelines (only what changed)"
    )
    add_environment_arguments(upsert)
    upsert.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    upsert.set_defaults(handler=_pipelines_upsert)
    start = pipeline_commands.add_parser(
        "start",
        help="start the stage's training (train) or inference (infer) pipeline; locally it "
        "runs here to its end",
    )
    add_environment_arguments(start)
    start.add_argument("kind", choices=START_KINDS, help="which pipeline")
    start.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a pipeline parameter (repeatable), checked against the deployed definition",
    )
    start.add_argument("--dry-run", action="store_true", help="check, start nothing")
    start.set_defaults(handler=_pipelines_start)
