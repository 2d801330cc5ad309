"""The error types the CLI turns into a single line and a non-zero exit."""


class MlopsError(Exception):
    """A problem a person can act on; its message says what is wrong and what is expected."""


class UsageError(MlopsError):
    """A command given arguments that cannot go together: exit 2, like argparse's errors."""


class Interrupted(MlopsError):
    """A command stopped by its user (Ctrl-C, or SIGTERM from a CI job's abort): exit 130, as a
    shell reports a command ended by SIGINT."""
