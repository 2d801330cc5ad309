"""`mlops validate|bootstrap|plan|apply|unlock|outputs`: an environment's Terraform."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from glue.cli.common import (
    add_account_argument,
    add_environment_arguments,
    config_of,
    progress,
    target_of,
)


def _validate(args: argparse.Namespace) -> None:
    from glue import deploy

    loaded = config_of(args)
    print(f"{loaded.tfvars_file}: valid tfvars for environment {loaded.name}")
    deploy.validate(loaded)
    print(f"{loaded.terraform_dir}: valid Terraform configuration")


def _plan(args: argparse.Namespace) -> None:
    from glue import config, deploy

    loaded = config_of(args)
    summary = deploy.plan(loaded, target_of(args), args.out, destroy=args.destroy)
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

    loaded = config_of(args)
    # Refused before the local AWS is even looked for: the tfvars miss what it creates.
    bootstrap.require_bootstrappable(loaded)
    try:
        summary = bootstrap.bootstrap(loaded, target_of(args), args.dry_run, progress=progress)
    except bootstrap.StoreMissing as missing:  # a dry run's answer, not a failure
        print(missing)
        return
    if not summary.has_changes:
        print(f"{summary}: bootstrapped before, nothing to change")
        return
    if args.dry_run:
        print(f"would apply (--dry-run: nothing applied) {summary.plan_file}\n{summary.details()}")
    else:
        print(f"applied {summary.details()}")


def _apply(args: argparse.Namespace) -> None:
    from glue import deploy, saved_plans

    loaded = config_of(args)
    plan_file = args.plan_file or saved_plans.plan_file_for(loaded)
    summary = deploy.apply(
        loaded, target_of(args), plan_file, dry_run=args.dry_run, progress=progress
    )
    verb = "would apply (--dry-run: nothing applied)" if args.dry_run else "applied"
    print(f"{verb} {plan_file}\n{summary.details()}")


def _unlock(args: argparse.Namespace) -> None:
    from glue import deploy

    deploy.unlock(config_of(args), target_of(args), args.lock_id)
    print(f"released state lock {args.lock_id} of {args.env}")


def _outputs(args: argparse.Namespace) -> None:
    from glue import config, state_store

    loaded = config_of(args)
    if loaded.name in config.WORKLOAD_ENVIRONMENTS:
        platform = state_store.workload_platform(loaded, target_of(args))
    else:
        platform = state_store.registry_platform(loaded, target_of(args))
    print(json.dumps(dataclasses.asdict(platform), indent=2, sort_keys=True))


def register(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser(
        "validate", help="check an environment's tfvars and its Terraform (no AWS needed)"
    )
    validate.add_argument("--env", required=True, help="registry, dev or prod")
    validate.add_argument("--var-file", type=Path, help="tfvars JSON (default: <env>.tfvars.json)")
    add_account_argument(validate)
    validate.set_defaults(handler=_validate)

    bootstrap = commands.add_parser(
        "bootstrap",
        help="an account's state bucket and the role Terraform runs as, with an administrator's "
        "credentials (once per account, before its first plan)",
    )
    add_environment_arguments(bootstrap)
    bootstrap.add_argument(
        "--dry-run", action="store_true", help="plan and show the bootstrap, apply nothing"
    )
    bootstrap.set_defaults(handler=_bootstrap)

    plan = commands.add_parser("plan", help="validate, init and save a plan of an environment")
    add_environment_arguments(plan)
    plan.add_argument("--out", type=Path, help="plan file (default: .mlops/plans/<env>.tfplan)")
    plan.add_argument("--destroy", action="store_true", help="plan the destruction")
    plan.set_defaults(handler=_plan)

    apply = commands.add_parser("apply", help="apply exactly a saved plan of an environment")
    add_environment_arguments(apply)
    apply.add_argument("--plan-file", type=Path, help="default: .mlops/plans/<env>.tfplan")
    apply.add_argument(
        "--dry-run", action="store_true", help="check the plan and show it, apply nothing"
    )
    apply.set_defaults(handler=_apply)

    unlock = commands.add_parser(
        "unlock", help="release an environment's state lock left by a run that was killed"
    )
    add_environment_arguments(unlock)
    unlock.add_argument("--lock-id", required=True, help="the ID the lock error names")
    unlock.set_defaults(handler=_unlock)

    output = commands.add_parser(
        "outputs", help="print an environment's platform contract (its root's `platform` output)"
    )
    add_environment_arguments(output)
    output.set_defaults(handler=_outputs)
