"""glue/governance.py's own rules, in process: who decides (the stage's approver, the next
stage's for a promotion), four eyes, a decision that changes nothing, which version a promotion
copies and what challenges it, what a comparison runs and records, a rollback. The decider (the
approver role assumed with the person's identity, glue/people.py) is replaced by the registry
account's root with a person named here, on groups of its own; who may assume which role is
tests/test_segregation.py's, and the end-to-end commands tests/test_walkthrough.py's."""

from __future__ import annotations

import dataclasses
import json
import uuid
from types import SimpleNamespace

import pytest

from glue import aws, comparison, config, governance, people, registry, state_store
from glue.aws import client, s3_uri
from glue.errors import MlopsError, UsageError
from tests import accounts
from tests.conftest import ACCOUNTS

pytestmark = pytest.mark.emulator

PERSON, OTHER = "ana", "ben"
HELD_OUT = "s3://held-out/test"


@pytest.fixture()
def registry_account(emulator, monkeypatch):
    """The registry account's SageMaker and S3 (its root), fresh dev and prod groups, a way to
    add dev versions, and the stages each decision was made as."""
    session = accounts.session(emulator, ACCOUNTS["registry"])
    sagemaker = client(session, "sagemaker", emulator)
    groups = {
        stage: sagemaker.create_model_package_group(
            ModelPackageGroupName=f"gv-{stage}-{uuid.uuid4().hex[:10]}"
        )["ModelPackageGroupArn"]
        for stage in ("dev", "prod")
    }
    decided_as: list[str] = []

    class Decider:
        def __init__(self, registry_config, stage: str, target) -> None:
            assert (registry_config.name, target) == ("registry", emulator)
            decided_as.append(stage)
            self.sagemaker, self.person, self.groups = sagemaker, PERSON, groups

    monkeypatch.setattr(governance, "_Decider", Decider)

    def add(stage: str = "dev", status: str = "Approved", trained_by: str = OTHER, **metadata):
        arn = sagemaker.create_model_package(
            ModelPackageGroupName=groups[stage],
            InferenceSpecification=accounts.INFERENCE_SPEC,
            DriftCheckBaselines=accounts.DRIFT_CHECK_BASELINES,
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={
                registry.TRAINED_BY: trained_by,
                "auc": "0.9",
                comparison.TEST_DATA: HELD_OUT,
                **metadata,
            },
        )["ModelPackageArn"]
        if status != "PendingManualApproval":
            sagemaker.update_model_package(
                ModelPackageArn=arn, ModelApprovalStatus=status, ApprovalDescription="decided"
            )
        return int(arn.rsplit("/", 1)[1])

    return SimpleNamespace(
        session=session, sagemaker=sagemaker, groups=groups, add=add, decided_as=decided_as
    )


def _stages(**dev_values):
    dev = config.load("dev")
    dev = dataclasses.replace(dev, values={**dev.values, **dev_values})
    return dev, config.load("prod"), config.load("registry")


def _status(account, stage: str, version: int) -> tuple[str, str]:
    described = registry.describe(account.sagemaker, account.groups[stage], version)
    return described["ModelApprovalStatus"], described.get("ApprovalDescription", "")


def test_a_decision_is_the_stages_approvers_and_says_why(registry_account, emulator):
    dev, _, owner = _stages()
    version = registry_account.add(status="PendingManualApproval")
    decided = governance.set_status(dev, owner, emulator, version, True, " AUC 0.9 ")
    assert (decided.status, decided.comment) == ("Approved", "AUC 0.9")
    assert registry_account.decided_as == ["dev"]
    rejected = governance.set_status(dev, owner, emulator, version, False, "drifted")
    assert (
        _status(registry_account, "dev", version)
        == ("Rejected", "drifted")
        == (
            rejected.status,
            rejected.comment,
        )
    )
    with pytest.raises(MlopsError) as uncommented:
        governance.set_status(dev, owner, emulator, version, True, "  ")
    assert str(uncommented.value) == (
        "a comment is required: say why the version is approved or rejected"
    )
    assert registry_account.decided_as == ["dev", "dev"]  # refused before acting as anyone


