"""`mlops`: the one command-line entry point. Every error is one line and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from glue.emulator import control
from glue.errors import MlopsError

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming what was wrong."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _local_up(args: argparse.Namespace) -> None:
    emulator = control.up(port=args.port)
    print(f"local AWS emulator running at {emulator.endpoint} (pid {emulator.pid})")


def _local_down(args: argparse.Namespace) -> None:
    stopped = control.down()
    print(f"stopped the local AWS emulator (pid {stopped.pid})" if stopped else "nothing to stop")


def _local_status(args: argparse.Namespace) -> None:
    emulator = control.find()
    if emulator is None:
        raise MlopsError("the local AWS emulator is not running: start it with `mlops local up`")
    print(f"local AWS emulator running at {emulator.endpoint} (pid {emulator.pid})")


def _local_env(args: argparse.Namespace) -> None:
    from glue.aws import emulator_environment

    for name, value in emulator_environment(control.require(), args.region).items():
        print(f"export {name}={value}")


def _doctor(args: argparse.Namespace) -> None:
    from glue import terraform

    print(f"terraform: {terraform.find_terraform()}")
    print(f"AWS provider mirror: {terraform.find_provider_mirror()}")
    emulator = control.find()
    print(f"local AWS emulator: {emulator.endpoint if emulator else 'not running'}")


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
    env = local_commands.add_parser("env", help="print the shell exports that point AWS at it")
    env.add_argument("--region", default="us-east-1")
    env.set_defaults(handler=_local_env)
    commands.add_parser(
        "doctor", help="check that terraform and the AWS provider mirror are found"
    ).set_defaults(handler=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        handler(args)
    except MlopsError as error:
        print(f"mlops: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mlops: interrupted", file=sys.stderr)
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
