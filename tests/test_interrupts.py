"""Interrupting a command (README, "Interrupting a command"): Terraform hears each interrupt once,
through mlops, and is left to save its state; the command ends with 130.

Here a stand-in terraform counts the interrupts it receives; tests/test_safety.py interrupts and
kills real applies on the local AWS and shows that the next plan converges.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests import accounts
from tests.test_cli import PROJECT_ROOT
from tests.test_safety import _wait_for

# Counts each SIGINT in its log; ends (as Terraform does) on the second, or after a minute. The
# plan of a tfvars file's check (its variables alone) passes at once, as Terraform's does.
STAND_IN = """#!/bin/sh
[ "$1" = version ] && echo '{{"terraform_version": "1.11.4"}}' && exit 0
case "$*" in *-var-file=values.tfvars.json*)
  echo '{{"type": "change_summary", "changes": {{"add": 0}}}}' && exit 0;; esac
count=0
trap 'count=$((count + 1)); echo interrupt >> "{log}"; [ $count -ge 2 ] && exit 1' INT
echo "$1" >> "{log}"
ticks=0
while [ $ticks -lt 1200 ]; do sleep 0.05; ticks=$((ticks + 1)); done  # a minute at most
"""


TFVARS_CHECK = STAND_IN.splitlines(keepends=True)[2:4]


def _stand_in(folder: Path, answers_the_tfvars_check: bool = True) -> tuple[Path, Path]:
    log = folder / "heard"
    script = folder / "terraform"
    text = STAND_IN if answers_the_tfvars_check else STAND_IN.replace("".join(TFVARS_CHECK), "")
    script.write_text(text.format(log=log))
    script.chmod(0o755)
    return script, log


def _environment(tmp_path: Path, terraform: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MLOPS_STATE_DIR": str(tmp_path / "state"),
        "MLOPS_TERRAFORM": str(terraform),
    }


def _validate_dev(environment: dict[str, str]) -> subprocess.Popen:
    """`mlops validate --env dev` started on the shipped dev tfvars without their endpoint (so
    the check of the tfvars is one plan: no module to init), its output captured."""
    tfvars = accounts.batch_only_dev_tfvars(Path(environment["MLOPS_STATE_DIR"]).parent)
    return subprocess.Popen(
        [sys.executable, "-m", "glue.cli", "validate", "--env", "dev", f"--var-file={tfvars}"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _heard(log: Path) -> list[str]:
    return log.read_text().split() if log.is_file() else []


def test_each_interrupt_reaches_terraform_once_and_the_command_waits_for_it(tmp_path):
    """A first SIGINT is forwarded and mlops waits for Terraform to end; a second (here SIGTERM,
    as a CI job's abort sends) is forwarded too; the command ends with 130 and says which."""
    terraform, log = _stand_in(tmp_path)
    command = _validate_dev(_environment(tmp_path, terraform))
    assert _wait_for(lambda: _heard(log) == ["init"], 30)
    command.send_signal(signal.SIGINT)
    assert _wait_for(lambda: "interrupt" in _heard(log), 30)
    time.sleep(0.5)  # mlops waits for Terraform, however long it takes to save its state
    assert command.poll() is None and _heard(log) == ["init", "interrupt"]
    command.send_signal(signal.SIGTERM)
    _, stderr = command.communicate(timeout=30)
    assert command.returncode == 130
    assert _heard(log) == ["init", "interrupt", "interrupt"]
    lines = stderr.strip().splitlines()
    assert lines[0].startswith("mlops: interrupted: waiting for Terraform to finish")
    assert lines[1].startswith("mlops: interrupted again: Terraform stops at once")
    assert lines[2].startswith("mlops: terraform init stopped at once in ")
    assert len(lines) == 3


def test_a_terminals_ctrl_c_reaches_terraform_once(tmp_path):
    """A terminal sends Ctrl-C to its foreground process group: Terraform runs in a group of its
    own, so the interrupt it hears is the one mlops forwards, not a second one at once."""
    terraform, log = _stand_in(tmp_path)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: mlops in the terminal's foreground
        os.chdir(PROJECT_ROOT)
        arguments = [sys.executable, "-m", "glue.cli", "validate", "--env", "dev"]
        os.execve(sys.executable, arguments, _environment(tmp_path, terraform))
    shown = bytearray()

    def read_for(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.05)[0]:
                try:
                    shown.extend(os.read(terminal, 4096))
                except OSError:  # the terminal's other side closed: mlops ended
                    return

    try:
        assert _wait_for(lambda: _heard(log) == ["init"], 30)
        os.write(terminal, b"\x03")
        assert _wait_for(lambda: "interrupt" in _heard(log), 30)
        read_for(0.5)
        assert _heard(log) == ["init", "interrupt"]
        assert b"mlops: interrupted: waiting for Terraform to finish" in shown
        os.write(terminal, b"\x03")
        read_for(5)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 130
    assert _heard(log) == ["init", "interrupt", "interrupt"]
    assert b"mlops: terraform init stopped at once" in shown


def test_an_interrupted_check_of_the_tfvars_stops_the_command_having_changed_nothing(tmp_path):
    """The plan of the tfvars' variables alone hears the interrupts as any Terraform run does;
    the command then ends with 130, saying that nothing changed, and runs nothing after it."""
    terraform, log = _stand_in(tmp_path, answers_the_tfvars_check=False)
    command = _validate_dev(
        {**_environment(tmp_path, terraform), "MLOPS_CACHE_DIR": str(tmp_path / "cache")}
    )
    assert _wait_for(lambda: _heard(log) == ["plan"], 30)
    command.send_signal(signal.SIGINT)
    assert _wait_for(lambda: "interrupt" in _heard(log), 30)
    command.send_signal(signal.SIGINT)
    _, stderr = command.communicate(timeout=30)
    assert command.returncode == 130
    assert _heard(log) == ["plan", "interrupt", "interrupt"]
    last = stderr.strip().splitlines()[-1]
    assert last == "mlops: interrupted while Terraform checked the tfvars: nothing changed"