def test_the_same_decision_again_changes_nothing_and_a_new_comment_alone_is_refused(
    registry_account, emulator
):
    dev, _, owner = _stages()
    version = registry_account.add(status="PendingManualApproval")
    first = governance.set_status(dev, owner, emulator, version, True, "AUC 0.9")
    again = governance.set_status(dev, owner, emulator, version, True, "AUC 0.9 ")
    assert again == first  # nothing written: the same time of change
    with pytest.raises(MlopsError) as refused:
        governance.set_status(dev, owner, emulator, version, True, "better words")
    assert str(refused.value) == (
        f"version {version} of dev is Approved already, with the comment 'AUC 0.9': a comment "
        "alone changes no decision, and SageMaker emits no event for it, so the governance "
        "record would not see it (nothing changed)"
    )
    assert _status(registry_account, "dev", version) == ("Approved", "AUC 0.9")


def test_the_trainer_does_not_approve_their_own_version_unless_the_stage_allows_it(
    registry_account, emulator
):
    dev, _, owner = _stages()
    own = registry_account.add(status="PendingManualApproval", trained_by=PERSON)
    with pytest.raises(MlopsError) as refused:
        governance.set_status(dev, owner, emulator, own, True, "mine")
    assert str(refused.value) == (
        f"{PERSON} trained version {own} of dev: another of its approvers decides (four eyes; "
        "nothing changed)"
    )
    assert _status(registry_account, "dev", own)[0] == "PendingManualApproval"
    # Rejecting one's own version is no conflict of interest.
    assert governance.set_status(dev, owner, emulator, own, False, "mine, bad").status == (
        "Rejected"
    )
    lenient, _, _ = _stages(allow_self_approval=True)
    assert governance.set_status(lenient, owner, emulator, own, True, "mine, allowed").status == (
        "Approved"
    )


def test_models_belong_to_a_stage_and_move_one_way():
    dev, prod, owner = _stages()
    with pytest.raises(UsageError) as registry_is_no_stage:
        governance.require_stage(owner)
    assert str(registry_is_no_stage.value) == (
        "--env registry: models belong to a stage (dev, prod); the registry account owns their "
        "groups but is not a stage"
    )
    governance.require_promotion(dev, prod)
    for source, to in ((prod, dev), (dev, dev), (owner, prod)):
        with pytest.raises(UsageError) as backwards:
            governance.require_promotion(source, to)
        assert str(backwards.value) == (
            f"--env {source.name} --to {to.name} is not a promotion: models are promoted one "
            "way only (dev -> prod)"
        )
    assert governance.tolerance(prod) == prod.values["challenger_auc_tolerance"] > 0
    assert governance.tolerance(dev) == 0


def test_a_promotion_copies_the_asked_version_as_the_next_stages_approver(
    registry_account, emulator, monkeypatch
):
    dev, prod, owner = _stages()
    asked = registry_account.add()
    registry_account.add()  # newer, approved too: not the one asked for
    monkeypatch.setattr(governance, "git_commit", lambda: "0123abc")
    promotion = governance.promote(dev, prod, owner, emulator, asked)
    assert registry_account.decided_as == ["prod"]
    assert promotion.created and promotion.version.status == "Approved"
    source_arn = registry.package_arn(registry_account.groups["dev"], asked)
    assert promotion.version.metadata["source_model_package_arn"] == source_arn
    assert promotion.version.metadata["promotion_commit"] == "0123abc"
    assert governance.served_copies(dev, prod, owner, emulator, asked) == [promotion.version]
    assert registry_account.decided_as == ["prod", "dev"]


def test_the_trainer_does_not_promote_their_own_version(registry_account, emulator):
    dev, prod, owner = _stages()
    own = registry_account.add(trained_by=PERSON)
    with pytest.raises(MlopsError) as refused:
        governance.promote(dev, prod, owner, emulator, own)
    assert str(refused.value) == (
        f"{PERSON} trained version {own} of dev: another of prod's approvers promotes it (four "
        "eyes; nothing promoted)"
    )
    assert registry.list_versions(registry_account.sagemaker, registry_account.groups["prod"]) == []


