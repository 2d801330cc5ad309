"""Terraform, offline: find the binary and the AWS provider's filesystem mirror, and run it.

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
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from glue.errors import Interrupted, MlopsError
from glue.files import write_whole
from glue.settings import PROJECT_ROOT, state_dir

TERRAFORM_ENV = "MLOPS_TERRAFORM"
MIRROR_ENV = "MLOPS_TF_PLUGIN_MIRROR"
AWS_PROVIDER = Path("registry.terraform.io/hashicorp/aws")
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d/plugins",
    Path.home() / ".local/share/terraform/plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


def find_terraform() -> str:
    configured = os.environ.get(TERRAFORM_ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise MlopsError(f"terraform not found: {TERRAFORM_ENV}={configured} is not executable")
        return found
    found = shutil.which("terraform")
    if found is None:
        raise MlopsError(
            "terraform not found: looked on PATH; install Terraform >= 1.11 "
            f"or set {TERRAFORM_ENV} to its path"
        )
    return found


def _binary_identity(binary: str) -> str:
    """Which Terraform binary this is (a new install at the same path is another)."""
    resolved = Path(binary).resolve()
    status = resolved.stat()
    return f"{resolved} {status.st_size} {status.st_mtime_ns}"


def terraform_version(binary: str) -> str:
    """The version the binary reports (`terraform version -json`), asked once per binary."""
    known = state_dir() / "terraform-version.json"
    identity = _binary_identity(binary)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        recorded = json.loads(known.read_text())
        if recorded.get("binary") == identity:
            return str(recorded["version"])
    answer = subprocess.run(
        [binary, "version", "-json"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    try:
        version = json.loads(answer.stdout)["terraform_version"]
    except (ValueError, TypeError, KeyError):  # before 0.13, only `Terraform v0.12.31`
        said = re.match(r"Terraform v(\d+\.\d+\.\d+\S*)", answer.stdout)
        if said is None:
            raise MlopsError(
                f"{binary} is not Terraform: `{binary} version -json` does not say its version"
            ) from None
        version = said.group(1)
    write_whole(known, json.dumps({"binary": identity, "version": version}).encode())
    return str(version)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-")[0])[:3])


def _meets(version: tuple[int, ...], constraint: str) -> bool:
    """Whether a version meets one Terraform version constraint (`>= 1.11`, `~> 1.11.0`, ...)."""
    operator, wanted_text = re.fullmatch(r"\s*(>=|<=|!=|~>|>|<|=)?\s*(\S+)\s*", constraint).groups()
    wanted = _release(wanted_text)
    padded = version + (0,) * (3 - len(version))
    wanted_padded = wanted + (0,) * (3 - len(wanted))
    if operator == "~>":  # the rightmost given part may grow, the others are fixed
        fixed = wanted[:-1] if len(wanted) > 1 else wanted
        return padded >= wanted_padded and padded[: len(fixed)] == fixed
    comparisons = {
        ">=": padded >= wanted_padded,
        "<=": padded <= wanted_padded,
        ">": padded > wanted_padded,
        "<": padded < wanted_padded,
        "!=": padded != wanted_padded,
    }
    return comparisons.get(operator or "=", padded == wanted_padded)


def required_version(root: Path) -> str | None:
    """The root's `required_version` (its versions.tf), the one place the supported range is set."""
    versions = root / "versions.tf"
    found = (
        re.search(r'required_version\s*=\s*"([^"]*)"', versions.read_text())
        if versions.is_file()
        else None
    )
    return found.group(1) if found else None


def check_version(binary: str, root: Path) -> None:
    """Refuse a Terraform the root does not support, before it runs (its own refusal comes only
    at init, and a binary that is not Terraform would never give one)."""
    required = required_version(root)
    if required is None:
        return
    version = terraform_version(binary)
    if not all(_meets(_release(version), part) for part in required.split(",")):
        raise MlopsError(
            f"terraform {version} ({binary}) is not one {root.name} supports: its versions.tf "
            f"requires {required}; install such a Terraform or set {TERRAFORM_ENV} to its path"
        )


def _holds_provider(folder: Path) -> bool:
    return any((folder / AWS_PROVIDER).glob("*/*/terraform-provider-aws*"))


def find_provider_mirror() -> Path | None:
    """The folder holding registry.terraform.io/hashicorp/aws/<version>/<platform>/: the one
    configured in MLOPS_TF_PLUGIN_MIRROR (an error if it holds no provider), else the first
    usual place that holds one, else None: Terraform installs the provider from its registry."""
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        if not _holds_provider(Path(configured)):
            raise MlopsError(
                f"AWS provider mirror not found: looked for {AWS_PROVIDER}/<version>/ in "
                f"{configured} ({MIRROR_ENV}); point it at the folder that holds "
                "registry.terraform.io/, or unset it to let Terraform install the provider"
            )
        return Path(configured)
    return next((c for c in MIRROR_CANDIDATES if _holds_provider(c)), None)


