"""What every command group shares: where a command runs, its environment's tfvars, the
arguments that name them, and what a command reports as it goes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glue.aws import Target
    from glue.config import EnvironmentConfig


def target_of(args: argparse.Namespace) -> Target:
    """Where the command runs: the local AWS by default; real AWS (ambient credentials) with
    --aws. The one place that chooses (glue/aws.py's Target)."""
    from glue.aws import AWS

    if args.aws:
        return AWS
    from glue.local.emulator import control

    return control.require()


def config_of(args: argparse.Namespace):
    """The environment's validated tfvars; with --account, they must target that account."""
    from glue import config

    loaded = config.load(args.env, args.var_file)
    if args.account is not None:
        config.require_account(loaded, args.account)
    return loaded


def progress(line: str) -> None:
    """A long apply says what it is doing as it goes (Jenkins shows it live)."""
    print(f"  {line}", flush=True)


def add_environment_arguments(parser: argparse.ArgumentParser, only: str | None = None) -> None:
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
    add_account_argument(parser)


def add_account_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--account", help="the account the tfvars must target (CI passes its parameter here)"
    )


def deliver_emitted(registry_config: EnvironmentConfig, target: Target) -> None:
    """What the rules did by now with the events the command caused: on the local AWS, each
    goes through the deployed rules now (on AWS, EventBridge delivers them by itself)."""
    print_deliveries(target.deliver_events(registry_config), "  event: ")


def print_deliveries(deliveries: Sequence[str], prefix: str) -> None:
    for delivery in deliveries:
        print(f"{prefix}{delivery}")
