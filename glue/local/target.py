"""The local AWS as a place commands run (glue/aws.py's Target): one run of the emulator the
project starts, its principals, and what AWS does by itself that the local AWS does when asked
(bootstrapping the local platform's accounts, running a pipeline, delivering the events).

Its state is in memory: a restart loses everything, so each apply is recorded with the run it
went to, and a command that reads an environment's state refuses a run that is not that one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from glue.errors import MlopsError
from glue.files import write_whole
from glue.settings import state_dir

if TYPE_CHECKING:
    import boto3

    from glue.aws import PipelineRun
    from glue.config import EnvironmentConfig

# A gap in the emulator must fail in seconds, not after the provider's retries of HTTP 500s
# (tens of minutes). boto3 reads AWS_MAX_ATTEMPTS; the AWS provider ignores it for those
# retries and needs `max_retries` in its block, which every root module takes as a variable.
# A few retries remain: the emulator's HTTP server sometimes closes a kept-alive connection.
EMULATOR_MAX_ATTEMPTS = "2"
EMULATOR_PROVIDER_MAX_RETRIES = "3"
# Ambient settings that would send the emulator's callers elsewhere: unset, not set empty (an
# empty AWS_PROFILE is a profile named "" to boto3 and the AWS CLI, which they refuse).
EMULATOR_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def emulator_environment(
    emulator: Emulator, region: str, credentials: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for Terraform and boto3 so that every AWS call goes to the emulator (with the
    variables of EMULATOR_UNSET removed), signed with `credentials` (environment variables:
    AWS_ACCESS_KEY_ID, ...), by default the local platform's CI principal's
    (glue/local/operator.py)."""
    if credentials is None:
        from glue.local import operator

        credentials = operator.credentials(emulator, region)
    return {
        **credentials,
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_MAX_ATTEMPTS": EMULATOR_MAX_ATTEMPTS,
        "TF_VAR_aws_max_retries": EMULATOR_PROVIDER_MAX_RETRIES,
    }


def restarted_message(since: str) -> str:
    return (
        f"the local AWS was restarted since {since}, and its state (kept in memory) is gone: "
        "plan and apply registry, dev and prod again, in that order"
    )


@dataclass(frozen=True)
class Emulator:
    """One run of the local AWS emulator (glue/local/emulator/control.py starts and finds it)."""

    pid: int
    host: str
    port: int
    instance: str  # new at every start: the in-memory state of one run of the emulator

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def name(self) -> str:
        return f"local AWS instance {self.instance}"

    def ambient_credentials(self, region: str) -> dict[str, str]:
        from glue.local import operator

        return operator.ambient_credentials(self, region)

    def administrator_credentials(self, config: EnvironmentConfig) -> dict[str, str]:
        from glue.local import administrators

        return administrators.credentials(self, config.account_id, config.region)

    def prepare_account(self, config: EnvironmentConfig) -> None:
        """The account bootstrapped for the local platform's CI principal first."""
        from glue.local import operator

        operator.bootstrapped(config, self)

    def terraform_environment(
        self, region: str, credentials: Mapping[str, str] | None = None
    ) -> tuple[dict[str, str], tuple[str, ...]]:
        return emulator_environment(self, region, credentials), EMULATOR_UNSET

    def backend_settings(self) -> dict[str, object]:
        return {"use_path_style": True, "endpoints": {"s3": self.endpoint, "sts": self.endpoint}}

    def refuse_plan_of(self, plan_file: Path, planned_on: str) -> str:
        from glue.aws import planned_elsewhere

        if planned_on.startswith("local"):
            return f"{plan_file}: {restarted_message('it was planned')}"
        return planned_elsewhere(plan_file, planned_on, self.name)

    def check_not_restarted(self, environment: str) -> None:
        applied_to = _applied_to(environment)
        if applied_to is not None and applied_to != self.name:
            raise MlopsError(restarted_message(f"{environment} was applied"))

    def why_registry_may_be_missing(self, environment: str) -> str:
        """A stage's plan reads the registry's key and groups: say when they are not there
        because the registry is not applied to this run of the local AWS."""
        from glue.config import WORKLOAD_ENVIRONMENTS

        if environment not in WORKLOAD_ENVIRONMENTS:
            return ""
        applied_to = _applied_to("registry")
        if applied_to is None:
            return "; the registry is not applied on this local AWS: plan and apply registry first"
        if applied_to != self.name:
            return f"; {restarted_message('the registry was applied')}"
        return ""

    def apply_starting(self, environment: str) -> None:
        # Recorded as the apply starts: what it creates is there however it ends (an mlops
        # killed mid-apply leaves a Terraform that finishes on its own).
        record_applied(environment, self)

    def apply_failed(self, environment: str, reasons: list[str]) -> None:
        from glue.local.emulator import control

        if control.answered_instance(self.endpoint) != self.instance:
            raise MlopsError(
                f"the local AWS stopped (or restarted) during the apply of {environment}: "
                "start it with `mlops local up`, then plan and apply registry, dev and prod again "
                f"({'; '.join(reasons)})"
            )

    def destroyed(self, environment: str) -> None:
        _applied_marker(environment).unlink(missing_ok=True)  # nothing of it is left there

    def start_pipeline(
        self, config: EnvironmentConfig, session: boto3.Session, name: str, parameters: dict
    ) -> PipelineRun:
        """SageMaker runs it on AWS; here it runs to its end first, and the event of its end goes
        through the deployed rules, as AWS would send it. Its parameters are checked against
        the deployed definition first, as SageMaker checks them."""
        from glue.aws import PipelineRun, client
        from glue.local import lifecycle
        from glue.pipelines import start

        start.prepared(client(session, "sagemaker", self), name, parameters)

        execution, deliveries = lifecycle.start_here(
            config, self, name, parameters, state_dir() / "runs" / config.name, session
        )
        failed = execution.status != "Succeeded"
        return PipelineRun(
            execution.arn,
            lifecycle.describe(execution),
            ended=True,
            failure=f"{execution.status}: {execution.failure_reason}" if failed else None,
            deliveries=lifecycle.delivered(deliveries),
        )

    def deliver_events(self, registry_config: EnvironmentConfig) -> tuple[str, ...]:
        """What EventBridge would have done by now with the events SageMaker emitted: each goes
        through the deployed rules, here."""
        from glue.local import lifecycle

        return lifecycle.delivered(
            lifecycle.deliver_here(registry_config, self, state_dir() / "runs")
        )


def _applied_marker(environment: str) -> Path:
    return state_dir() / "applied" / f"{environment}.json"


def _applied_to(environment: str) -> str | None:
    """The target (the local AWS's run) an apply of the environment last started on."""
    try:
        target = json.loads(_applied_marker(environment).read_text())["target"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return target if isinstance(target, str) else None


def record_applied(environment: str, emulator: Emulator) -> None:
    write_whole(_applied_marker(environment), json.dumps({"target": emulator.name}).encode())


def applied_here(environment: str, emulator: Emulator) -> bool:
    """Whether an apply of the environment was started on this run of the local AWS."""
    return _applied_to(environment) == emulator.name