def provider_installation() -> str:
    """How the AWS provider is installed, as `mlops doctor` says it."""
    mirror = find_provider_mirror()
    if mirror is not None:
        return f"from the filesystem mirror {mirror}"
    looked = ", ".join(str(c) for c in MIRROR_CANDIDATES)
    return (
        "by Terraform from its registry, checked against the committed lock files (no mirror "
        f"in {looked}; set {MIRROR_ENV} to use one)"
    )


# Terraform and the AWS provider are Go programs that spend about a quarter of their CPU time
# in Go's garbage collector while they load the provider's schema (thousands of resource types),
# which every command does. Collecting at 4x the live heap instead of 2x (Go's GOGC) costs about
# a fifth more memory (~370 MB instead of ~310 MB for a validate of the workload root) and saves
# about a quarter of the CPU (3.5 -> 2.8 CPU seconds there). Collecting only near a memory limit
# (GOGC=off, GOMEMLIMIT=1GiB) saved a little more on a validate (2.4 CPU seconds, 665 MB) but
# nothing measurable on the suite, and the suite's killed-apply test failed in 3 of 8 runs with
# it (0 of about 15 before), so it is not used. A GOGC or GOMEMLIMIT the user set wins (then
# neither is set here).
GO_GARBAGE_COLLECTION = {"GOGC": "400"}
GO_TUNING_VARIABLES = ("GOGC", "GOMEMLIMIT")


def cli_environment() -> dict[str, str]:
    """What every Terraform run gets: with a mirror, a CLI config that installs providers from
    it only (offline machines; without one, Terraform's own configuration and registry install
    them); Go's garbage collection tuned for the provider's schema, unless the user tuned it."""
    mirror = find_provider_mirror()
    installation = {} if mirror is None else {"TF_CLI_CONFIG_FILE": str(write_cli_config(mirror))}
    tuned_by_user = any(name in os.environ for name in GO_TUNING_VARIABLES)
    return installation | ({} if tuned_by_user else GO_GARBAGE_COLLECTION)


def write_cli_config(mirror: Path) -> Path:
    """A CLI config that installs providers from the mirror only: no registry is reachable."""
    config = state_dir() / "terraform.rc"
    text = (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n"
        "}\n"
    )
    if not config.is_file() or config.read_text() != text:
        # Replaced whole, never rewritten in place: a Terraform run started meanwhile (another
        # environment planned at the same time) reads the old file or the new, not half of one.
        write_whole(config, text.encode())
    return config


def _lock_holder(lines: list[str]) -> str | None:
    """Who holds the state lock, from Terraform's `Lock Info:`, as a person can act on it."""
    info = {}
    for line in lines:
        key, separator, value = line.strip().partition(":")
        if separator and key in ("ID", "Who", "Operation", "Created"):
            info.setdefault(key, value.strip())
    if "ID" not in info:
        return None
    return (
        f"the state is locked by {info.get('Who', 'someone')} "
        f"({info.get('Operation', 'an operation')} since {info.get('Created', '?')}, "
        f"lock ID {info['ID']}): wait for that run to finish; if it was killed and nothing "
        f"runs, release the lock with `mlops unlock --lock-id {info['ID']}` and the same --env"
    )


def _errors(stderr: str) -> str:
    """The `Error:` lines of Terraform's output, which say what failed."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    lines = [line.strip(" │╷╵") for line in text.splitlines()]
    if any("Error acquiring the state lock" in line for line in lines):
        holder = _lock_holder(lines)
        if holder:
            return holder
    errors = [line for line in lines if line.startswith("Error:")]
    return "; ".join(errors) if errors else (text.strip().splitlines() or ["no output"])[-1]


def _messages(stream: str) -> Iterator[dict]:
    """The JSON messages of a `-json` run (one per line)."""
    for line in stream.splitlines():
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict):
                yield message


def _diagnostics(stream: str) -> str:
    """The error diagnostics of a `-json` run, as Terraform prints them without -json."""
    lines = []
    for message in _messages(stream):
        diagnostic = message.get("diagnostic") or {}
        if message.get("type") == "diagnostic" and diagnostic.get("severity") == "error":
            lines += [f"Error: {diagnostic.get('summary', '')}"]
            lines += str(diagnostic.get("detail", "")).splitlines()
    return "\n".join(lines)


# What a plan does to a resource, by the name `terraform show -json` gives it; moves, imports
# without changes, no-ops and data source reads change nothing.
_CHANGING_ACTIONS = {
    "create": "create",
    "update": "update",
    "delete": "delete",
    "replace": "replace",
    "remove": "forget",
}


def planned_changes(stream: str) -> list[tuple[str, str]]:
    """(action, address) of every resource a `plan -json` run changes, in Terraform's order."""
    changes = []
    for message in _messages(stream):
        if message.get("type") != "planned_change":
            continue
        change = message.get("change") or {}
        action = _CHANGING_ACTIONS.get(change.get("action"))
        if action:
            changes.append((action, change["resource"]["addr"]))
    return changes


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
            for message in _messages(written[told:lines_end].decode(errors="replace")):
                on_message(message)
            told = max(told, lines_end)
        if ended:
            return written.decode(errors="replace")
        time.sleep(0.05)


