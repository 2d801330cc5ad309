"""`mlops`: the one command-line entry point. Every error is one line and a non-zero exit.

Each command group is a module of this package that registers its own sub-commands and
handlers; where a command runs is chosen once (glue/cli/common.py's `target_of`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from glue import terraform
from glue.cli import endpoints, environments, local, models, pipelines, reports
from glue.errors import Interrupted, MlopsError, UsageError

DESCRIPTION = (
    "`mlops`: the one command-line entry point. Every error is one line and a non-zero exit."
)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C (128 + SIGINT)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming what was wrong."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in (local, environments, pipelines, models, endpoints, reports):
        group.register(commands)
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
