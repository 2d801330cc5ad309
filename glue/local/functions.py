"""Lambda functions of the local AWS, run as Lambda runs an asynchronous invocation.

moto stores functions but runs them only in Docker, which this machine lacks. A function is run
here from what is deployed: its configuration (handler, role, environment, timeout, dead-letter
queue) is read from the local AWS, its code is the package `mlops plan` built whose hash is the
deployed CodeSha256, and it runs in a process of its own with only the environment Lambda would
give it (its variables, its role's credentials). The caller must be allowed by the function's
resource policy (an EventBridge rule: a statement for events.amazonaws.com naming the rule,
which the local AWS evaluates on the invocation). An
invocation that fails sends the event to the function's dead-letter queue with the error, as
Lambda does after its retries (one attempt here: the handler does the same thing again).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from glue import lambda_package
from glue.aws import client
from glue.errors import MlopsError
from glue.local import warm
from glue.local.emulator.control import Emulator
from glue.local.services import as_service
from glue.settings import packages_dir

FUNCTIONS = {
    f.handler: f
    for f in (
        lambda_package.LATEST_MODEL,
        lambda_package.GOVERNANCE_RECORDER,
        lambda_package.ENDPOINT_DEPLOYER,
    )
}
BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")


class LocalFunctions:
    """The functions of one account."""

    def __init__(self, session, emulator: Emulator):
        self.emulator = emulator
        self.region = session.region_name
        self.awslambda = client(session, "lambda", emulator)
        # What Lambda itself knows (a queue's URL from its ARN) is read with the account's
        # session; what the function's role does (sending to the queue) with the role's.
        self.sqs = client(session, "sqs", emulator)

    def invoke_for_rule(self, arn: str, invoker, event: dict[str, Any]) -> str:
        """Invoke the function with the event as the rule's target; what happened, in words.
        `invoker` is the session EventBridge invokes with (itself, for the rule): the
        function's policy must let it, which Lambda decides on the invocation (a dry run here:
        the local AWS authorizes it, and the handler runs below)."""
        try:
            client(invoker, "lambda", self.emulator).invoke(
                FunctionName=arn, InvocationType="DryRun"
            )
        except ClientError as error:
            return f"refused: {error.response['Error'].get('Message', error)}"
        configuration = self.awslambda.get_function(FunctionName=arn)["Configuration"]
        function = FUNCTIONS.get(configuration["Handler"])
        package = function and lambda_package.deployed_package(
            packages_dir(), function, configuration["CodeSha256"]
        )
        if not package:
            return (
                f"not run: its code (CodeSha256 {configuration['CodeSha256']}) is no package "
                "`mlops plan` built from this repository"
            )
        session = as_service(
            self.emulator,
            "lambda.amazonaws.com",
            configuration["Role"],
            self.region,
            configuration["FunctionName"],
        )
        failure = self._run(configuration, package, session, event)
        if failure is None:
            return "invoked, succeeded"
        queue = configuration.get("DeadLetterConfig", {}).get("TargetArn")
        if not queue:
            return f"failed: {failure}; the event is lost (no dead-letter queue)"
        self._to_dead_letter_queue(session, queue, event, failure)
        return f"failed: {failure}; the event waits in {queue.rsplit(':', 1)[1]}"

    def _run(self, configuration: dict, package, session, event: dict) -> str | None:
        """Run the handler as Lambda would; the error it raised, or None."""
        credentials = session.get_credentials().get_frozen_credentials()
        environment = {
            "PATH": os.environ.get("PATH", ""),
            **configuration.get("Environment", {}).get("Variables", {}),
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_SESSION_TOKEN": credentials.token,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.emulator.endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": configuration["FunctionName"],
        }
        with tempfile.TemporaryDirectory(prefix="lambda-") as task:
            with zipfile.ZipFile(package) as archive:
                archive.extractall(task)
            done = warm.run(
                BOOTSTRAP,
                [configuration["Handler"]],
                environment=environment,
                cwd=Path(task),
                stdin=json.dumps(event),
                search_path=[task],
                timeout=configuration.get("Timeout", 3),
            )
        if done.returncode is None:
            return f"Task timed out after {configuration.get('Timeout', 3)} seconds"
        if done.returncode == 0:
            return None
        lines = done.stderr.strip().splitlines()
        return lines[-1] if lines else f"exited {done.returncode}"

    def _to_dead_letter_queue(self, session, queue_arn: str, event: dict, failure: str) -> None:
        """As Lambda does: the event as the body, the error in the message's attributes."""
        sqs = client(session, "sqs", self.emulator)
        _, _, _, _, account, name = queue_arn.split(":", 5)
        try:
            url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps(event),
                MessageAttributes={
                    "ErrorCode": {"DataType": "String", "StringValue": "200"},
                    "ErrorMessage": {"DataType": "String", "StringValue": failure[:1024]},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise MlopsError(f"could not send the failed event to {queue_arn}: {error}") from None
