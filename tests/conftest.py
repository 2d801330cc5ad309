"""Shared fixtures: an isolated state directory and one emulator per test session."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from glue import config, deploy
from glue.local import operator
from glue.local.emulator import control
from glue.local.emulator.control import Emulator
from tests.progress import Progress

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
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
        operator.stop(running)  # a bootstrap still applying ends first
        control.down()


# How far each emulator's authorization record has been checked (by its instance).
_CHECKED: dict[str, int] = {}


@pytest.fixture(autouse=True)
def authorized_as_iam(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every request a test made on the shared local AWS was one IAM allows, and none is one
    the authorizer could not decide: the emulator refuses the others, and a refusal the code
    under test caught and went on from would pass unseen; so after each test, every decision
    the emulator recorded since the last check (its fixtures' too) must be an allow, but for
    the refusals a test provokes on purpose (`@pytest.mark.refuses(action, ...)`)."""
    yield
    if "emulator" not in request.fixturenames:
        return
    emulator = request.getfixturevalue("emulator")
    record = control.authorizations(emulator, _CHECKED.get(emulator.instance, 0), policies=False)
    _CHECKED[emulator.instance] = record["next"]
    provoked = {action for mark in request.node.iter_markers("refuses") for action in mark.args}
    denied = [
        f"{r['caller']['arn']}: {r['request']['action']} on {r['request']['resource']} "
        f"({r['operation']}) {r['reason']}"
        for r in record["records"]
        if not r["allowed"] and r["request"]["action"] not in provoked
    ]
    assert not denied, "IAM would refuse:\n" + "\n".join(dict.fromkeys(denied))


