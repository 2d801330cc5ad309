"""Shared fixtures: an isolated state directory and one emulator per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from glue.aws import assumed_session, client
from glue.emulator import control
from glue.emulator.control import Emulator

REGION = "us-east-1"
ACCOUNTS = {"registry": "111111111111", "dev": "222222222222", "prod": "333333333333"}


@pytest.fixture(scope="session", autouse=True)
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Each test run keeps its emulator and Terraform data apart, so two runs can overlap."""
    path = tmp_path_factory.mktemp("mlops-state")
    saved = os.environ.get("MLOPS_STATE_DIR")
    os.environ["MLOPS_STATE_DIR"] = str(path)
    yield path
    if saved is None:
        del os.environ["MLOPS_STATE_DIR"]
    else:
        os.environ["MLOPS_STATE_DIR"] = saved


@pytest.fixture(scope="session")
def emulator(state_dir: Path) -> Iterator[Emulator]:
    """The local AWS, stopped at the end even when tests fail (and by itself if pytest dies)."""
    running = control.up(watch_pid=os.getpid())
    try:
        yield running
    finally:
        control.down()


@pytest.fixture(scope="module")
def registry_artifacts_key(emulator):
    """dev and prod look up the registry's artifacts key by alias: give them one to find."""
    kms = client(
        assumed_session("arn:aws:iam::111111111111:role/test", "us-east-1", emulator),
        "kms",
        emulator,
    )
    key = kms.create_key(Description="stand-in for the registry's artifacts key")["KeyMetadata"]
    kms.create_alias(AliasName="alias/mammo-model-artifacts", TargetKeyId=key["KeyId"])
    yield key["Arn"]
    kms.delete_alias(AliasName="alias/mammo-model-artifacts")