def test_a_challenger_worse_than_the_champion_is_promoted_only_when_forced(
    registry_account, emulator
):
    dev, prod, owner = _stages()
    champion = registry.package_arn(registry_account.groups["prod"], registry_account.add("prod"))
    tolerance = governance.tolerance(prod)
    compared = {comparison.COMPARED_CHAMPION: champion, comparison.CHAMPION_AUC: "0.90"}
    within = registry_account.add(**compared, challenger_auc=str(0.90 - tolerance))
    worse = registry_account.add(**compared, challenger_auc=str(0.90 - tolerance - 0.001))
    uncompared = registry_account.add()

    for refused, why in ((worse, "is worse than prod's champion"), (uncompared, "not compared")):
        with pytest.raises(MlopsError, match=why):
            governance.promote(dev, prod, owner, emulator, refused)
    assert governance.promote(dev, prod, owner, emulator, within).created
    # Its copy serves prod now, the champion the others were not compared with; forced, yes.
    forced = governance.promote(dev, prod, owner, emulator, worse, forced="hotfix")
    assert forced.version.comment.startswith("forced: hotfix (gv-dev-")
    served = governance.served_copies(dev, prod, owner, emulator, uncompared)
    assert served == []


def test_a_promotion_is_not_challenged_by_its_own_copy(registry_account, emulator, monkeypatch):
    """Two promotions of one version at once: the second's challenge finds the first's copy
    serving the next stage, and lets it be (registry.promote then finds that copy)."""
    dev, prod, owner = _stages()
    version = registry_account.add()
    source_arn = registry.package_arn(registry_account.groups["dev"], version)
    registry_account.add("prod")  # another version serves prod
    challenges = []
    monkeypatch.setattr(registry, "promote", lambda *args: challenges.append(args[5]))
    governance.promote(dev, prod, owner, emulator, version)
    (challenge,) = challenges
    candidate = registry.describe(
        registry_account.sagemaker, registry_account.groups["dev"], version
    )
    assert "was not compared with prod's champion" in challenge(candidate)
    registry_account.add("prod", source_model_package_arn=source_arn)  # its copy, made meanwhile
    assert challenge(candidate) is None


def test_a_rollback_rejects_the_served_version_as_the_stages_approver(registry_account, emulator):
    dev, _, owner = _stages()
    previous, served = registry_account.add(), registry_account.add()
    done = governance.rollback(dev, owner, emulator, "latency")
    assert registry_account.decided_as == ["dev"]
    assert (done.rejected.version, done.serving.version) == (served, previous)
    assert _status(registry_account, "dev", served) == ("Rejected", "rollback: latency")
    again = governance.rollback(dev, owner, emulator, "latency", version=served)
    assert not again.changed and again.serving.version == previous  # asked for: done before
    with pytest.raises(MlopsError) as uncommented:
        governance.rollback(dev, owner, emulator, " ")
    assert str(uncommented.value) == f"a comment is required: say why {registry.ROLLED_BACK}"


@pytest.fixture()
def comparing(registry_account, emulator, monkeypatch):
    """compare's reads of the stages' contracts and sessions, on the registry account: the
    bucket the comparison's report goes to, and the runs the comparison started."""
    s3 = client(registry_account.session, "s3", emulator)
    bucket = f"gv-artifacts-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    platforms = {
        stage: SimpleNamespace(
            model_package_group_arn=group,
            artifacts_bucket_name=bucket,
            data_prefix=f"mammo-{stage}",
            comparison_pipeline=f"mammo-{stage}-comparison",
        )
        for stage, group in registry_account.groups.items()
    }
    sessions = []

    def workload_platform(stage, target):
        assert target is emulator
        return platforms[stage.name]

    def session_for(environment, target):
        assert target is emulator
        sessions.append(environment.name)
        return registry_account.session

    monkeypatch.setattr(state_store, "workload_platform", workload_platform)
    monkeypatch.setattr(aws, "session_for", session_for)
    runs = []

    def run(pipeline: str, parameters: dict[str, str]) -> None:
        runs.append((pipeline, parameters))
        auc = {"auc": {"value": 0.93}}
        report = {"metrics": auc, "champion": {"metrics": {"auc": {"value": 0.91}}}}
        key = f"{parameters['ReportUri'].split('/', 3)[3]}/{comparison.REPORT_FILE}"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(report).encode())

    return SimpleNamespace(bucket=bucket, run=run, runs=runs, sessions=sessions)


