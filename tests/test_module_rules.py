"""The rules of modules/realtime-endpoint's inputs, at and around each limit SageMaker and
CloudWatch set (botocore's model, SageMaker's deployment guardrails guide): every example
accepted or refused by the variable it names, all in one Terraform plan (tests/rules.py)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.plans import ROOT
from tests.rules import failing_rules

MODULE = ROOT / "modules" / "realtime-endpoint"
VALID = yaml.safe_load((ROOT / "tests/inventories/module-realtime-endpoint.yaml").read_text())[
    "tfvars"
]
SERVERLESS = {"mode": "serverless", "memory_size_mb": 2048, "max_concurrency": 5}
CAPTURE = VALID["data_capture"]
MONITORING = VALID["monitoring"]

# (changes to the valid inputs, the variables whose rules refuse them)
EXAMPLES: list[tuple[dict[str, Any], set[str]]] = [
    ({}, set()),
    # Endpoint names: SageMaker's pattern, 50 characters (suffixes fit SageMaker's 63).
    ({"endpoint_name": "a" * 50}, set()),
    ({"endpoint_name": "a" * 51}, {"endpoint_name"}),
    ({"endpoint_name": "a" + "-" * 49}, {"endpoint_name"}),
    ({"endpoint_name": "a" + "-" * 48 + "b"}, set()),
    ({"endpoint_name": "a" + "-" * 49 + "b"}, {"endpoint_name"}),
    ({"endpoint_name": "mammo--dev"}, set()),
    ({"endpoint_name": "-mammo"}, {"endpoint_name"}),
    ({"endpoint_name": "mammo_dev"}, {"endpoint_name"}),
    (
        {"model_package_group_arn": VALID["model_package_group_arn"] + "/1"},
        {"model_package_group_arn"},
    ),
    (
        {
            "model_package_group_arn": VALID["model_package_group_arn"].rsplit("/", 1)[0]
            + "/"
            + "g" * 63
        },
        set(),
    ),
    (
        {
            "model_package_group_arn": VALID["model_package_group_arn"].rsplit("/", 1)[0]
            + "/"
            + "g" * 64
        },
        {"model_package_group_arn"},
    ),
    ({"execution_role_arn": "arn:aws:iam::123456789012:user/sam"}, {"execution_role_arn"}),
    # Serving: serverless memory in GB steps up to 6, concurrency 1-200.
    ({"serving": SERVERLESS, "data_capture": None}, set()),
    (
        {
            "serving": SERVERLESS | {"memory_size_mb": 6144, "max_concurrency": 200},
            "data_capture": None,
        },
        set(),
    ),
    ({"serving": SERVERLESS | {"memory_size_mb": 1000}, "data_capture": None}, {"serving"}),
    ({"serving": SERVERLESS | {"memory_size_mb": 7168}, "data_capture": None}, {"serving"}),
    ({"serving": SERVERLESS | {"max_concurrency": 0}, "data_capture": None}, {"serving"}),
    ({"serving": SERVERLESS | {"max_concurrency": 201}, "data_capture": None}, {"serving"}),
    ({"serving": SERVERLESS | {"max_concurrency": 2.5}, "data_capture": None}, {"serving"}),
    ({"serving": {"mode": "batch"}}, {"serving"}),
    ({"serving": {"mode": None}}, {"serving"}),
    # An attribute given null takes its default.
    ({"serving": {"mode": "instances", "instance_count": None}}, set()),
    ({"serving": {"mode": "instances", "instance_count": 0}}, {"serving"}),
    ({"serving": {"mode": "instances", "instance_type": "m5.large"}}, {"serving"}),
    # Traffic: a canary of 1-50 %, linear steps of 10-50 %, waits 0-3600 s, a whole update
    # of 600-28800 s longer than the waits together.
    ({"traffic_shift": {"type": "CANARY", "step_percent": 1}}, set()),
    ({"traffic_shift": {"type": "CANARY", "step_percent": 50}}, set()),
    ({"traffic_shift": {"type": "CANARY", "step_percent": 51}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "CANARY", "step_percent": 0}}, {"traffic_shift"}),
    (
        {"traffic_shift": {"type": "LINEAR", "step_percent": 10, "max_execution_seconds": 3601}},
        set(),
    ),
    ({"traffic_shift": {"type": "LINEAR", "step_percent": 9}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "LINEAR", "step_percent": 50}}, set()),
    ({"traffic_shift": {"type": "LINEAR", "step_percent": 51}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "ALL_AT_ONCE"}}, set()),
    ({"traffic_shift": {"type": "all_at_once"}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "ROLLING"}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": None}}, {"traffic_shift"}),
    (
        {
            "traffic_shift": {
                "type": "CANARY",
                "wait_seconds": 3600,
                "termination_wait_seconds": 3600,
                "max_execution_seconds": 7201,
            }
        },
        set(),
    ),
    ({"traffic_shift": {"type": "CANARY", "wait_seconds": 3601}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "CANARY", "termination_wait_seconds": -1}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "CANARY", "max_execution_seconds": 599}}, {"traffic_shift"}),
    # A linear update waits after each step: 5 steps of 20 % and 300 s, then 600 s.
    (
        {"traffic_shift": {"type": "LINEAR", "step_percent": 20, "max_execution_seconds": 2101}},
        set(),
    ),
    (
        {"traffic_shift": {"type": "LINEAR", "step_percent": 20, "max_execution_seconds": 2100}},
        {"traffic_shift"},
    ),
    # The default linear step (10 %) and waits need more than the default hour.
    ({"traffic_shift": {"type": "LINEAR"}}, {"traffic_shift"}),
    ({"traffic_shift": {"type": "CANARY", "max_execution_seconds": 28800}}, set()),
    ({"traffic_shift": {"type": "CANARY", "max_execution_seconds": 28801}}, {"traffic_shift"}),
    (
        {
            "traffic_shift": {
                "type": "CANARY",
                "wait_seconds": 400,
                "termination_wait_seconds": 200,
                "max_execution_seconds": 600,
            }
        },
        {"traffic_shift"},
    ),
    # Alarms: a share strictly between 0 and 100 %, periods of whole minutes, a day at most.
    ({"rollback_alarms": {"max_5xx_percent": 0.5, "max_model_latency_ms": 1}}, set()),
    ({"rollback_alarms": {"max_5xx_percent": 0}}, {"rollback_alarms"}),
    ({"rollback_alarms": {"max_5xx_percent": 100}}, {"rollback_alarms"}),
    ({"rollback_alarms": {"max_model_latency_ms": 0}}, {"rollback_alarms"}),
    ({"rollback_alarms": {"period_seconds": 30}}, {"rollback_alarms"}),
    ({"rollback_alarms": {"period_seconds": 90}}, {"rollback_alarms"}),
    ({"rollback_alarms": {"period_seconds": 86400, "evaluation_periods": 1}}, set()),
    ({"rollback_alarms": {"period_seconds": 3600, "evaluation_periods": 25}}, {"rollback_alarms"}),
    ({"rollback_alarms": {"max_5xx_percent": None}}, set()),
    ({"rollback_alarms": {"evaluation_periods": 0}}, {"rollback_alarms"}),
    # Data capture: an S3 URI of at most 512 characters, a key, a whole percentage.
    (
        {"data_capture": CAPTURE | {"destination_s3_uri": "s3://b" + "k" * 60 + "/" + "p" * 445}},
        set(),
    ),
    (
        {"data_capture": CAPTURE | {"destination_s3_uri": "s3://b" + "k" * 60 + "/" + "p" * 446}},
        {"data_capture"},
    ),
    ({"data_capture": CAPTURE | {"destination_s3_uri": "https://bucket/prefix"}}, {"data_capture"}),
    ({"data_capture": CAPTURE | {"destination_s3_uri": "s3://bucket/a b"}}, {"data_capture"}),
    ({"data_capture": CAPTURE | {"kms_key_arn": "alias/workload"}}, {"data_capture"}),
    ({"data_capture": CAPTURE | {"sampling_percent": 0}}, set()),
    ({"data_capture": CAPTURE | {"sampling_percent": 101}}, {"data_capture"}),
    ({"data_capture": CAPTURE | {"sampling_percent": 12.5}}, {"data_capture"}),
    ({"data_capture": None}, set()),
    ({"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:alias/workload"}, {"kms_key_arn"}),
    # Model Monitor: its schedules (hourly, daily at an hour, every N hours from an hour), an
    # S3 output, a key, an instance type, a run of 1-86400 s.
    *[
        ({"monitoring": MONITORING | {"schedule_expression": expression}}, set())
        for expression in ("cron(0 * ? * * *)", "cron(0 23 ? * * *)", "cron(0 06/24 ? * * *)")
    ],
    *[
        ({"monitoring": MONITORING | {"schedule_expression": expression}}, {"monitoring"})
        for expression in (
            "cron(0 24 ? * * *)",
            "cron(15 * ? * * *)",
            "cron(0 6/25 ? * * *)",
            "rate(1 hour)",
            "NOW",
        )
    ],
    ({"monitoring": MONITORING | {"output_s3_uri": "bucket/reports"}}, {"monitoring"}),
    ({"monitoring": MONITORING | {"kms_key_arn": "alias/artifacts"}}, {"monitoring"}),
    ({"monitoring": MONITORING | {"instance_type": "m5.xlarge"}}, {"monitoring"}),
    ({"monitoring": MONITORING | {"max_runtime_seconds": 86400}}, set()),
    ({"monitoring": MONITORING | {"max_runtime_seconds": 86401}}, {"monitoring"}),
    ({"monitoring": MONITORING | {"max_runtime_seconds": 0}}, {"monitoring"}),
    ({"monitoring": None}, set()),
]


# Rules that compare variables: Terraform evaluates them only when no instance of the plan failed
# a rule of one variable, so they are planned apart.
ALL_AT_ONCE = {"type": "ALL_AT_ONCE"}
CROSS_EXAMPLES: list[tuple[dict[str, Any], set[str]]] = [
    # SageMaker captures nothing on a serverless endpoint; Model Monitor checks captured data.
    ({"serving": SERVERLESS, "traffic_shift": ALL_AT_ONCE}, {"data_capture"}),
    (
        {"serving": SERVERLESS, "traffic_shift": ALL_AT_ONCE, "data_capture": None},
        {"monitoring"},
    ),
    (
        {
            "serving": SERVERLESS,
            "traffic_shift": ALL_AT_ONCE,
            "data_capture": None,
            "monitoring": None,
        },
        set(),
    ),
    ({"serving": {"mode": "instances"}}, set()),
    # A canary or steps of a fleet of two instances or more; a serverless one all at once.
    ({"serving": {"mode": "instances", "instance_count": 1}}, {"traffic_shift"}),
    ({"serving": {"mode": "instances", "instance_count": 1}, "traffic_shift": ALL_AT_ONCE}, set()),
    ({"serving": SERVERLESS, "data_capture": None, "monitoring": None}, {"traffic_shift"}),
    # The alarms must be able to fire while a shift is watched: 2 periods of 60 s.
    ({"traffic_shift": {"type": "CANARY", "wait_seconds": 120}}, set()),
    ({"traffic_shift": {"type": "CANARY", "wait_seconds": 119}}, {"traffic_shift"}),
    ({"traffic_shift": ALL_AT_ONCE | {"wait_seconds": 0}}, {"traffic_shift"}),
    (
        {"rollback_alarms": {"period_seconds": 300, "evaluation_periods": 3}},
        {"traffic_shift"},
    ),
]


def test_every_input_rule_accepts_and_refuses_its_examples(tmp_path):
    wrong = []
    for kind, examples in enumerate((EXAMPLES, CROSS_EXAMPLES)):
        batch = [(VALID | changes, VALID) for changes, _ in examples]
        failing = failing_rules([MODULE / "variables.tf"], batch, tmp_path / str(kind))
        wrong += [
            f"{changes}: fails {sorted(got)}, expected {sorted(expected)}"
            for (changes, expected), got in zip(examples, failing, strict=True)
            if got != expected
        ]
    assert not wrong, "\n".join(wrong)
