"""Terraform, offline: run it (glue/terraform_setup.py finds the binary and the provider).

The only module that drives Terraform: one subprocess call per command, each given its own
environment (no process-wide environment is changed, so runs can overlap).

Interrupting a command (README, "Interrupting a command"): while `interrupts_forwarded` is on
(the CLI's commands), Terraform runs in a session (and process group) of its own, so a
terminal's Ctrl-C reaches mlops only, and mlops forwards it to Terraform once: Terraform then
finishes the operations in flight, writes its state and releases its lock, as it does on its
first interrupt. A second interrupt is forwarded too (Terraform stops at once: what it was
changing may be in no state); a third kills it.
Terraform writes its output to a file, not a pipe: an mlops killed outright leaves a Terraform
that finishes its run and saves its state, where a closed pipe would kill it mid-write.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from glue.errors import Interrupted, MlopsError
from glue.files import keep_newest, mark_used, write_whole
from glue.settings import cache_dir, state_dir
from glue.terraform_output import diagnostics, errors, is_plan_file, messages, planned_changes
from glue.terraform_setup import binary_identity, check_version, cli_environment, find_terraform

# Passed validations remembered (each an empty file named by its fingerprint): the roots as they
# are and as they were lately, e.g. on other branches.
VALIDATIONS_KEPT = 16


# The Terraform processes running now (several: the stages apply side by side), how many
# interrupts each has heard, and how many the command was given. The signal handler only counts
# and wakes the forwarder, a thread that alone sends signals: the handler runs in the main thread
# between any two bytecodes, even inside this lock (re-entrant), so it must not share the work.
_RUNNING_LOCK = threading.RLock()
_running: dict[int, subprocess.Popen] = {}
_heard: dict[int, int] = {}
_starting = 0  # Terraform processes being started, not yet in _running
_interrupts = 0
_forwarding = False
_wake = threading.Event()

_SAID = {
    1: "mlops: interrupted: waiting for Terraform to finish what it started, save its state and "
    "release its lock (interrupt again to stop it at once: state may be lost)\n",
    2: "mlops: interrupted again: Terraform stops at once; what it was changing may be in no "
    "state (the next plan says what is missing; what an apply then finds existing must be "
    "imported or deleted)\n",
    3: "mlops: interrupted a third time: Terraform is killed\n",
}


def interrupted() -> bool:
    """Whether the command was interrupted (while `interrupts_forwarded` is on)."""
    return _interrupts > 0


def _on_interrupt(signum: int, frame: object) -> None:
    """SIGINT or SIGTERM while a command runs: passed on to the Terraform running, or, when
    none runs, the command stops here. Counted either way, so no Terraform starts after it."""
    global _interrupts
    with _RUNNING_LOCK:
        busy = bool(_running) or _starting > 0
    _interrupts += 1
    if not busy:
        raise KeyboardInterrupt
    if _interrupts in _SAID:
        # os.write, not print: the main thread may be inside a write to stderr right now.
        os.write(2, _SAID[_interrupts].encode())
    _wake.set()


def _pass_on() -> None:
    """Each running Terraform hears the interrupts it has not heard yet: SIGINT for the first
    two (its graceful stop, then its immediate one), SIGKILL of its group for a third."""
    with _RUNNING_LOCK:
        given = _interrupts
        for pid, process in _running.items():
            for number in range(_heard.get(pid, 0) + 1, given + 1):
                with contextlib.suppress(ProcessLookupError):
                    if number <= 2:
                        process.send_signal(signal.SIGINT)
                    elif number == 3:
                        os.killpg(pid, signal.SIGKILL)
            _heard[pid] = given


def _forwarder(stop: threading.Event) -> None:
    while True:
        _wake.wait()
        _wake.clear()
        if stop.is_set():
            return
        _pass_on()


@contextlib.contextmanager
def interrupts_forwarded() -> Iterator[None]:
    """While the block runs (in the main thread), interrupts reach Terraform through mlops."""
    global _forwarding, _interrupts
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, _on_interrupt) for number in handled}
    _forwarding, _interrupts = True, 0
    stop = threading.Event()
    forwarder = threading.Thread(target=_forwarder, args=(stop,), daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        _forwarding = False
        for number, handler in previous.items():
            signal.signal(number, handler)
        stop.set()
        _wake.set()
        forwarder.join()


def _follow(
    process: subprocess.Popen, output: int, on_message: Callable[[dict], None] | None
) -> str:
    """What the process writes to the file `output` until it ends, each whole line's `-json`
    message given to `on_message` as it is written. pread: the process shares the file offset."""
    written = bytearray()
    told = 0
    while True:
        ended = process.poll() is not None
        while chunk := os.pread(output, 1 << 16, len(written)):
            written += chunk
        if on_message is not None:
            lines_end = written.rfind(b"\n") + 1
            for message in messages(written[told:lines_end].decode(errors="replace")):
                on_message(message)
            told = max(told, lines_end)
        if ended:
            return written.decode(errors="replace")
        time.sleep(0.05)


# Terraform's messages while it applies: a resource started, still going (every 10 s), done, failed.
_PROGRESS = {"apply_start", "apply_progress", "apply_complete", "apply_errored"}


@dataclass
class TerraformRunner:
    """One Terraform root module, run offline with the given extra environment (and without
    the variables named in `unset`)."""

    working_dir: Path
    name: str
    environment: Mapping[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    # Whether the root has providers to install (and a CLI configuration to install them with).
    installs_providers: bool = True

    def __post_init__(self) -> None:
        self._binary = find_terraform()
        check_version(self._binary, self.working_dir)
        self._env = {
            **(cli_environment() if self.installs_providers else {}),
            "TF_DATA_DIR": str(state_dir() / "terraform" / self.name),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            **self.environment,
        }

    def run(
        self,
        command: str,
        *args: str,
        on_message: Callable[[dict], None] | None = None,
        check: bool = True,
    ) -> str:
        """Run a command with this root's environment (passed to this call only) and return
        its output; a failure is a one-line error, unless `check` is false (the caller reads
        what failed in the output). `on_message` is given each message of a `-json` run as
        Terraform writes it (progress while it runs)."""
        global _starting
        if _interrupts:
            raise Interrupted(f"interrupted before terraform {command} in {self.working_dir}")
        environment = {k: v for k, v in os.environ.items() if k not in self.unset}
        with (
            self._output(command, "json", "w+b") as stdout_file,
            self._output(command, "stderr", "w+") as stderr,
        ):
            with _RUNNING_LOCK:
                _starting += 1
            try:
                process = subprocess.Popen(
                    [self._binary, command, "-no-color", *args],
                    cwd=self.working_dir,
                    env={**environment, **self._env},
                    stdin=subprocess.DEVNULL,
                    stdout=stdout_file,
                    stderr=stderr,
                    # A session of its own (so a group of its own): a terminal's Ctrl-C or
                    # hang-up reaches mlops, which passes interrupts on.
                    start_new_session=_forwarding,
                )
                with _RUNNING_LOCK:
                    _running[process.pid] = process
            finally:
                with _RUNNING_LOCK:
                    _starting -= 1
            if _interrupts:  # given while it was being started: it hears them now
                _wake.set()
            try:
                stdout = _follow(process, stdout_file.fileno(), on_message)
            except BaseException:
                # A failure of ours (a closed output, say), or a signal Terraform was sent too
                # (a bootstrap process stopped with its group): Terraform goes on, so it is
                # waited for, still reachable by interrupts, and its state (or errored.tfstate)
                # is written before the caller looks for it.
                process.wait()
                raise
            finally:
                with _RUNNING_LOCK:
                    _running.pop(process.pid, None)
                    _heard.pop(process.pid, None)
            if process.returncode != 0:
                if _interrupts:
                    raise Interrupted(self._interrupted(command))
                if not check:
                    return stdout
                stderr.seek(0)
                said = f"{stderr.read()}\n{diagnostics(stdout)}".strip()
                raise MlopsError(
                    f"terraform {command} failed in {self.working_dir}: {errors(said)}"
                )
        return stdout

    @contextlib.contextmanager
    def _output(self, command: str, kind: str, mode: str) -> Iterator[IO[Any]]:
        """Where Terraform writes. An apply writes to a named file in the root's Terraform
        folder under the state folder (`apply-*.json`, `apply-*.stderr`), removed once mlops
        has read it: a killed mlops leaves Terraform to finish alone, and its file is then what
        says what Terraform did. Other commands write to an unnamed temporary file."""
        if command != "apply":
            with tempfile.TemporaryFile(mode) as output:
                yield output
            return
        folder = Path(self._env["TF_DATA_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            mode, dir=folder, prefix="apply-", suffix=f".{kind}"
        ) as output:
            yield output

    def _interrupted(self, command: str) -> str:
        if _interrupts == 1:
            return (
                f"terraform {command} interrupted in {self.working_dir}: it finished what it had "
                "started, saved its state and released its lock; plan again to see what is left"
            )
        return (
            f"terraform {command} stopped at once in {self.working_dir}: plan again; what the "
            "apply then finds already existing was left in no state (import or delete it)"
        )

    def _init_fingerprint(self, backend_config: Path | None) -> str:
        """What `terraform init` depends on: the root's files and every local module's (their
        module and provider blocks; the modules folder nearest above the root, so a copied tree
        is read as copied), the lock file, the CLI and the backend configuration, and the
        Terraform binary that ran it. Each file by its path (a setting by its role: a state
        directory's CLI configuration is the same wherever it is written) and length, then its
        bytes: a renamed module, or bytes moved from one file to the next, is another
        fingerprint."""
        root = self.working_dir.resolve()
        digest = hashlib.sha256(f"{root}\0{binary_identity(self._binary)}\0".encode())
        modules = next((f / "modules" for f in root.parents if (f / "modules").is_dir()), None)
        files = [
            *sorted(root.glob("*.tf")),
            *(sorted(modules.glob("**/*.tf")) if modules else []),
            root / ".terraform.lock.hcl",
        ]
        inputs = [(str(path), path) for path in files]
        if "TF_CLI_CONFIG_FILE" in self._env:
            inputs.append(("CLI configuration", Path(self._env["TF_CLI_CONFIG_FILE"])))
        if backend_config is not None:
            inputs.append(("backend configuration", backend_config))
        for name, path in inputs:
            content = path.read_bytes() if path.is_file() else b""
            digest.update(f"{name}\0{len(content)}\0".encode())
            digest.update(content)
        return digest.hexdigest()

    @contextlib.contextmanager
    def _alone(self) -> Iterator[None]:
        """This root's Terraform folder to this process alone while it checks and sets it up:
        commands that share it (`validate` of dev and prod: one root) run side by side, and two
        `terraform init` at once in one folder fail to install the provider."""
        folder = Path(self._env["TF_DATA_DIR"])
        folder.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{folder}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def init(self, backend_config: Path | None = None) -> None:
        """`terraform init`, only when something it depends on changed since the last one."""
        done = Path(self._env["TF_DATA_DIR"]) / "mlops-init.sha256"
        with self._alone():
            if done.is_file() and done.read_text() == self._init_fingerprint(backend_config):
                return
            done.unlink(missing_ok=True)
            if backend_config is not None:
                self.run(
                    "init", "-input=false", f"-backend-config={backend_config}", "-reconfigure"
                )
            else:
                self.run("init", "-input=false", "-backend=false")
            done.parent.mkdir(parents=True, exist_ok=True)
            done.write_text(self._init_fingerprint(backend_config))

    def validate(self) -> None:
        """`terraform validate` (after a backend-less init), only when the configuration or the
        Terraform binary changed since one passed on this machine: what it checks depends on
        neither variable values nor state, so its pass is marked by that fingerprint in the
        shared cache, and a new state directory (a test's, another workspace's) does not init
        and validate an unchanged root again."""
        passed = cache_dir() / "validated" / self._init_fingerprint(None)
        if mark_used(passed):
            return
        self.init()
        with self._alone():
            if mark_used(passed):  # validated meanwhile by a command sharing this folder
                return
            self.run("validate")
            write_whole(passed, b"")
        keep_newest(passed.parent, VALIDATIONS_KEPT)

    def plan(
        self, plan_file: Path, *var_files: Path, destroy: bool = False
    ) -> list[tuple[str, str]]:
        """Save a plan; return (action, address) of each resource it changes, read from the
        plan's own JSON stream (no `terraform show` needed to summarize it)."""
        options = ["-input=false", f"-out={plan_file}", "-json"]
        options += [f"-var-file={var_file}" for var_file in var_files]
        if destroy:
            options.append("-destroy")
        stream = self.run("plan", *options)
        # Terraform's plan stream ends with its change summary, and its plan file is a zip
        # archive holding `tfplan`: anything else is no plan (a binary that is not Terraform, a
        # plan cut short), and a stamp must never vouch for it.
        summarized = any(message.get("type") == "change_summary" for message in messages(stream))
        if not summarized or not is_plan_file(plan_file):
            raise MlopsError(
                f"terraform plan in {self.working_dir} ({self._binary}) wrote no plan: its "
                "output has no change summary, or its plan file is not one; is it Terraform?"
            )
        return planned_changes(stream)

    def apply(self, plan_file: Path, progress: Callable[[str], None] | None = None) -> None:
        """Apply exactly a saved plan: what was reviewed is what is applied. `progress` is told
        each resource Terraform starts, finishes or is still working on."""
        self._apply(str(plan_file), progress=progress)

    def plan_and_apply(
        self, *var_files: Path, progress: Callable[[str], None] | None = None
    ) -> list[tuple[str, str]]:
        """Plan and apply in one Terraform run, for a root whose plan nobody reviews between
        the two (the bootstrap: its administrator asked for it to be applied). One run instead
        of two, each of which loads the provider and its schema (seconds of CPU). Returns
        (action, address) of each resource it planned, and so changed."""
        return planned_changes(
            self._apply(*(f"-var-file={var_file}" for var_file in var_files), progress=progress)
        )

    def _apply(self, *arguments: str, progress: Callable[[str], None] | None) -> str:
        def report(message: dict) -> None:
            if progress is not None and message.get("type") in _PROGRESS:
                progress(str(message.get("@message", "")))

        return self.run(
            "apply", "-input=false", "-auto-approve", "-json", *arguments, on_message=report
        )

    def force_unlock(self, lock_id: str) -> None:
        self.run("force-unlock", "-force", lock_id)

    def show(self, plan_file: Path) -> bytes:
        """`terraform show -json` of a saved plan, as Terraform wrote it."""
        return self.run("show", "-json", str(plan_file)).encode()

    def outputs(self) -> dict:
        outputs = json.loads(self.run("output", "-json"))
        return {name: value["value"] for name, value in outputs.items()}
