"""`mlops`: the one command-line entry point. Every error is one line and a non-zero exit."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from glue import terraform
from glue.errors import Interrupted, MlopsError, UsageError
from glue.files import write_output
from glue.local.emulator import control
from glue.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from glue.aws import Target
    from glue.config import EnvironmentConfig

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C (128 + SIGINT)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming what was wrong."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _local_up(args: argparse.Namespace) -> None:
    emulator = control.up(port=args.port)
    print(f"local AWS emulator running at {emulator.endpoint} (pid {emulator.pid})")


def _local_down(args: argparse.Namespace) -> None:
    from glue.local import operator

    running = control.find()
    if running is not None:  # a bootstrap still applying ends first
        operator.stop(running)
    stopped = control.down()
    print(f"stopped the local AWS emulator (pid {stopped.pid})" if stopped else "nothing to stop")


def _local_status(args: argparse.Namespace) -> None:
    emulator = control.require()
    print(f"local AWS emulator running at {emulator.endpoint} (pid {emulator.pid})")


def _local_env(args: argparse.Namespace) -> None:
    from glue import config
    from glue.local import operator
    from glue.local.target import EMULATOR_UNSET, emulator_environment

    emulator = control.require()
    # Signed as the local platform's CI principal (the one the registry's tfvars name).
    keys = operator.ci_credentials(config.load("registry"), emulator)
    exported = emulator_environment(emulator, args.region, keys)
    for name, value in exported.items():
        print(f"export {name}={value}")
    print(f"unset {' '.join(name for name in EMULATOR_UNSET if name not in exported)}")


def _doctor(args: argparse.Namespace) -> None:
    binary = terraform.find_terraform()
    for root in sorted((PROJECT_ROOT / "environments").iterdir()):
        terraform.check_version(binary, root)
    print(f"terraform: {binary} ({terraform.terraform_version(binary)})")
    print(f"AWS provider: installed {terraform.provider_installation()}")
    emulator = control.find()
    print(f"local AWS emulator: {emulator.endpoint if emulator else 'not running'}")


def _target(args: argparse.Namespace) -> Target:
    """Where the command runs: the local AWS by default; real AWS (ambient credentials) with
    --aws. The one place that chooses (glue/aws.py's Target)."""
    from glue.aws import AWS

    return AWS if args.aws else control.require()


def _config(args: argparse.Namespace):
    """The environment's validated tfvars; with --account, they must target that account."""
    from glue import config

    loaded = config.load(args.env, args.var_file)
    if args.account is not None:
        config.require_account(loaded, args.account)
    return loaded


def _validate(args: argparse.Namespace) -> None:
    from glue import deploy

    loaded = _config(args)
    print(f"{loaded.tfvars_file}: valid tfvars for environment {loaded.name}")
    deploy.validate(loaded)
    print(f"{loaded.terraform_dir}: valid Terraform configuration")


def _plan(args: argparse.Namespace) -> None:
    from glue import config, deploy

    loaded = _config(args)
    summary = deploy.plan(loaded, _target(args), args.out, destroy=args.destroy)
    print(f"plan saved to {summary.plan_file}: {summary}")
    if summary.blocked:
        print(
            f"blocked: AWS would refuse {len(summary.blocked)} of these deletions as things stand "
            "(apply refuses the plan until they are cleared):"
        )
        for obstacle in summary.blocked:
            print(f"  {obstacle}")
    if args.destroy and loaded.name in config.WORKLOAD_ENVIRONMENTS:
        print(
            f"applying it also deletes the pipelines of {loaded.name} (made by the upsert, "
            "so not in Terraform's plan)"
        )


def _bootstrap(args: argparse.Namespace) -> None:
    from glue import bootstrap

    loaded = _config(args)
    # Refused before the local AWS is even looked for: the tfvars miss what it creates.
    bootstrap.require_bootstrappable(loaded)
    try:
        summary = bootstrap.bootstrap(loaded, _target(args), args.dry_run, progress=_progress)
    except bootstrap.StoreMissing as missing:  # a dry run's answer, not a failure
        print(missing)
        return
    if not summary.has_changes:
        print(f"{summary}: bootstrapped before, nothing to change")
        return
    verb = "would apply (--dry-run: nothing applied)" if args.dry_run else "applied"
    print(f"{verb} {summary.plan_file}\n{summary.details()}")


def _progress(line: str) -> None:
    """A long apply says what it is doing as it goes (Jenkins shows it live)."""
    print(f"  {line}", flush=True)


def _apply(args: argparse.Namespace) -> None:
    from glue import deploy

    loaded = _config(args)
    plan_file = args.plan_file or deploy.plan_file_for(loaded)
    summary = deploy.apply(
        loaded, _target(args), plan_file, dry_run=args.dry_run, progress=_progress
    )
    verb = "would apply (--dry-run: nothing applied)" if args.dry_run else "applied"
    print(f"{verb} {plan_file}\n{summary.details()}")


def _unlock(args: argparse.Namespace) -> None:
    from glue import deploy

    deploy.unlock(_config(args), _target(args), args.lock_id)
    print(f"released state lock {args.lock_id} of {args.env}")


def _outputs(args: argparse.Namespace) -> None:
    from glue import config, deploy

    loaded = _config(args)
    if loaded.name in config.WORKLOAD_ENVIRONMENTS:
        platform = deploy.workload_platform(loaded, _target(args))
    else:
        platform = deploy.registry_platform(loaded, _target(args))
    print(json.dumps(dataclasses.asdict(platform), indent=2, sort_keys=True))


def _pipelines_upsert(args: argparse.Namespace) -> None:
    from glue import deploy
    from glue.pipelines import upsert

    loaded = _config(args)
    target = _target(args)
    platform = deploy.workload_platform(loaded, target)
    changes, diffs = upsert.upsert(loaded, platform, target, args.dry_run)
    if args.dry_run:
        for diff in diffs:
            print(diff)
    for change in changes:
        print(change)


# What `pipelines start` starts and the report's formats; kept here, not imported, so building
# the parser stays cheap (glue/pipelines/start.py and glue/compliance.py use the same).
START_KINDS = ("train", "infer")
GOVERNANCE_FORMATS = ("html", "md", "csv")


def _pipelines_start(args: argparse.Namespace) -> None:
    from glue import deploy, people
    from glue.aws import assumed_session, client
    from glue.config import WORKLOAD_ENVIRONMENTS
    from glue.contract import WorkloadContract
    from glue.pipelines import start

    loaded = _config(args)
    given = start.parse_parameters(args.param)  # a malformed pair is refused before any AWS
    if start.TRAINED_BY in given:
        raise UsageError(f"--param {start.TRAINED_BY}: mlops sets it, to whoever starts the run")
    if loaded.name not in WORKLOAD_ENVIRONMENTS:
        stages = ", ".join(WORKLOAD_ENVIRONMENTS)
        raise MlopsError(f"environment {loaded.name!r} is not a stage: expected one of {stages}")
    target = _target(args)
    caller = people.caller_arn(target, loaded.region)
    if people.is_role_session(caller, loaded.values["ci_role_arn"]):
        # CI, as the deploy role it assumes (trusted by ci_role_arn only), like the upsert.
        platform = deploy.workload_platform(loaded, target)
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
    start.prepared(sagemaker, name, given)
    run = target.start_pipeline(loaded, session, name, given)
    print(f"{run.arn}: {run.outcome}")
    _print_deliveries(run.deliveries, "  ")
    from glue import config

    _deliver_emitted(config.load("registry", None), target)  # its registration, if any
    if run.failure is not None:
        raise MlopsError(f"{name} ended {run.failure}")


def _models(args: argparse.Namespace) -> None:
    from glue import config, governance

    loaded = _config(args)
    # Usage is checked before anything is reached: a wrong stage is exit 2 wherever AWS is.
    governance.require_stage(loaded)
    if args.models_command in ("compare", "promote"):
        governance.require_promotion(loaded, config.load(args.to, args.to_var_file))
    if args.models_command == "promote" and args.force != bool(args.comment):
        raise UsageError("promote: --force and --comment go together (the comment says why)")
    target = _target(args)
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
        _deliver_emitted(owner, target)
        return
    if args.models_command == "rollback":
        done = governance.rollback(loaded, owner, target, args.comment, args.version)
        before = "" if done.changed else " (rolled back before: nothing changed)"
        print(f"{done.rejected.arn}: {done.rejected.status}{before}")
        print(f"{done.serving.arn}: serves {loaded.name} again")
        _deliver_emitted(owner, target)
        return
    approve = args.models_command == "approve"
    changed = governance.set_status(loaded, owner, target, args.version, approve, args.comment)
    print(f"{changed.arn}: {changed.status}")
    _deliver_emitted(owner, target)
    next_stage = governance.PROMOTIONS.get(loaded.name)
    if not approve and next_stage:
        _warn_of_served_copies(args, loaded, next_stage, owner, target)


def _comparison_runner(stage: EnvironmentConfig, target: Target):
    """Runs the stage's comparison pipeline to its end, started as the deploy role CI assumes:
    followed on SageMaker until it ends; the local AWS runs it to its end first."""
    from glue import comparison, deploy
    from glue.aws import assumed_session, client

    def run(pipeline: str, parameters: dict[str, str]) -> None:
        platform = deploy.workload_platform(stage, target)
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


def _scan(args: argparse.Namespace) -> None:
    from glue import checkov, deploy

    if args.env is None and args.paths:
        # The pre-commit hook: only the modules and roots whose files changed.
        folders = checkov.folders_of(args.paths)
        result = checkov.scan(checkov.CHANGED_SCAN, directories=folders)
        subject = ", ".join(folder.as_posix() for folder in folders)
    elif args.env is None:
        result = checkov.scan(checkov.SOURCES_SCAN, directories=checkov.SOURCES)
        subject = "the Terraform sources"
    else:
        if args.paths:
            raise UsageError("scan: give --env (a saved plan) or paths (sources), not both")
        loaded = _config(args)
        saved = deploy.SavedPlan.load(args.plan_file or deploy.plan_file_for(loaded))
        saved.check_made_from(loaded, None)  # wherever it was planned
        result = checkov.scan(loaded.name, plan_json=saved.plan_json(loaded))
        subject = f"the saved plan of {loaded.name}"
    print(result)
    if result.unparsed:
        raise MlopsError(
            f"checkov could not parse {len(result.unparsed)} file(s) of {subject}, so none of "
            f"their checks ran: {', '.join(result.unparsed)} "
            f"(see {result.folder / checkov.RESULTS_TEXT})"
        )
    if result.failed:
        raise MlopsError(
            f"{result.failed} failed checkov check(s) in {subject}: see "
            f"{result.folder / checkov.RESULTS_TEXT} (fix them, or skip one inline with its reason)"
        )


def _report(args: argparse.Namespace) -> None:
    from glue import report
    from glue.settings import reports_dir, state_dir

    results = args.results or reports_dir() / "checkov"
    rendered = report.render(results, args.plans or state_dir() / "plans")
    out = args.out or reports_dir() / "checkov.md"
    write_output(out, rendered.text.encode())
    unparsed = f", {len(rendered.unparsed)} file(s) not parsed" if rendered.unparsed else ""
    print(f"report written to {out} ({rendered.failed} failed check(s){unparsed})")
    # The report still reaches reviewers (it lists the refused plans); the plans themselves
    # are refused again by scan and apply, which fail the build.
    for refused in rendered.refused:
        print(f"warning: plan refused, not summarized: {refused}", file=sys.stderr)


def _deliver_emitted(registry_config: EnvironmentConfig, target: Target) -> None:
    """What the rules did by now with the events the command caused: on the local AWS, each
    goes through the deployed rules now (on AWS, EventBridge delivers them by itself)."""
    _print_deliveries(target.deliver_events(registry_config), "  event: ")


def _print_deliveries(deliveries: Sequence[str], prefix: str) -> None:
    for delivery in deliveries:
        print(f"{prefix}{delivery}")


def _governance_report(args: argparse.Namespace) -> None:
    from glue import compliance

    loaded, target = _config(args), _target(args)
    _deliver_emitted(loaded, target)
    out, rows = compliance.write(loaded, target, args.format, args.out)
    flagged = sum(bool(row.flags) for row in rows)
    print(f"governance report written to {out} ({len(rows)} versions, {flagged} flagged)")


def _governance_reconcile(args: argparse.Namespace) -> None:
    from glue import compliance

    loaded, target = _config(args), _target(args)
    _deliver_emitted(loaded, target)
    found = compliance.reconcile(loaded, target)
    for difference in found:
        print(difference)
    if found:
        raise MlopsError(
            f"{len(found)} difference(s) between the governance table and the registry: each "
            "line says what differs; an event the recorder could not record waits in its "
            "dead-letter queue"
        )
    print("the governance table and the registry agree: 0 differences")


def _demo(args: argparse.Namespace) -> None:
    from glue.local import demo, sample_data

    if args.data is not None:
        sample_data.check_training_csv(args.data)
    demo.run(keep_emulator=args.keep, data=args.data)


def _add_environment_arguments(parser: argparse.ArgumentParser, only: str | None = None) -> None:
    """--env (or, for a command of one environment, `only` as its value), its tfvars, the
    target and the account the tfvars must target."""
    if only is None:
        parser.add_argument("--env", required=True, help="registry, dev or prod")
    else:
        parser.set_defaults(env=only)
    default = f"{only or '<env>'}.tfvars.json"
    parser.add_argument(
        "--var-file", type=Path, help=f"tfvars JSON (default: {default} at the root)"
    )
    parser.add_argument(
        "--aws", action="store_true", help="target real AWS instead of the local emulator"
    )
    _add_account_argument(parser)


def _add_account_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--account", help="the account the tfvars must target (CI passes its parameter here)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    local = commands.add_parser("local", help="the local AWS emulator (three accounts on loopback)")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    up = local_commands.add_parser("up", help="start the emulator (a free port unless --port)")
    up.add_argument("--port", type=int, default=0, help="port to listen on (default: any free)")
    up.set_defaults(handler=_local_up)
    local_commands.add_parser("down", help="stop the emulator").set_defaults(handler=_local_down)
    local_commands.add_parser("status", help="is it running, and where").set_defaults(
        handler=_local_status
    )
    env = local_commands.add_parser(
        "env", help="print the shell exports that point AWS at it, as its CI principal"
    )
    env.add_argument("--region", default="us-east-1")
    env.set_defaults(handler=_local_env)
    validate = commands.add_parser(
        "validate", help="check an environment's tfvars and its Terraform (no AWS needed)"
    )
    validate.add_argument("--env", required=True, help="registry, dev or prod")
    validate.add_argument("--var-file", type=Path, help="tfvars JSON (default: <env>.tfvars.json)")
    _add_account_argument(validate)
    validate.set_defaults(handler=_validate)

    bootstrap = commands.add_parser(
        "bootstrap",
        help="an account's state bucket and the role Terraform runs as, with an administrator's "
        "credentials (once per account, before its first plan)",
    )
    _add_environment_arguments(bootstrap)
    bootstrap.add_argument(
        "--dry-run", action="store_true", help="plan and show the bootstrap, apply nothing"
    )
    bootstrap.set_defaults(handler=_bootstrap)

    plan = commands.add_parser("plan", help="validate, init and save a plan of an environment")
    _add_environment_arguments(plan)
    plan.add_argument("--out", type=Path, help="plan file (default: .mlops/plans/<env>.tfplan)")
    plan.add_argument("--destroy", action="store_true", help="plan the destruction")
    plan.set_defaults(handler=_plan)

    apply = commands.add_parser("apply", help="apply exactly a saved plan of an environment")
    _add_environment_arguments(apply)
    apply.add_argument("--plan-file", type=Path, help="default: .mlops/plans/<env>.tfplan")
    apply.add_argument(
        "--dry-run", action="store_true", help="check the plan and show it, apply nothing"
    )
    apply.set_defaults(handler=_apply)

    unlock = commands.add_parser(
        "unlock", help="release an environment's state lock left by a run that was killed"
    )
    _add_environment_arguments(unlock)
    unlock.add_argument("--lock-id", required=True, help="the ID the lock error names")
    unlock.set_defaults(handler=_unlock)

    output = commands.add_parser(
        "outputs", help="print an environment's platform contract (its root's `platform` output)"
    )
    _add_environment_arguments(output)
    output.set_defaults(handler=_outputs)

    pipelines = commands.add_parser("pipelines", help="the SageMaker pipelines of an environment")
    pipeline_commands = pipelines.add_subparsers(dest="pipelines_command", required=True)
    upsert = pipeline_commands.add_parser(
        "upsert", help="create or update scripts, Lambda and pipelines (only what changed)"
    )
    _add_environment_arguments(upsert)
    upsert.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    upsert.set_defaults(handler=_pipelines_upsert)
    start = pipeline_commands.add_parser(
        "start",
        help="start the stage's training (train) or inference (infer) pipeline; locally it "
        "runs here to its end",
    )
    _add_environment_arguments(start)
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
        _add_environment_arguments(command)
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

    governance = commands.add_parser(
        "governance", help="what a compliance officer reads of the model registry"
    )
    governance_commands = governance.add_subparsers(dest="governance_command", required=True)
    report = governance_commands.add_parser(
        "report",
        help="every version of every group: status, comment, when, AUC, promotions, flags",
    )
    report.add_argument("--format", choices=GOVERNANCE_FORMATS, default="html")
    report.add_argument("--out", type=Path, help="default: reports/governance.<format>")
    _add_environment_arguments(report, only="registry")  # the registry owns the groups
    report.set_defaults(handler=_governance_report)
    reconcile = governance_commands.add_parser(
        "reconcile",
        help="the governance table against the registry: each difference (exit 1 on any)",
    )
    _add_environment_arguments(reconcile, only="registry")
    reconcile.set_defaults(handler=_governance_reconcile)

    scan = commands.add_parser(
        "scan", help="checkov over the Terraform sources, or over an environment's saved plan"
    )
    scan.add_argument("--env", help="scan this environment's saved plan instead of the sources")
    scan.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="scan only the modules and roots holding these files (what pre-commit passes)",
    )
    scan.add_argument("--var-file", type=Path, help="tfvars JSON (default: <env>.tfvars.json)")
    scan.add_argument("--plan-file", type=Path, help="default: .mlops/plans/<env>.tfplan")
    _add_account_argument(scan)
    scan.set_defaults(handler=_scan)

    report = commands.add_parser(
        "report", help="checkov results and plan summaries as Markdown for the pull request"
    )
    report.add_argument("--results", type=Path, help="scan folders (default: reports/checkov)")
    report.add_argument("--plans", type=Path, help="plan JSON folder (default: .mlops/plans)")
    report.add_argument("--out", type=Path, help="Markdown file (default: reports/checkov.md)")
    report.set_defaults(handler=_report)

    demo = commands.add_parser("demo", help="the main job, end to end on the local AWS")
    demo.add_argument("--keep", action="store_true", help="leave the emulator running after")
    demo.add_argument("--data", type=Path, help="training CSV (default: the generated sample)")
    demo.set_defaults(handler=_demo)

    commands.add_parser(
        "doctor", help="check that terraform and the AWS provider mirror are found"
    ).set_defaults(handler=_doctor)
    return parser


