"""`mlops local ...`, `mlops demo` and `mlops doctor`: the embedded local AWS and what runs
on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from glue import terraform_setup
from glue.local.emulator import control
from glue.settings import PROJECT_ROOT


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
    binary = terraform_setup.find_terraform()
    for root in sorted((PROJECT_ROOT / "environments").iterdir()):
        terraform_setup.check_version(binary, root)
    print(f"terraform: {binary} ({terraform_setup.terraform_version(binary)})")
    print(f"AWS provider: installed {terraform_setup.provider_installation()}")
    emulator = control.find()
    print(f"local AWS emulator: {emulator.endpoint if emulator else 'not running'}")


def _demo(args: argparse.Namespace) -> None:
    from glue.local import demo, sample_data

    if args.data is not None:
        sample_data.check_training_csv(args.data)
    demo.run(keep_emulator=args.keep, data=args.data)


def register(commands: argparse._SubParsersAction) -> None:
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
    demo = commands.add_parser("demo", help="the main job, end to end on the local AWS")
    demo.add_argument("--keep", action="store_true", help="leave the emulator running after")
    demo.add_argument("--data", type=Path, help="training CSV (default: the generated sample)")
    demo.set_defaults(handler=_demo)

    commands.add_parser(
        "doctor", help="check that terraform and the AWS provider mirror are found"
    ).set_defaults(handler=_doctor)
