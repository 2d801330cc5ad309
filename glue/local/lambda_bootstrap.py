"""What a Lambda execution environment runs for an invocation: `python3 lambda_bootstrap.py
module.function`, the event as JSON on stdin, the function's folder on sys.path. Prints the
handler's result as JSON; an exception is one line on stderr and exit status 1."""

import importlib
import json
import sys


def main() -> None:
    module, name = sys.argv[1].rsplit(".", 1)
    try:
        result = getattr(importlib.import_module(module), name)(json.load(sys.stdin), None)
    except Exception as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