DEBUG_ENV = "MLOPS_DEBUG"


def _quiet_stdout() -> None:
    """The reader of our output went away (`mlops ... | head`): send the rest nowhere, so the
    interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        with terraform.interrupts_forwarded():
            return _handled(handler, args)
    finally:
        try:  # what is left in the buffer, written now so a closed pipe is ours to handle
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()


def _handled(handler: Callable[[argparse.Namespace], None], args: argparse.Namespace) -> int:
    try:
        handler(args)
        sys.stdout.flush()
    except UsageError as error:
        print(f"mlops: {error} (see `mlops --help`)", file=sys.stderr)
        return EXIT_USAGE
    except Interrupted as error:
        print(f"mlops: {error}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MlopsError as error:
        print(f"mlops: {error}", file=sys.stderr)
        return EXIT_ERROR
    except (BotoCoreError, ClientError) as error:  # an AWS answer the glue does not expect
        print(f"mlops: AWS: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        _quiet_stdout()
        print("mlops: output closed before the command finished writing", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mlops: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # a defect of mlops: still one line, the traceback on request
        if os.environ.get(DEBUG_ENV):
            raise
        print(
            f"mlops: unexpected {type(error).__name__}: {error} (a defect of mlops: please "
            f"report it; {DEBUG_ENV}=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
