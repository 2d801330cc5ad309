"""Registry, dev and prod applied in order on the local AWS, each in its own account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glue import config, deploy
from glue.aws import assumed_session, client
from tests.conftest import REGION

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def throwaway_configs(tmp_path_factory) -> dict[str, config.EnvironmentConfig]:
    """The shipped tfvars, with deletion protection off so the test can destroy everything."""
    folder = tmp_path_factory.mktemp("tfvars")
    configs = {}
    for name in config.ENVIRONMENTS:
        values = json.loads((ROOT / f"{name}.tfvars.json").read_text())
        values["protect_from_destroy"] = False
        path = folder / f"{name}.tfvars.json"
        path.write_text(json.dumps(values))
        configs[name] = config.load(name, path)
    return configs


def _session(emulator, account_id: str):
    return assumed_session(f"arn:aws:iam::{account_id}:role/inspector", REGION, emulator)


def _resources(emulator, account_id: str) -> dict[str, set[str]]:
    """The platform's resources in an account (other tests share the emulator)."""
    session = _session(emulator, account_id)
    kms = client(session, "kms", emulator)
    found = {
        "buckets": {b["Name"] for b in client(session, "s3", emulator).list_buckets()["Buckets"]},
        "aliases": {
            a["AliasName"]
            for a in kms.list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")
        },
        "groups": {
            g["ModelPackageGroupName"]
            for g in client(session, "sagemaker", emulator).list_model_package_groups()[
                "ModelPackageGroupSummaryList"
            ]
        },
        "roles": {r["RoleName"] for r in client(session, "iam", emulator).list_roles()["Roles"]},
        "topics": {
            t["TopicArn"].rsplit(":", 1)[1]
            for t in client(session, "sns", emulator).list_topics()["Topics"]
        },
        "rules": {r["Name"] for r in client(session, "events", emulator).list_rules()["Rules"]},
        "tables": set(client(session, "dynamodb", emulator).list_tables()["TableNames"]),
    }
    return {kind: {name for name in names if "mammo" in name} for kind, names in found.items()}


def test_apply_in_order_then_idempotent_then_destroy(emulator, throwaway_configs):
    for name in config.ENVIRONMENTS:
        plan = deploy.plan(throwaway_configs[name], emulator)
        assert plan.add > 0 and plan.change == 0 and plan.destroy == 0
        deploy.apply(throwaway_configs[name], emulator, plan.plan_file)

    registry, dev, prod = (throwaway_configs[n].account_id for n in config.ENVIRONMENTS)
    in_registry = _resources(emulator, registry)
    assert "mammo-model-artifacts-111111111111" in in_registry["buckets"]
    assert in_registry["groups"] >= {"mammo-severity-dev", "mammo-severity-prod"}
    assert "alias/mammo-model-artifacts" in in_registry["aliases"]
    for stage, account in (("dev", dev), ("prod", prod)):
        found = _resources(emulator, account)
        assert f"alias/mammo-{stage}-workload" in found["aliases"]
        assert {
            f"mammo-{stage}-sagemaker-execution",
            f"mammo-{stage}-latest-model-lambda",
            f"mammo-{stage}-ci-deploy",
            f"mammo-{stage}-events-start-pipelines",
        } <= found["roles"]
        assert f"mammo-{stage}-pipeline-failures" in found["topics"]
        assert {
            f"mammo-{stage}-inference-schedule",
            f"mammo-{stage}-inference-failed-retrain",
            f"mammo-{stage}-pipeline-failed-notify",
        } <= found["rules"]
        assert f"mammo-{stage}-model-governance" in found["tables"]
        assert not found["groups"], "model package groups live in the registry account only"
    grants = client(_session(emulator, registry), "kms", emulator).list_grants(
        KeyId=deploy.outputs(throwaway_configs["registry"], emulator)["artifacts_kms_key_arn"]
    )["Grants"]
    assert {g["GranteePrincipal"] for g in grants} == {
        f"arn:aws:iam::{dev}:role/mammo-dev-sagemaker-execution",
        f"arn:aws:iam::{prod}:role/mammo-prod-sagemaker-execution",
    }

    for name in config.ENVIRONMENTS:
        again = deploy.plan(throwaway_configs[name], emulator)
        assert not again.has_changes, f"second plan of {name} is not empty: {again}"

    for name in reversed(config.ENVIRONMENTS):
        destroy = deploy.plan(throwaway_configs[name], emulator, destroy=True)
        deploy.apply(throwaway_configs[name], emulator, destroy.plan_file)

    for account in (registry, dev, prod):
        left = _resources(emulator, account)
        left["buckets"] = {b for b in left["buckets"] if "-tfstate-" not in b}
        assert not any(left.values()), f"left behind in {account}: {left}"


def test_apply_refuses_missing_and_foreign_plans(emulator, throwaway_configs, tmp_path):
    prod = throwaway_configs["prod"]
    with pytest.raises(Exception, match="no plan file at .*applying an unreviewed plan"):
        deploy.apply(prod, emulator, tmp_path / "missing.tfplan")
    registry_plan = deploy.plan(throwaway_configs["registry"], emulator, tmp_path / "r.tfplan")
    with pytest.raises(Exception, match="planned for environment 'registry', not 'prod'"):
        deploy.apply(prod, emulator, registry_plan.plan_file)
