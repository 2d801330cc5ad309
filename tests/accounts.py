"""Looking into the accounts of the local AWS from tests, and acting in them as a test's own
principals (the local AWS authorizes every request: a test signs with keys it issued)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from botocore.exceptions import ClientError

from glue.aws import client, session_with
from glue.local import administrators, services
from glue.local.emulator.control import as_variables
from glue.local.target import EMULATOR_UNSET
from glue.settings import PROJECT_ROOT
from tests.conftest import REGION

# What the roles and the user a test makes for itself may do: anything in their account (the
# emulator's behaviour is under test there, not the platform's policies).
EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# The account whose root signs the module plans: the account of moto's default credentials,
# which the module inventories' example ARNs name.
MODULE_PLANS_ACCOUNT = "123456789012"
TESTER = "mlops-tester"

# What a model version registered by hand in a test serves: enough for the Lambda and the runner.
# A dev stage's real-time endpoint, in the tfvars of the applied platform and the walkthrough
# (a canary of 25 %, data captured).
DEV_ENDPOINT = {
    "serving": {"mode": "instances", "instance_type": "ml.m5.large", "instance_count": 2},
    "traffic_shift": {
        "type": "CANARY",
        "step_percent": 25,
        "wait_seconds": 120,
        "termination_wait_seconds": 120,
    },
    "capture_percent": 100,
}


def batch_only_dev_tfvars(folder: Path) -> Path:
    """The shipped dev tfvars without their endpoint, written in the folder: checking them is one
    plan of the variables (no module to init)."""
    values = json.loads((PROJECT_ROOT / "dev.tfvars.json").read_text())
    values.pop("endpoint", None)
    written = folder / "dev.tfvars.json"
    written.write_text(json.dumps(values))
    return written


INFERENCE_SPEC = {
    "Containers": [{"Image": "xgboost:1.7-1", "ModelDataUrl": "s3://m/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
# A version's data-quality baseline as the training pipeline registers it (what the inference
# pipeline's Lambda reads).
DRIFT_CHECK_BASELINES = {
    "ModelDataQuality": {
        kind: {"ContentType": "application/json", "S3Uri": f"s3://m/baseline/{kind.lower()}.json"}
        for kind in ("Statistics", "Constraints")
    }
}


# The people of the shipped tfvars (the registry's model_approvers and governance_readers, dev's
# data_scientists): IAM users of the CI principal's account on the local AWS (MLOPS_LOCAL_AS,
# operator.acting_as).
DEV_APPROVER, PROD_APPROVER, READER, DATA_SCIENTIST = "dana", "pat", "carol", "sam"


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


def own_platform(values: dict, prefix: str) -> dict:
    """tfvars values of a platform of its own in the same accounts: its own name prefix (its
    own state store and names) and its own Terraform role in each account, as two platforms in
    one account on AWS would need (each bootstrapped for its own)."""
    changed = values | {"name_prefix": prefix}
    for key in ("terraform_role_arn", "registry_terraform_role_arn"):
        if values.get(key):
            changed[key] = f"{values[key].rsplit('/', 1)[0]}/{prefix}-terraform"
    return changed


def root_keys(emulator, account_id: str) -> dict[str, str]:
    """The account's root user's keys (one per run of the emulator), as environment variables."""
    return services.root_keys(emulator, account_id)


def session(emulator, account_id: str):
    """The account's root user: a test looks at everything in it, whatever its policies."""
    return session_with(REGION, root_keys(emulator, account_id))


def tester_keys(emulator, account_id: str) -> dict[str, str]:
    """A user of the account allowed everything there, made by its root the first time."""
    return administrators.user_keys(emulator, account_id, TESTER, EVERYTHING, REGION)


def make_role(emulator, role_arn: str, trusted: str | None = None) -> None:
    """A role a test makes for itself, allowed everything in its account, trusted by `trusted`
    (a principal's ARN; by default its own account), made the first time by the account's root.
    """
    account = role_arn.split(":")[4]
    iam = client(session(emulator, account), "iam", emulator)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": trusted or f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    name = role_arn.rsplit("/", 1)[1]
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName=name, PolicyName="everything", PolicyDocument=json.dumps(EVERYTHING)
        )