def _instance_address(resource: dict, instance: dict) -> str:
    module = f"{resource['module']}." if resource.get("module") else ""
    key = instance.get("index_key")
    index = "" if key is None else f"[{json.dumps(key)}]"
    return f"{module}{resource['type']}.{resource['name']}{index}"


def prior_instances(plan: bytes) -> dict[str, tuple[str, dict]]:
    """Each managed resource instance of the state a saved plan was made from (the plan file's
    `tfstate`), by its Terraform address: its type and its attributes. No `terraform show`."""
    try:
        with zipfile.ZipFile(io.BytesIO(plan)) as archive:
            prior = json.loads(archive.read("tfstate"))
    except (KeyError, ValueError, zipfile.BadZipFile):
        raise MlopsError("the saved plan holds no prior state (its tfstate): plan again") from None
    return {
        _instance_address(resource, instance): (
            resource["type"],
            instance.get("attributes") or {},
        )
        for resource in prior.get("resources", [])
        if resource.get("mode") == "managed"
        for instance in resource.get("instances", [])
    }


def _is_plan_file(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as plan:
            return "tfplan" in plan.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


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

    def __post_init__(self) -> None:
        self._binary = find_terraform()
        check_version(self._binary, self.working_dir)
        self._env = {
            **cli_environment(),
            "TF_DATA_DIR": str(state_dir() / "terraform" / self.name),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            **self.environment,
        }

    def run(
        self, command: str, *args: str, on_message: Callable[[dict], None] | None = None
    ) -> str:
        """Run a command with this root's environment (passed to this call only) and return
        its output; a failure is a one-line error. `on_message` is given each message of a
        `-json` run as Terraform writes it (progress while it runs)."""
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
                stderr.seek(0)
                said = f"{stderr.read()}\n{_diagnostics(stdout)}".strip()
                raise MlopsError(
                    f"terraform {command} failed in {self.working_dir}: {_errors(said)}"
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
        module and provider blocks), the lock file, the CLI and the backend configuration, and
        the Terraform binary that ran it."""
        digest = hashlib.sha256(str(self.working_dir.resolve()).encode())
        digest.update(f"{_binary_identity(self._binary)}\0".encode())
        inputs = [
            *sorted(self.working_dir.glob("*.tf")),
            *sorted((PROJECT_ROOT / "modules").glob("**/*.tf")),
            self.working_dir / ".terraform.lock.hcl",
        ]
        if "TF_CLI_CONFIG_FILE" in self._env:
            inputs.append(Path(self._env["TF_CLI_CONFIG_FILE"]))
        if backend_config is not None:
            inputs.append(backend_config)
        for path in inputs:
            digest.update(f"{path.name}\0".encode())
            if path.is_file():
                digest.update(path.read_bytes())
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
        """`terraform validate`, only when the configuration or the Terraform binary changed
        since the last one passed (what it checks does not depend on variable values)."""
        passed = Path(self._env["TF_DATA_DIR"]) / "mlops-validate.sha256"
        fingerprint = self._init_fingerprint(None)
        with self._alone():
            if passed.is_file() and passed.read_text() == fingerprint:
                return
            passed.unlink(missing_ok=True)
            self.run("validate")
            passed.write_text(fingerprint)

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
        summarized = any(message.get("type") == "change_summary" for message in _messages(stream))
        if not summarized or not _is_plan_file(plan_file):
            raise MlopsError(
                f"terraform plan in {self.working_dir} ({self._binary}) wrote no plan: its "
                "output has no change summary, or its plan file is not one; is it Terraform?"
            )
        return planned_changes(stream)

    def apply(self, plan_file: Path, progress: Callable[[str], None] | None = None) -> None:
        """Apply exactly a saved plan: what was reviewed is what is applied. `progress` is told
        each resource Terraform starts, finishes or is still working on."""

        def report(message: dict) -> None:
            if progress is not None and message.get("type") in _PROGRESS:
                progress(str(message.get("@message", "")))

        arguments = ("-input=false", "-auto-approve", "-json", str(plan_file))
        self.run("apply", *arguments, on_message=report)

    def force_unlock(self, lock_id: str) -> None:
        self.run("force-unlock", "-force", lock_id)

    def show(self, plan_file: Path) -> bytes:
        """`terraform show -json` of a saved plan, as Terraform wrote it."""
        return self.run("show", "-json", str(plan_file)).encode()

    def outputs(self) -> dict:
        outputs = json.loads(self.run("output", "-json"))
        return {name: value["value"] for name, value in outputs.items()}
