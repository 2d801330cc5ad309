"""The Jenkinsfile calls only documented commands, keeps its branch rules, and each of its
commands works: run here against the local AWS, with --dry-run where a stage would apply."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import jenkinsfile

ROOT = Path(__file__).resolve().parent.parent
JENKINSFILE = ROOT / "Jenkinsfile"
STEPS = jenkinsfile.read(JENKINSFILE)
ACCOUNT_PARAMETERS = {
    "registry": "REGISTRY_ACCOUNT_ID",
    "dev": "DEV_ACCOUNT_ID",
    "prod": "PROD_ACCOUNT_ID",
}


def _problems(steps: list[jenkinsfile.ShellStep]) -> list[str]:
    makefile, readme = (ROOT / "Makefile").read_text(), (ROOT / "README.md").read_text()
    return [
        f"stage {step.stage!r}: {problem}"
        for step in steps
        if (problem := jenkinsfile.undocumented(step.command, makefile, readme))
    ]


def _argv(step: jenkinsfile.ShellStep) -> list[str]:
    return shlex.split(step.command)


def _changes_an_account(step: jenkinsfile.ShellStep) -> bool:
    argv = _argv(step)
    return "--dry-run" not in argv and (
        argv[1:2] == ["apply"] or argv[1:3] in (["pipelines", "upsert"], ["pipelines", "start"])
    )


def test_every_step_is_one_documented_command():
    assert len(STEPS) > 10
    assert not _problems(STEPS)


def test_an_undocumented_or_missing_command_fails():
    text = """
    pipeline {
      parameters { string(name: 'PROD', defaultValue: '333333333333', description: 'x') }
      stages {
        stage('Deploy') {
          steps {
            sh 'terraform apply -auto-approve'
            sh '.venv/bin/mlops deploy --env prod'
            sh 'make release'
            sh(script: ".venv/bin/mlops plan --env prod --acount ${params.PROD}")
            sh '.venv/bin/mlops plan --env prod'
          }
        }
      }
    }
    """
    steps = jenkinsfile.shell_steps(text)
    assert [s.command for s in steps][-2:] == [
        ".venv/bin/mlops plan --env prod --acount 333333333333",
        ".venv/bin/mlops plan --env prod",
    ]
    problems = _problems(steps)
    assert len(problems) == 4, problems
    assert "not `make <target>` or `.venv/bin/mlops <command>`" in problems[0]
    assert "invalid choice: 'deploy'" in problems[1]
    assert "no documented target `release`" in problems[2]
    assert "unrecognized arguments: --acount" in problems[3]


def test_parameters_must_be_declared():
    with pytest.raises(ValueError, match="not a declared parameter"):
        jenkinsfile.shell_steps("""stage('x') { steps { sh "make ${params.NOPE}" } }""")


def test_branch_rules():
    always = [s for s in STEPS if s.when == "always"]
    assert [s.command for s in always if s.stage != "post"] == [
        "make setup",
        "make lint",
        ".venv/bin/mlops scan",
        "make test",
    ]
    # Pull requests: a saved and scanned plan of every environment, nothing applied.
    pull_request = [_argv(s)[1:4] for s in STEPS if s.when == "pull request"]
    for name in ACCOUNT_PARAMETERS:
        assert ["plan", "--aws", "--env"] in pull_request and [
            "scan",
            "--env",
            name,
        ] in pull_request
    # Only main changes accounts, in the order registry, dev, (approval), prod.
    changing = [s for s in STEPS if _changes_an_account(s)]
    assert {s.when for s in changing} == {"branch main"}
    stages = [s.stage for s in STEPS]
    assert stages.index("registry") < stages.index("dev") < stages.index("prod: approval")
    assert stages.index("prod: approval") < stages.index("prod")
    gate = [s.command for s in STEPS if s.stage == "prod: approval"]
    assert len(gate) == 1 and "--dry-run" in gate[0] and "--env prod" in gate[0]
    # A saved plan is scanned before it is applied.
    for step in changing:
        if _argv(step)[1] == "apply":
            environment = _argv(step)[_argv(step).index("--env") + 1]
            scans = [
                i for i, s in enumerate(STEPS) if _argv(s)[1:4] == ["scan", "--env", environment]
            ]
            assert scans and min(scans) < STEPS.index(step)
    assert [s.command for s in STEPS if s.stage == "post"] == [".venv/bin/mlops report"]


def test_account_parameters_default_to_the_tfvars_accounts():
    defaults = jenkinsfile.parameters(JENKINSFILE.read_text())
    for name, parameter in ACCOUNT_PARAMETERS.items():
        tfvars = json.loads((ROOT / f"{name}.tfvars.json").read_text())
        assert defaults[parameter] == tfvars["account_id"]
        for step in STEPS:
            argv = _argv(step)
            if "--env" in argv and argv[argv.index("--env") + 1] == name:
                assert argv[argv.index("--account") + 1] == tfvars["account_id"], step


def _locally(step: jenkinsfile.ShellStep, dry_run: bool = True) -> list[str]:
    """The step's command for the local AWS: no --aws, and --dry-run instead of applying or
    starting a run (checked, not run: the run needs the stage's data)."""
    argv = [arg for arg in _argv(step) if arg != "--aws"]
    starts = argv[1:2] == ["apply"] or argv[1:3] == ["pipelines", "start"]
    if dry_run and starts and "--dry-run" not in argv:
        argv.append("--dry-run")
    return argv


def _run_by_the_test_command() -> set[str]:
    """The README's test command (`.ci/run`), the make targets it runs first (its
    prerequisites: `make lint`) and `make setup`, whose virtual environments run this test."""
    ci_command = (ROOT / ".ci/run").read_text().strip().splitlines()[-1]
    target = ci_command.removeprefix("make ")
    rule = re.search(rf"^{target}:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert rule, f"no rule for {target} in the Makefile"
    prerequisites = {f"make {name}" for name in rule.group(1).split() if "$" not in name}
    return {ci_command, "make setup", *prerequisites}


def _run(argv: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )


@pytest.mark.emulator
def test_every_command_runs_against_the_local_aws(platform, tmp_path):
    reports = tmp_path / "reports"
    environment = {**os.environ, "MLOPS_REPORTS_DIR": str(reports)}
    done: list[list[str]] = []
    for step in STEPS:
        argv = _locally(step)
        if step.command in _run_by_the_test_command():
            continue  # what is running this test already ran it
        if argv in done:
            continue  # pull requests and main plan and scan alike
        result = _run(argv, environment)
        assert result.returncode == 0, f"{step.stage}: {shlex.join(argv)}\n{result.stderr}"
        done.append(argv)
    assert len(done) >= 13

    markdown = (reports / "checkov.md").read_text()
    assert markdown.startswith("## checkov: 0 failed")
    assert "no reason given" not in markdown  # every skip, in the sources and plans, has one
    for name in ACCOUNT_PARAMETERS:
        assert f"| {name} |" in markdown  # scanned, and its plan summarized
    gate = next(s for s in STEPS if s.stage == "prod: approval")
    shown = _run(_locally(gate), environment).stdout
    assert "nothing applied" in shown and "prod: " in shown


@pytest.mark.emulator
def test_the_apply_stage_refuses_a_missing_or_foreign_plan(platform, tmp_path):
    environment = {**os.environ, "MLOPS_REPORTS_DIR": str(tmp_path / "reports")}
    apply_dev = next(s for s in STEPS if s.stage == "dev" and _argv(s)[1] == "apply")
    plan_registry = next(s for s in STEPS if s.stage == "registry" and _argv(s)[1] == "plan")
    plans = Path(os.environ["MLOPS_STATE_DIR"]) / "plans"
    (plans / "dev.tfplan").unlink(missing_ok=True)

    # The stage's own command, not a dry run: it must refuse before applying anything.
    missing = _run(_locally(apply_dev, dry_run=False), environment)
    assert missing.returncode == 1
    assert "no saved plan at" in missing.stderr and "unreviewed plan is refused" in missing.stderr

    assert _run(_locally(plan_registry), environment).returncode == 0
    for suffix in ("", ".stamp.json"):  # the plan with its stamp
        shutil.copy(plans / f"registry.tfplan{suffix}", plans / f"dev.tfplan{suffix}")
    foreign = _run(_locally(apply_dev, dry_run=False), environment)
    assert foreign.returncode == 1
    assert "planned for environment 'registry' in account '111111111111'" in foreign.stderr
    assert "refusing it" in foreign.stderr


def test_each_plan_is_archived_with_the_lambda_package_it_deploys():
    """Reviewers get what the saved plan applies: the plan names the package zip by its hash
    (the governance recorder's in the registry, the inference step's in a stage)."""
    archived = re.findall(r"archiveArtifacts artifacts: '([^']+)'", JENKINSFILE.read_text())
    for stage in ("registry", "dev", "prod"):
        patterns = next(a for a in archived if f"/{stage}.tfplan" in a).split(",")
        assert ".mlops/packages/**" in patterns, patterns


def test_training_in_dev_is_started_only_when_asked_after_dev_is_deployed():
    text = JENKINSFILE.read_text()
    assert re.search(r"booleanParam\(name: 'START_TRAINING', defaultValue: false,", text)
    stage = text[text.index("stage('dev: train')") :]
    when = stage[: stage.index("steps")]
    assert "branch 'main'" in when and "expression { params.START_TRAINING }" in when
    stages = [s.stage for s in STEPS]
    assert stages.index("dev") < stages.index("dev: train") < stages.index("prod: plan")
    started = [_argv(s)[1:3] for s in STEPS if s.stage == "dev: train"]
    assert started == [["pipelines", "start"]]
