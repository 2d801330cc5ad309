"""Programs forked from the warm interpreter (glue/local/warm.py) behave as `python3 script`
does where the step runner and the Lambda invoker look: arguments, stdin, environment, working
folder, output, exit status, the last line of an uncaught exception, and a timeout."""

from __future__ import annotations

import json
import os
from pathlib import Path

from glue.local import warm

SCRIPT = """
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "stdin": sys.stdin.read(),
                  "environment": dict(os.environ), "first": sys.path[0]}))
if "raise" in sys.argv:
    raise ValueError("no rows to score")
if "exit" in sys.argv:
    sys.exit(3)
if "sleep" in sys.argv:
    import time
    time.sleep(60)
"""


def _script(tmp_path: Path) -> Path:
    script = tmp_path / "code" / "step.py"
    script.parent.mkdir()
    script.write_text(SCRIPT)
    return script


def test_a_program_gets_its_arguments_input_environment_and_folder(tmp_path):
    script = _script(tmp_path)
    done = warm.run(
        script, ["--base-dir", "x"], environment={"ONLY": "this"}, cwd=tmp_path, stdin="rows"
    )
    assert (done.returncode, done.stderr) == (0, "")
    seen = json.loads(done.stdout)
    assert seen["argv"] == ["--base-dir", "x"]
    assert (seen["cwd"], seen["stdin"], seen["environment"]) == (
        str(tmp_path),
        "rows",
        {"ONLY": "this"},
    )
    assert seen["first"] == str(script.parent)
    assert os.environ.get("ONLY") is None  # the caller's environment is its own


def test_an_exception_or_exit_status_ends_the_program_as_python_does(tmp_path):
    script = _script(tmp_path)
    raised = warm.run(script, ["raise"])
    assert raised.returncode == 1
    assert raised.stderr.strip().splitlines()[-1] == "ValueError: no rows to score"
    assert warm.run(script, ["exit"]).returncode == 3


def test_a_program_past_its_timeout_is_killed(tmp_path):
    done = warm.run(_script(tmp_path), ["sleep"], timeout=1)
    assert done.returncode is None
