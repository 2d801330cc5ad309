"""`mlops models ...`: model governance (list, latest, approve, reject, compare, promote,
rollback)."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from glue.cli.common import add_environment_arguments, config_of, deliver_emitted, target_of
from glue.errors import MlopsError, UsageError

if TYPE_CHECKING:
    from glue.aws import Target
    from glue.config import EnvironmentConfig


def _models(args: argparse.Namespace) -> None:
    from glue import config, governance

    loaded = config_of(args)
    # Usage is checked before anything is reached: a wrong stage is exit 2 wherever AWS is.
    governance.require_stage(loaded)
    if args.models_command in ("compare", "promote"):
        governance.require_promotion(loaded, config.load(args.to, args.to_var_file))
    if args.models_command == "promote" and args.force != bool(args.comment):
        raise UsageError("promote: --force and --comment go together (the comment says why)")
    target = target_of(args)
    if args.models_command == "latest":
        print(json.dumps(governance.latest(loaded, target), indent=2, sort_keys=True))
        return
    if args.models_command == "list":
        print(f"{'version':>7}  {'status':<21}  {'auc':<8}  created")
        for v in governance.versions(loaded, target):
            print(f"{v.version:>7}  {v.status:<21}  {v.auc:<8}  {v.created}")
        return
    owner = config.load("registry", args.registry_var_file)
    if args.models_command == "compare":
        to = config.load(args.to, args.to_var_file)
        run = _comparison_runner(loaded, target)
        done = governance.compare(loaded, to, owner, target, args.version, args.test_data, run)
        print(done)
        print(
            f"recorded on {done.challenger_arn}"
            if done.ran
            else "(compared before with this champion on this data: nothing ran)"
        )
        return
    if args.models_command == "promote":
        to = config.load(args.to, args.to_var_file)
        forced = args.comment if args.force else None
        promotion = governance.promote(loaded, to, owner, target, args.version, forced)
        note = "" if promotion.created else " (promoted before: this is that copy)"
        print(f"{promotion.version.arn}: {promotion.version.status}{note}")
        deliver_emitted(owner, target)
        return
    if args.models_command == "rollback":
        done = governance.rollback(loaded, owner, target, args.comment, args.version)
        before = "" if done.changed else " (rolled back before: nothing changed)"
        print(f"{done.rejected.arn}: {done.rejected.status}{before}")
        print(f"{done.serving.arn}: serves {loaded.name} again")
        deliver_emitted(owner, target)
        return
    approve = args.models_command == "approve"
    changed = governance.set_status(loaded, owner, target, args.version, approve, args.comment)
    print(f"{changed.arn}: {changed.status}")
    deliver_emitted(owner, target)
    next_stage = governance.PROMOTIONS.get(loaded.name)
    if not approve and next_stage:
        _warn_of_served_copies(args, loaded, next_stage, owner, target)


def _comparison_runner(stage: EnvironmentConfig, target: Target):
    """Runs the stage's comparison pipeline to its end, started as the deploy role CI assumes:
    followed on SageMaker until it ends; the local AWS runs it to its end first."""
    from glue import comparison, state_store
    from glue.aws import assumed_session, client

    def run(pipeline: str, parameters: dict[str, str]) -> None:
        platform = state_store.workload_platform(stage, target)
        session = assumed_session(
            platform.deploy_role_arn, stage.region, target, f"mlops-compare-{stage.name}"
        )
        started = target.start_pipeline(stage, session, pipeline, parameters)
        if not started.ended:
            print(f"{started.arn}: started, waiting for it to end")
            comparison.wait(client(session, "sagemaker", target), started.arn)
            return
        print(f"{started.arn}: {started.outcome}")
        if started.failure is not None:
            raise MlopsError(
                f"the comparison {started.arn} ended {started.failure}; nothing recorded"
            )

    return run


def _warn_of_served_copies(
    args: argparse.Namespace,
    source: EnvironmentConfig,
    next_stage: str,
    owner: EnvironmentConfig,
    target: Target,
) -> None:
    """After a rejection: the copies promoted from that version that the next stage still
    serves, each with the command that rejects it. The rejection stands whatever this finds."""
    from glue import config, governance

    # The commands suggested reach the same AWS with the same tfvars as this one.
    stage_options = " --aws" * args.aws
    if args.to_var_file is not None:
        stage_options += f" --var-file {shlex.quote(str(args.to_var_file))}"
    reject_options = stage_options
    if args.registry_var_file is not None:
        reject_options += f" --registry-var-file {shlex.quote(str(args.registry_var_file))}"
    try:
        served = governance.served_copies(
            source, config.load(next_stage, args.to_var_file), owner, target, args.version
        )
    except MlopsError as error:
        print(
            f"warning: could not check whether {next_stage} still serves a copy of this "
            f"version ({error}): check with `mlops models list --env {next_stage}{stage_options}`"
        )
        return
    for copy in served:
        print(
            f"warning: its copy {copy.arn} is still Approved in {next_stage} and served: "
            f"reject it too with `mlops models reject --env {next_stage} --version "
            f'{copy.version} --comment "source rejected in {source.name}"{reject_options}`'
        )


def register(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser("models", help="govern model versions of the central registry")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    for verb, text in (
        ("list", "versions with status and metrics"),
        ("latest", "the newest approved version"),
        ("approve", "approve a version, with a comment"),
        ("reject", "reject a version, with a comment"),
        ("compare", "score a version and the next stage's champion on the same held-out data"),
        ("promote", "copy an approved version to the next stage's group"),
        ("rollback", "reject the served version: the approved one before it serves again"),
    ):
        command = model_commands.add_parser(verb, help=text)
        add_environment_arguments(command)
        command.set_defaults(handler=_models)
        if verb == "rollback":
            command.add_argument(
                "--version",
                type=int,
                help="roll back only if this version is the one served (a repeat changes nothing)",
            )
            command.add_argument("--comment", required=True, help="why (recorded)")
        if verb in ("approve", "reject", "compare", "promote", "rollback"):
            if verb != "rollback":
                command.add_argument("--version", type=int, required=True)
            command.add_argument(
                "--registry-var-file",
                type=Path,
                help="tfvars of the registry (default: registry.tfvars.json)",
            )
        if verb in ("approve", "reject"):
            command.add_argument("--comment", required=True, help="why (recorded)")
        if verb in ("compare", "promote"):
            command.add_argument("--to", default="prod", help="target environment (prod)")
        if verb == "compare":
            command.add_argument(
                "--test-data",
                metavar="S3_URI",
                help="held-out data (default: the split the version's training run held out)",
            )
        if verb == "promote":
            command.add_argument(
                "--force",
                action="store_true",
                help="promote even a challenger worse than the champion (needs --comment)",
            )
            command.add_argument("--comment", help="why it is forced (recorded in the approval)")
        if verb in ("compare", "promote", "reject"):
            command.add_argument(
                "--to-var-file",
                type=Path,
                help="tfvars of the stage promoted to (reject: where copies are looked for)",
            )
