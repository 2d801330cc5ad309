"""The governance recorder's own rules (glue/steps/governance_recorder.py), in process: what an
event becomes (its history item and the version's current item), which events are refused and
why, and how the table is written (once per event, the current item never moved back by an older
event), on moto's DynamoDB in this process. The deployed function, its rule and its dead-letter
queue are tests/test_governance_table.py's."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from glue.steps import governance_recorder as recorder

GROUPS = {"mammo-severity-dev": "dev", "mammo-severity-prod": "prod"}
ARN = "arn:aws:sagemaker:us-east-1:111111111111:model-package/mammo-severity-dev/3"


def _event(**detail_changes) -> dict:
    detail = {
        "ModelPackageGroupName": "mammo-severity-dev",
        "ModelPackageVersion": 3,
        "ModelPackageArn": ARN,
        "ModelApprovalStatus": "Approved",
        "ModelPackageStatus": "Completed",
        "LastModifiedBy": {"IamIdentity": {"Arn": "arn:aws:sts::1:assumed-role/r/ana"}},
    }
    detail.update(detail_changes)
    return {
        "id": "844e2571-85d4-695f-b930-0153b71dcb42",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "time": "2026-12-01T10:00:00Z",
        "detail": {k: v for k, v in detail.items() if v is not None},
    }


def test_an_event_becomes_a_history_item_and_the_current_item():
    history, current = recorder.items(_event(ApprovalDescription="good"), GROUPS)
    assert history["record"] == f"v{3:010d}#2026-12-01T10:00:00Z#{history['event_id']}"
    assert current["record"] == "v0000000003" and current["kind"] == "current"
    assert (current["stage"], current["status"], current["comment"]) == ("dev", "Approved", "good")
    assert current["changed_by"] == "arn:aws:sts::1:assumed-role/r/ana"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({**_event(), "source": "aws.s3"}, "not a SageMaker Model Package State Change event"),
        (_event(ModelPackageGroupName="other-models"), "'other-models' is not governed here"),
        (_event(ModelPackageVersion="3"), "do not name a version of mammo-severity-dev"),
        (_event(ModelPackageVersion=4), "do not name a version of mammo-severity-dev"),
        (_event(ModelPackageArn=None), "detail.ModelPackageArn is missing"),
        (_event(ModelApprovalStatus=None), "detail.ModelApprovalStatus is missing"),
        ({**_event(), "detail": "x"}, "no detail object"),
        ("not an event", "not a JSON object"),
    ],
)
def test_an_event_it_does_not_govern_is_refused_with_the_reason(event, reason):
    with pytest.raises(recorder.UngovernedEvent, match=reason):
        recorder.items(event, GROUPS)


LINEAGE = {
    "auc": "0.91",
    "dataset_uri": "s3://b/mammo-dev/training/input/",
    "pipeline_execution": "arn:aws:sagemaker:us-east-1:1:pipeline/p/execution/x",
    "training_commit": "abc123",
    "not_lineage": "left out",
}


def test_the_items_keep_who_why_and_the_lineage_and_drop_what_is_empty():
    event = _event(
        ApprovalDescription="",
        CustomerMetadataProperties=LINEAGE,
        ModelMetrics={"ModelQuality": {"Statistics": {"S3Uri": "s3://b/evaluation.json"}}},
        MetadataProperties={"GeneratedBy": "arn:aws:sagemaker:us-east-1:1:pipeline/p"},
        LastModifiedBy={
            "IamIdentity": {
                "Arn": "arn:aws:sts::1:assumed-role/approver/dana",
                "SourceIdentity": "dana",
            }
        },
    )
    history, current = recorder.items(event, GROUPS)
    assert current == {
        "model_package_group": "mammo-severity-dev",
        "record": "v0000000003",
        "kind": "current",
        "version": 3,
        "model_package_arn": ARN,
        "stage": "dev",
        "status": "Approved",
        "package_status": "Completed",
        "changed_at": "2026-12-01T10:00:00Z",
        "changed_by": "arn:aws:sts::1:assumed-role/approver/dana",
        "source_identity": "dana",
        "event_id": "844e2571-85d4-695f-b930-0153b71dcb42",
        "generated_by": "arn:aws:sagemaker:us-east-1:1:pipeline/p",
        "metrics_uri": "s3://b/evaluation.json",
        "auc": "0.91",
        "dataset_uri": "s3://b/mammo-dev/training/input/",
        "pipeline_execution": "arn:aws:sagemaker:us-east-1:1:pipeline/p/execution/x",
        "training_commit": "abc123",
    }
    assert history == current | {
        "record": "v0000000003#2026-12-01T10:00:00Z#844e2571-85d4-695f-b930-0153b71dcb42",
        "kind": "event",
    }


@pytest.mark.parametrize(
    ("detail", "changed_by", "person"),
    [
        # A registration: who created it (no one has modified it yet).
        ({"LastModifiedBy": None, "CreatedBy": {"IamIdentity": {"Arn": "arn:creator"}}},
         "arn:creator", None),
        # A change in SageMaker Studio: its user profile.
        ({"LastModifiedBy": {"UserProfileName": "ana-studio"}}, "ana-studio", None),
        # A changer the event does not name: nothing said rather than a guess.
        ({"LastModifiedBy": {"IamIdentity": {}}, "CreatedBy": None}, None, None),
        ({"LastModifiedBy": "someone"}, None, None),
    ],
)  # fmt: skip
def test_who_changed_a_version_is_whom_the_event_names(detail, changed_by, person):
    _, current = recorder.items(_event(**detail), GROUPS)
    assert current.get("changed_by") == changed_by
    assert current.get("source_identity") == person


@pytest.mark.parametrize(
    ("event", "groups", "reason"),
    [
        (_event(), {}, "model package group 'mammo-severity-dev' is not governed here "
         "(governed: none)"),
        (_event(ModelPackageGroupName="other"), GROUPS, "model package group 'other' is not "
         "governed here (governed: mammo-severity-dev, mammo-severity-prod)"),
        ("not an event", GROUPS, "the event is not a JSON object"),
        ({**_event(), "detail": "x"}, GROUPS, "the event has no detail object"),
    ],
)  # fmt: skip
def test_an_event_refused_says_why_in_a_line(event, groups, reason):
    with pytest.raises(recorder.UngovernedEvent) as refused:
        recorder.items(event, groups)
    assert str(refused.value) == reason


def test_the_first_version_of_a_group_is_governed():
    _, current = recorder.items(
        _event(ModelPackageVersion=1, ModelPackageArn=ARN[:-1] + "1"), GROUPS
    )
    assert (current["version"], current["record"]) == (1, "v0000000001")


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({**_event(), "detail-type": "Other"}, "not a SageMaker Model Package State Change event "
         "(source 'aws.sagemaker', detail-type 'Other')"),
        (_event(ModelPackageVersion=0, ModelPackageArn=ARN.replace("/3", "/0")),
         f"detail.ModelPackageVersion 0 and detail.ModelPackageArn {ARN.replace('/3', '/0')!r} "
         "do not name a version of mammo-severity-dev"),
        (_event(ModelPackageArn=ARN.replace("mammo-severity-dev", "mammo-severity-prod")),
         "do not name a version of mammo-severity-dev"),
        (_event(ModelPackageArn="arn:aws:sagemaker:us-east-1:1:model-package/mammo-severity-dev/3"),
         "do not name a version of mammo-severity-dev"),
        ({**_event(), "id": ""}, "the event's id is missing or not a string"),
        ({**_event(), "time": 5}, "the event's time is missing or not a string"),
    ],
)  # fmt: skip
def test_every_reason_to_refuse_an_event_is_said_whole(event, reason):
    with pytest.raises(recorder.UngovernedEvent) as refused:
        recorder.items(event, GROUPS)
    assert reason in str(refused.value)


@pytest.fixture()
def table():
    """The governance table's keys (modules/governance-table), on moto's DynamoDB."""
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield dynamodb.create_table(
            TableName="governance",
            KeySchema=[
                {"AttributeName": "model_package_group", "KeyType": "HASH"},
                {"AttributeName": "record", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "model_package_group", "AttributeType": "S"},
                {"AttributeName": "record", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )


def _items(table) -> list[dict]:
    return sorted(table.scan()["Items"], key=lambda item: item["record"])


def _change(event_id: str, time: str, status: str) -> dict:
    return {**_event(ModelApprovalStatus=status), "id": event_id, "time": time}


def test_each_event_is_recorded_once_and_the_current_item_follows_the_newest(table):
    first = _change("e1", "2026-12-01T10:00:00Z", "PendingManualApproval")
    assert recorder.record(table, GROUPS, first) == {
        "event_id": "e1", "history": True, "current": True
    }  # fmt: skip
    # Redelivered (EventBridge delivers at least once): nothing written.
    assert recorder.record(table, GROUPS, first) == {
        "event_id": "e1", "history": False, "current": False
    }  # fmt: skip
    recorder.record(table, GROUPS, _change("e3", "2026-12-01T12:00:00Z", "Rejected"))
    # An older change arriving late: its history is kept, the current item stays the newest.
    late = recorder.record(table, GROUPS, _change("e2", "2026-12-01T11:00:00Z", "Approved"))
    assert (late["history"], late["current"]) == (True, False)

    items = _items(table)
    current = items[0]
    assert (current["record"], current["status"], current["event_id"]) == (
        "v0000000003",
        "Rejected",
        "e3",
    )
    history = [
        (i["event_id"], i["status"], i.get("previous_status"), i["sequence"]) for i in items[1:]
    ]
    assert history == [
        ("e1", "PendingManualApproval", None, 1),
        ("e2", "Approved", "Rejected", 3),
        ("e3", "Rejected", "PendingManualApproval", 2),
    ]
    assert current["previous_status"] == "PendingManualApproval" and current["sequence"] == 2


def test_a_change_in_the_same_second_replaces_the_current_item(table):
    recorder.record(table, GROUPS, _change("e1", "2026-12-01T10:00:00Z", "PendingManualApproval"))
    again = recorder.record(table, GROUPS, _change("e2", "2026-12-01T10:00:00Z", "Approved"))
    assert again == {"event_id": "e2", "history": True, "current": True}
    assert _items(table)[0]["status"] == "Approved"


def test_a_table_that_cannot_be_written_fails_the_invocation(table):
    missing = boto3.resource("dynamodb", region_name="us-east-1").Table("no-such-table")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        recorder.record(missing, GROUPS, _event())


def test_the_handler_reads_the_table_and_groups_from_its_environment(table, monkeypatch):
    monkeypatch.setenv(recorder.TABLE_VARIABLE, "governance")
    monkeypatch.setenv(recorder.GROUPS_VARIABLE, '{"mammo-severity-dev": "dev"}')
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    written = recorder.handler(_event(), None)
    assert written == {"event_id": "844e2571-85d4-695f-b930-0153b71dcb42", "history": True,
                       "current": True}  # fmt: skip
    assert _items(table)[0]["stage"] == "dev"


def test_an_item_from_before_changes_were_numbered_counts_as_none(table):
    """A current item written without a sequence (the recorder's first releases): the next
    change is the first numbered."""
    _, current = recorder.items(_event(), GROUPS)
    table.put_item(Item={k: v for k, v in current.items() if k != "sequence"})
    recorder.record(table, GROUPS, _change("e2", "2026-12-01T11:00:00Z", "Rejected"))
    assert _items(table)[0]["sequence"] == 1


def test_the_version_s_current_item_is_read_consistently():
    """DynamoDB reads are eventually consistent unless asked: the change before must be read as
    written, or its successor would be numbered from a stale item."""
    table = boto3.resource(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    ).Table("governance")
    with Stubber(table.meta.client) as stub:
        stub.add_response(
            "get_item",
            {},
            {
                "TableName": "governance",
                "Key": {"model_package_group": "mammo-severity-dev", "record": "v0000000003"},
                "ConsistentRead": True,
            },
        )
        stub.add_response("put_item", {})
        stub.add_response("put_item", {})
        assert recorder.record(table, GROUPS, _event())["current"] is True
        stub.assert_no_pending_responses()