@pytest.fixture(scope="module")
def registry_artifacts_key(emulator):
    """dev and prod look up the registry's artifacts key by alias: give them one to find."""
    from tests import accounts

    kms = accounts.client_in(emulator, ACCOUNTS["registry"], "kms")
    alias = "alias/mammo-model-artifacts"
    existing = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias]
    if existing:  # the applied platform's own key serves as well
        yield kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
        return
    key = kms.create_key(Description="stand-in for the registry's artifacts key")["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    yield key["Arn"]
    kms.delete_alias(AliasName=alias)


@pytest.fixture(scope="session")
def throwaway_configs(tmp_path_factory) -> dict[str, config.EnvironmentConfig]:
    """The shipped tfvars, with deletion protection off (what a test plans away goes), a
    feature branch in the registry's, a real-time endpoint in dev on instances (a canary of
    25 %), and prod serving in batch only (a stage without an endpoint)."""
    folder = tmp_path_factory.mktemp("tfvars")
    configs = {}
    for name in config.ENVIRONMENTS:
        values = json.loads((ROOT / f"{name}.tfvars.json").read_text())
        values["protect_from_destroy"] = False
        if name == "registry":  # and a feature branch's group, which dev writes
            values["feature_branches"] = ["better-features"]
        if name == "dev":
            from tests import accounts

            values["endpoint"] = accounts.DEV_ENDPOINT
        if name == "prod":
            values.pop("endpoint", None)
        path = folder / f"{name}.tfvars.json"
        path.write_text(json.dumps(values))
        configs[name] = config.load(name, path)
    return configs


def _plan_and_apply(
    env: config.EnvironmentConfig,
    emulator: Emulator,
    progress: Callable[[str], None] | None = None,
) -> None:
    plan = deploy.plan(env, emulator)
    assert plan.add > 0 and plan.change == 0 and plan.destroy == 0
    deploy.apply(env, emulator, plan.plan_file, progress=progress)


def _stages_at_once(configs, emulator: Emulator) -> None:
    """dev and prod, each in its own account with its own state, planned and applied side by
    side (they depend on the registry only)."""
    with ThreadPoolExecutor(len(config.WORKLOAD_ENVIRONMENTS)) as pool:
        for done in [
            pool.submit(_plan_and_apply, configs[name], emulator)
            for name in config.WORKLOAD_ENVIRONMENTS
        ]:
            done.result()


@pytest.fixture(scope="session")
def say(pytestconfig: pytest.Config) -> Progress:
    """Says on the terminal, as it starts, what a long fixture or test is doing."""
    return Progress(pytestconfig)


@pytest.fixture(scope="session")
def bootstrapped(emulator, throwaway_configs, say):
    """Each account bootstrapped for the local platform's CI principal, side by side (as the
    first command that needs one does; each ready once its Terraform role exists)."""
    say(f"bootstrapping the accounts of {', '.join(throwaway_configs)} side by side")
    for env in throwaway_configs.values():
        operator.start(env, emulator)
    for env in throwaway_configs.values():
        operator.bootstrapped(env, emulator)
    say("bootstrapped: each account's Terraform role exists")
    return throwaway_configs


@pytest.fixture(scope="session")
def platform(emulator, bootstrapped, throwaway_configs, say):
    """registry, then dev and prod, applied (the stages as soon as the registry's key exists).
    Its emulator's state ends with the session; tests/test_walkthrough.py proves that a
    teardown leaves only the bootstrap."""
    say("applying the platform: registry, then dev and prod once the registry's key exists")
    deploy.registry_then_stages(
        lambda progress: _plan_and_apply(throwaway_configs["registry"], emulator, progress),
        lambda: _stages_at_once(throwaway_configs, emulator),
    )
    say("the platform is applied")
    return throwaway_configs


# The modules that run pipelines on the applied platform, apart from those that deploy and
# govern it (about half the platform's test time each).
PLATFORM_GROUPS = {
    module: "platform-runs"
    for module in ("tests.test_lifecycle", "tests.test_governance_table", "tests.test_segregation")
}
# Modules that plan as the bootstrapped accounts' Terraform roles, without the applied platform:
# in a group of their own, their worker would bootstrap the three accounts once more (a minute,
# most of it the provider's wait on the state bucket's lifecycle rule, and ~15 CPU seconds).
BOOTSTRAPPED_ONLY = {"tests.test_plans": "platform"}
# A test that takes minutes on its own (an emulator of its own, a whole registry applied twice)
# forms a group of its own, so its module's other tests can run beside it.
CUT_SHORT = "test_an_apply_cut_short_loses_no_state_and_converges_with_clear_messages"
INTERRUPTED = "test_an_interrupted_apply_saves_what_it_made_and_says_so"
OWN_GROUP = {CUT_SHORT, INTERRUPTED}
# The groups that take longest, longest first: pytest-xdist hands groups out in collection order
# (with --no-loadscope-reorder, which the Makefile passes), one to each worker, then a second to
# each worker whose first is a single test. Those seconds wait behind the single test (minutes),
# so they are two groups of moments (docs, definitions); then each group goes to the first
# worker left with at most two tests to run: the next longest (minutes each) first, then those
# of tens of seconds (so none of them starts last), the groups of seconds after them.
LONGEST_FIRST = [
    "tests.test_walkthrough",
    "platform",
    "platform-runs",
    CUT_SHORT,
    "tests.test_docs",
    "tests.test_definitions",
    INTERRUPTED,
    "tests.test_bootstrap",
    "tests.test_safety",
    "tests.test_tfvars_rules",
    "tests.test_cross_account_apply",
    "tests.test_checkov",
    "tests.test_cli",
    "tests.test_report",
    "tests.test_fidelity",
    "tests.test_authorization",
]


def _group(item: pytest.Item, on_platform: set[str]) -> str:
    module = item.module.__name__
    group = PLATFORM_GROUPS.get(module, "platform") if module in on_platform else module
    group = BOOTSTRAPPED_ONLY.get(module, group)
    return item.originalname if item.originalname in OWN_GROUP else group


@pytest.hookimpl(hookwrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    """A test that uses the local AWS is marked `emulator` (the fast tier, `make test-fast`,
    leaves those out). Under pytest-xdist (`--dist loadgroup`), a module's tests run in one
    worker, so its module-scoped fixtures are set up once. The modules that use the applied
    platform form two groups, each applying the platform once in its own worker (and emulator):
    one group would be the whole run's critical path. Marked before any other plugin orders the
    tests (pytest-xdist reads the groups); after all of them (pytest-randomly shuffles the
    tests, so none relies on another having run before it) the longest groups are put first,
    each group's tests staying in the shuffled order (a stable sort)."""
    on_platform = {item.module.__name__ for item in items if "platform" in item.fixturenames}
    groups: dict[int, str] = {}  # by id(item): xdist renames node ids
    for item in items:
        if {"emulator", "platform"} & set(item.fixturenames):
            item.add_marker(pytest.mark.emulator)
        groups[id(item)] = _group(item, on_platform)
        item.add_marker(pytest.mark.xdist_group(groups[id(item)]))
    yield
    rank = {group: position for position, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(groups[id(item)], len(rank)))