def role_session(emulator, role_arn: str, session_name: str = "test"):
    """A session of a role a test makes for itself (`make_role`), assumed by its account's
    tester user. Not for the platform's own roles: their trust admits no tester."""
    account = role_arn.split(":")[4]
    make_role(emulator, role_arn)
    sts = client(session_with(REGION, tester_keys(emulator, account)), "sts", emulator)
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)
    return session_with(REGION, as_variables(answer["Credentials"]))


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
        "alarms": {
            a["AlarmName"]
            for a in client(inside, "cloudwatch", emulator).describe_alarms()["MetricAlarms"]
        },
        "endpoints": {
            e["EndpointName"]
            for e in client(inside, "sagemaker", emulator).list_endpoints()["Endpoints"]
        },
        "endpoint configs": {
            c["EndpointConfigName"]
            for c in client(inside, "sagemaker", emulator).list_endpoint_configs()[
                "EndpointConfigs"
            ]
        },
        "models": {
            m["ModelName"] for m in client(inside, "sagemaker", emulator).list_models()["Models"]
        },
    }
    return {kind: {name for name in names if "mammo" in name} for kind, names in found.items()}


def inventory(emulator, account_id: str) -> dict[str, object]:
    """What the account holds, with what changes when anything is written: every object
    version, bucket policy, key's state and policy, role's trust and inline policies, pipeline's
    modification time, model version's status, parameter's version, function's code and
    modification time, rule's state and targets, table's items. Terraform's state lock objects
    (`*.tflock`, written and removed by every plan) are left out."""
    inside = session(emulator, account_id)

    def call(service: str, operation: str, **arguments) -> dict:
        return getattr(client(inside, service, emulator), operation)(**arguments)

    found: dict[str, object] = {}
    for bucket in call("s3", "list_buckets")["Buckets"]:
        name = bucket["Name"]
        versions = call("s3", "list_object_versions", Bucket=name)
        found[f"s3 {name}"] = sorted(
            (v["Key"], v["VersionId"], v.get("ETag", "marker"))
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
            if not v["Key"].endswith(".tflock")
        )
        with contextlib.suppress(ClientError):  # a bucket without a policy
            found[f"s3 policy {name}"] = call("s3", "get_bucket_policy", Bucket=name)["Policy"]
    for key in call("kms", "list_keys")["Keys"]:
        described = call("kms", "describe_key", KeyId=key["KeyId"])["KeyMetadata"]
        policy = call("kms", "get_key_policy", KeyId=key["KeyId"], PolicyName="default")
        found[f"kms {key['KeyId']}"] = (described["KeyState"], policy["Policy"])
    found["kms aliases"] = sorted(
        (a["AliasName"], a.get("TargetKeyId")) for a in call("kms", "list_aliases")["Aliases"]
    )
    for role in call("iam", "list_roles")["Roles"]:
        name = role["RoleName"]
        inline = call("iam", "list_role_policies", RoleName=name)["PolicyNames"]
        found[f"iam {name}"] = (
            json.dumps(role["AssumeRolePolicyDocument"], sort_keys=True),
            [
                json.dumps(
                    call("iam", "get_role_policy", RoleName=name, PolicyName=policy)[
                        "PolicyDocument"
                    ],
                    sort_keys=True,
                )
                for policy in inline
            ],
        )
    for pipeline in call("sagemaker", "list_pipelines")["PipelineSummaries"]:
        found[f"pipeline {pipeline['PipelineName']}"] = str(pipeline["LastModifiedTime"])
    for group in call("sagemaker", "list_model_package_groups")["ModelPackageGroupSummaryList"]:
        name = group["ModelPackageGroupName"]
        packages = call("sagemaker", "list_model_packages", ModelPackageGroupName=name)
        found[f"group {name}"] = sorted(
            (p["ModelPackageArn"], p.get("ModelApprovalStatus"))
            for p in packages["ModelPackageSummaryList"]
        )
    for parameter in call("ssm", "describe_parameters")["Parameters"]:
        found[f"ssm {parameter['Name']}"] = parameter["Version"]
    for function in call("lambda", "list_functions")["Functions"]:
        found[f"lambda {function['FunctionName']}"] = (
            function["CodeSha256"],
            function["LastModified"],
        )
    for rule in call("events", "list_rules")["Rules"]:
        targets = call("events", "list_targets_by_rule", Rule=rule["Name"])["Targets"]
        found[f"rule {rule['Name']}"] = (rule.get("State"), json.dumps(targets, sort_keys=True))
    for table in call("dynamodb", "list_tables")["TableNames"]:
        items = call("dynamodb", "scan", TableName=table)["Items"]
        found[f"table {table}"] = sorted(json.dumps(item, sort_keys=True) for item in items)
    found["topics"] = sorted(t["TopicArn"] for t in call("sns", "list_topics")["Topics"])
    found["queues"] = sorted(call("sqs", "list_queues").get("QueueUrls", []))
    found["log groups"] = sorted(
        g["logGroupName"] for g in call("logs", "describe_log_groups")["logGroups"]
    )
    return found