def test_a_comparison_scores_both_on_the_same_data_once_and_records_it(
    registry_account, comparing, emulator
):
    dev, prod, owner = _stages()
    champion = registry.package_arn(registry_account.groups["prod"], registry_account.add("prod"))
    challenger = registry_account.add()
    challenger_arn = registry.package_arn(registry_account.groups["dev"], challenger)

    done = governance.compare(dev, prod, owner, emulator, challenger, None, comparing.run)
    report = s3_uri(
        comparing.bucket, "mammo-dev", "comparison", *challenger_arn.split("/")[-2:], "vs",
        *champion.split("/")[-2:],
    )  # fmt: skip
    assert comparing.runs == [
        (
            "mammo-dev-comparison",
            {
                "ChallengerModelUri": "s3://m/model.tar.gz",
                "ChampionModelUri": "s3://m/model.tar.gz",
                "TestDataUri": HELD_OUT,
                "ReportUri": report,
            },
        )
    ]
    assert (done.challenger_arn, done.champion_arn, done.data_uri, done.ran) == (
        challenger_arn,
        champion,
        HELD_OUT,
        True,
    )
    assert (done.challenger_auc, done.champion_auc) == (0.93, 0.91)
    assert comparing.sessions == ["registry", "dev"]  # recorded as the registry, read as dev
    metadata = registry.describe(
        registry_account.sagemaker, registry_account.groups["dev"], challenger
    )["CustomerMetadataProperties"]
    assert metadata[comparison.COMPARED_CHAMPION] == champion
    assert metadata[comparison.COMPARISON_REPORT] == report

    again = governance.compare(dev, prod, owner, emulator, challenger, None, comparing.run)
    assert len(comparing.runs) == 1 and again.ran is False
    other_data = governance.compare(
        dev, prod, owner, emulator, challenger, "s3://x/y", comparing.run
    )
    assert len(comparing.runs) == 2 and other_data.data_uri == "s3://x/y"


def test_there_is_nothing_to_compare_with_before_the_first_promotion(
    registry_account, comparing, emulator
):
    dev, prod, owner = _stages()
    challenger = registry_account.add()
    with pytest.raises(MlopsError) as refused:
        governance.compare(dev, prod, owner, emulator, challenger, None, comparing.run)
    assert str(refused.value) == (
        "prod serves no version yet: there is no champion to compare with (the first "
        "promotion needs no comparison)"
    )
    assert comparing.runs == []


def test_a_stage_lists_its_own_versions_and_its_latest_approved(
    registry_account, comparing, emulator
):
    dev, _, owner = _stages()
    approved = registry_account.add()
    pending = registry_account.add(status="PendingManualApproval")
    listed = governance.versions(dev, emulator)
    assert [(v.version, v.status) for v in listed] == [
        (approved, "Approved"),
        (pending, "PendingManualApproval"),
    ]
    assert comparing.sessions == ["dev"]  # the stage reads its own group
    latest = governance.latest(dev, emulator)
    assert latest["ModelPackageArn"] == registry.package_arn(
        registry_account.groups["dev"], approved
    )
    for registry_only in (governance.versions, governance.latest):
        with pytest.raises(UsageError, match="--env registry: models belong to a stage"):
            registry_only(owner, emulator)


def test_decisions_are_made_as_the_stages_approver_on_the_registrys_groups(emulator, monkeypatch):
    """The decider the tests above replace: the approver role of the stage named, with the
    person's identity (glue/people.py), reading the groups from the registry's contract."""
    owner = config.load("registry")
    approver = aws.session(
        owner.region, aws_access_key_id="AKIDAPPROVER", aws_secret_access_key="s"
    )
    calls = []

    def as_approver(registry_config, stage, target):
        calls.append(("approver", registry_config.name, stage, target))
        return approver, PERSON

    def registry_contract(session, registry_config, target):
        calls.append(("contract", session, registry_config.name, target))
        return SimpleNamespace(model_package_group_arns={"prod": "arn:prod-group"})

    monkeypatch.setattr(people, "as_approver", as_approver)
    monkeypatch.setattr(people, "registry_contract", registry_contract)
    decider = governance._Decider(owner, "prod", emulator)
    assert calls == [
        ("approver", "registry", "prod", emulator),
        ("contract", approver, "registry", emulator),
    ]
    assert (decider.person, decider.groups) == (PERSON, {"prod": "arn:prod-group"})
    assert decider.sagemaker.meta.service_model.service_name == "sagemaker"
    assert decider.sagemaker.meta.endpoint_url == emulator.endpoint
    signed_with = decider.sagemaker._request_signer._credentials.access_key
    assert signed_with == "AKIDAPPROVER"
