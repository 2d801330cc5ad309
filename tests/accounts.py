"""Looking into the accounts of the local AWS from tests."""

from __future__ import annotations

import os

from glue.aws import EMULATOR_UNSET, client, session_with
from glue.local.emulator.control import root_credentials
from tests.conftest import REGION

# What a model version registered by hand in a test serves: enough for the Lambda and the runner.
INFERENCE_SPEC = {
    "Containers": [{"Image": "xgboost:1.7-1", "ModelDataUrl": "s3://m/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def as_aws(emulator, credentials: dict[str, str]) -> dict[str, str]:
    """The environment of a user whose AWS is the local AWS: an endpoint and credentials, no
    profile or configuration file, no variable of the glue's emulator set-up."""
    environment = {k: v for k, v in os.environ.items() if k not in EMULATOR_UNSET}
    return environment | {
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **credentials,
    }


_ROOTS: dict[tuple[str, str], dict[str, str]] = {}


def session(emulator, account_id: str):
    """The account's root user: a test looks at everything in it, whatever its policies."""
    key = (emulator.instance, account_id)
    if key not in _ROOTS:
        _ROOTS[key] = root_credentials(emulator, account_id)
    return session_with(REGION, _ROOTS[key])


def client_in(emulator, account_id: str, service: str):
    """A client of the service inside the account, to look at what is there."""
    return client(session(emulator, account_id), service, emulator)


def resources(emulator, account_id: str) -> dict[str, set[str]]:
    """The platform's resources in an account (other tests share the emulator)."""
    inside = session(emulator, account_id)
    kms = client(inside, "kms", emulator)
    found = {
        "buckets": {b["Name"] for b in client(inside, "s3", emulator).list_buckets()["Buckets"]},
        "aliases": {
            a["AliasName"]
            for a in kms.list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")
        },
        "groups": {
            g["ModelPackageGroupName"]
            for g in client(inside, "sagemaker", emulator).list_model_package_groups()[
                "ModelPackageGroupSummaryList"
            ]
        },
        "roles": {r["RoleName"] for r in client(inside, "iam", emulator).list_roles()["Roles"]},
        "topics": {
            t["TopicArn"].rsplit(":", 1)[1]
            for t in client(inside, "sns", emulator).list_topics()["Topics"]
        },
        "rules": {r["Name"] for r in client(inside, "events", emulator).list_rules()["Rules"]},
        "tables": set(client(inside, "dynamodb", emulator).list_tables()["TableNames"]),
        "functions": {
            f["FunctionName"]
            for f in client(inside, "lambda", emulator).list_functions()["Functions"]
        },
        "log groups": {
            g["logGroupName"]
            for g in client(inside, "logs", emulator).describe_log_groups()["logGroups"]
        },
        "pipelines": {
            p["PipelineName"]
            for p in client(inside, "sagemaker", emulator).list_pipelines()["PipelineSummaries"]
        },
    }
    return {kind: {name for name in names if "mammo" in name} for kind, names in found.items()}
