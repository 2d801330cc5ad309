"""The one error type the CLI turns into a single line and a non-zero exit."""


class MlopsError(Exception):
    """A problem a person can act on; its message says what is wrong and what is expected."""


class UsageError(MlopsError):
    """A command given arguments that cannot go together: exit 2, like argparse's errors."""
