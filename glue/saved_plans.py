"""Saved plans: a plan `mlops plan` saved, and its stamp naming what it was made from
(environment, account, tfvars digest, target: real AWS or one run of the local AWS), its digest
and the changes it makes (read from the plan's own JSON stream). A plan is written to temporary
files and moved into place only once it succeeded, stamp last, so a failed plan never replaces
the one a person reviewed; whatever reads a plan checks the stamp first. Its `terraform show
-json` is produced once, when first needed (checkov), and vouched for by the stamp from then on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from glue.aws import AWS, Target
from glue.config import EnvironmentConfig
from glue.errors import MlopsError
from glue.files import scratch
from glue.settings import state_dir
from glue.terraform import TerraformRunner


@dataclass(frozen=True)
class ResourceChange:
    action: str  # create, update, delete, replace or forget, as Terraform shows them
    address: str

    def __str__(self) -> str:
        return f"{self.action:<8} {self.address}"


@dataclass(frozen=True)
class PlanSummary:
    environment: str
    plan_file: Path | None  # None: planned and applied in one run (the bootstrap)
    changes: tuple[ResourceChange, ...]
    blocked: tuple[str, ...] = ()  # deletions AWS would refuse as things stand (see apply)

    def _count(self, *actions: str) -> int:
        return sum(change.action in actions for change in self.changes)

    @property
    def add(self) -> int:  # a replacement adds and destroys, as Terraform counts it
        return self._count("create", "replace")

    @property
    def change(self) -> int:
        return self._count("update")

    @property
    def destroy(self) -> int:
        return self._count("delete", "replace")

    @property
    def forget(self) -> int:  # no longer managed (a `removed` block), left in AWS
        return self._count("forget")

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        counts = f"{self.add} to add, {self.change} to change, {self.destroy} to destroy"
        forgets = f", {self.forget} to forget" if self.forget else ""
        return f"{self.environment}: {counts}{forgets}"

    def details(self) -> str:
        """The summary line, then one line per changed resource."""
        return "\n".join([str(self), *(f"  {change}" for change in self.changes)])


def plan_file_for(config: EnvironmentConfig) -> Path:
    return state_dir() / "plans" / f"{config.name}.tfplan"


def plan_json_for(plan_file: Path) -> Path:
    """Where the JSON of a saved plan is kept once produced (for checkov and reviewers)."""
    return plan_file.with_name(plan_file.name + ".json")


def stamp_for(plan_file: Path) -> Path:
    """Where `mlops plan` keeps the stamp of a saved plan."""
    return plan_file.with_name(plan_file.name + ".stamp.json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def made_from(config: EnvironmentConfig, target: Target) -> dict[str, str]:
    return {
        "environment": config.name,
        "account_id": config.account_id,
        "tfvars_sha256": _sha256(config.tfvars_file.read_bytes()),
        "target": target.name,
    }


def _stamp_text(content: dict) -> str:
    return json.dumps(content, indent=2, sort_keys=True) + "\n"


def stamp(
    origin: dict[str, str],
    destroy: bool,
    plan: bytes,
    changes: tuple[ResourceChange, ...],
    plan_json: bytes | None = None,
) -> str:
    """The stamp of a saved plan: what it was made from, the plan's digest and the changes it
    makes, and the digest of its JSON once that was produced."""
    content = {
        **origin,
        "destroy": destroy,
        "plan_sha256": _sha256(plan),
        "changes": [{"action": c.action, "address": c.address} for c in changes],
    }
    if plan_json is not None:
        content["plan_json_sha256"] = _sha256(plan_json)
    return _stamp_text(content)


@dataclass(frozen=True)
class SavedPlan:
    """A plan saved by `mlops plan`, its stamp and its JSON checked to belong together."""

    plan_file: Path
    stamp: dict
    changes: tuple[ResourceChange, ...]
    content: bytes = field(repr=False)  # the plan as checked: what apply applies

    @classmethod
    def load(cls, plan_file: Path) -> SavedPlan:
        stamp_file = stamp_for(plan_file)
        if not plan_file.is_file():
            raise MlopsError(
                f"no saved plan at {plan_file}: run `mlops plan` and review the plan it saves "
                "(an unreviewed plan is refused)"
            )
        incomplete = (
            f"{plan_file} is not a complete plan saved by `mlops plan` ({{}}): plan again "
            "and review the new plan"
        )
        try:
            stamped = json.loads(stamp_file.read_text())
            digest = stamped["plan_sha256"]
            changes = tuple(ResourceChange(c["action"], c["address"]) for c in stamped["changes"])
            made = {key: stamped[key] for key in ("environment", "account_id", "target")}
        except FileNotFoundError:
            raise MlopsError(incomplete.format(f"{stamp_file.name} is missing")) from None
        except (OSError, ValueError, TypeError, KeyError):
            raise MlopsError(incomplete.format(f"{stamp_file.name} is unreadable")) from None
        if not all(isinstance(value, str) for value in made.values()):
            raise MlopsError(incomplete.format(f"{stamp_file.name} is unreadable"))
        content = plan_file.read_bytes()
        if digest != _sha256(content):
            raise MlopsError(incomplete.format("the plan and its stamp do not match"))
        return cls(plan_file, stamped, changes, content)

    def check_made_from(self, config: EnvironmentConfig, target: Target | None) -> None:
        """Refuse the plan unless it was made from what is given now, saying what differs;
        where it was made too, unless `target` is None (what checkov reads is the plan's
        content: where it was planned does not change it)."""
        now = made_from(config, target or AWS)
        planned = {key: self.stamp.get(key) for key in now}
        if (planned["environment"], planned["account_id"]) != (config.name, config.account_id):
            raise MlopsError(
                f"{self.plan_file} was planned for environment {planned['environment']!r} in "
                f"account {planned['account_id']!r}, not {config.name!r} in "
                f"{config.account_id!r} ({config.tfvars_file}): refusing it"
            )
        if planned["tfvars_sha256"] != now["tfvars_sha256"]:
            raise MlopsError(
                f"{self.plan_file} was planned from other tfvars than {config.tfvars_file} "
                "holds now (edited since, or another --var-file): plan again and review that"
            )
        if target is not None and planned["target"] != now["target"]:
            raise MlopsError(target.refuse_plan_of(self.plan_file, planned["target"]))

    def summary(self) -> PlanSummary:
        return PlanSummary(self.stamp["environment"], self.plan_file, self.changes)

    def plan_json(self, config: EnvironmentConfig) -> Path:
        """The plan's `terraform show -json`, produced on first need (a scan) and kept beside
        the plan for reviewers: its digest joins the stamp, and a JSON the stamp does not
        vouch for is produced again from the plan, never used."""
        path = plan_json_for(self.plan_file)
        recorded = self.stamp.get("plan_json_sha256")
        if recorded and path.is_file() and _sha256(path.read_bytes()) == recorded:
            return path
        shown = TerraformRunner(config.terraform_dir, config.name).show(self.plan_file)  # offline
        with (
            scratch(path.parent, path.name) as new_json,
            scratch(path.parent, stamp_for(self.plan_file).name) as new_stamp,
        ):
            new_json.write_bytes(shown)
            new_stamp.write_text(_stamp_text({**self.stamp, "plan_json_sha256": _sha256(shown)}))
            new_json.replace(path)
            new_stamp.replace(stamp_for(self.plan_file))
        return path
