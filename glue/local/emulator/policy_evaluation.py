"""AWS's policy evaluation logic for one request, on policy documents alone (no moto here).

What it follows (IAM User Guide, "Policy evaluation logic", and "Cross-account policy evaluation
logic"):
- an explicit Deny in any applicable policy wins;
- within one account, an identity-based policy OR a resource-based policy that names the
  principal itself allows the request; a resource-based policy that names only the account
  (`arn:aws:iam::ACCOUNT:root` or `ACCOUNT`) delegates the decision to the account's IAM, so an
  identity-based policy must allow it too;
- across accounts, both must allow;
- a role's trust policy and a KMS key policy are required: without one that allows, nothing
  else does (`resource_policy_required`);
- the account's root user is allowed by its own account without identity policies.

Condition operators: every operator of the IAM JSON policy reference, with `...IfExists`,
`ForAnyValue:` / `ForAllValues:` and `Null`. A condition on a key the request context does not
carry is false (as on AWS), but a key the evaluator has never heard of is an error
(`UnknownConditionKey`), never a silent allow or deny: the context must grow first.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Condition keys the authorizer knows how to fill for some request (lower case, as IAM compares
# them case-insensitively); a key outside these and the tag families is UnknownConditionKey.
KNOWN_CONDITION_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
        "aws:requestedregion",
        "aws:currenttime",
        "aws:epochtime",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:principalservicename",
        "aws:viaawsservice",
        "iam:passedtoservice",
        "kms:viaservice",
        "kms:calleraccount",
        "kms:grantisforawsresource",
        "aws:sourceidentity",
        "sts:sourceidentity",
        "sts:rolesessionname",
        "sagemaker:modelapprovalstatus",
        "cloudwatch:namespace",
        "s3:prefix",
    }
)
# (kms:EncryptionContext:* is in the context only of a call that gives one: CloudWatch Logs'.)
KNOWN_CONDITION_KEY_FAMILIES = ("kms:encryptioncontext:",)


class UnknownConditionKey(Exception):
    """A policy conditions on a key the evaluator cannot fill: a gap of the evaluator."""


class UnknownConditionOperator(Exception):
    """A policy uses an operator IAM does not have."""


@dataclass(frozen=True)
class Policy:
    label: str  # where it comes from: "<role ARN>#inline:<name>", "key policy <key ARN>"
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Caller:
    """Who makes the request, as a policy names them."""

    arn: str  # arn:aws:iam::A:user/x, arn:aws:sts::A:assumed-role/R/S, arn:aws:iam::A:root
    account: str
    # What resource-based policies match besides `arn`: an assumed role's role ARN.
    also_named: tuple[str, ...] = ()
    identity_policies: tuple[Policy, ...] = ()
    is_root: bool = False
    service: str | None = None  # a service principal (events.amazonaws.com), when it calls
    source_arn: str | None = None  # aws:SourceArn of a service's call: the resource it acts for
    userid: str = ""  # aws:userid: a user's or role's unique ID (":session" for a role's)
    # aws:SourceIdentity: a role session's source identity, set when it (or the session that
    # assumed it: role chaining keeps it) was assumed
    source_identity: str | None = None


@dataclass(frozen=True)
class Request:
    action: str  # service:Action as the reference names it
    resource: str  # an ARN, or "*" for an action without a resource type
    resource_account: str | None  # the account owning the resource (None: no resource)
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lower-case keys


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # AWS's reason, completing "User: X is not authorized to perform: A on resource: R ..."
    reason: str = ""
    # The statements that decided (policy label, Sid or index): what the least-privilege test
    # removes one at a time.
    statements: tuple[str, ...] = ()

    def message(self, caller: Caller, request: Request) -> str:
        return (
            f"User: {caller.arn} is not authorized to perform: {request.action} on resource: "
            f"{request.resource} {self.reason}"
        )


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(policy: Policy) -> list[tuple[str, Mapping[str, Any]]]:
    found = _as_list(policy.document.get("Statement"))
    return [(f"{policy.label}#{s.get('Sid') or index}", s) for index, s in enumerate(found)]


def _wildcard(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(_wildcard(p, action, case_sensitive=False) for p in patterns)


def _arn_matches(pattern: str, arn: str) -> bool:
    """ArnLike / Resource matching: component by component, each component a wildcard."""
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return _wildcard(pattern, arn)
    return all(_wildcard(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    _check_no_variables(
        _as_list(statement.get("Resource")) + _as_list(statement.get("NotResource"))
    )
    if "NotResource" in statement:
        return not any(_arn_matches(p, resource) for p in _as_list(statement["NotResource"]))
    if "Resource" not in statement:  # resource-based policies may leave it out: the resource
        return True
    return any(_arn_matches(p, resource) for p in _as_list(statement["Resource"]))


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _action_matches(_as_list(statement["NotAction"]), action)
    return _action_matches(_as_list(statement.get("Action")), action)


def _principal_match(statement: Mapping[str, Any], caller: Caller) -> str | None:
    """How the statement's principal names the caller: "direct" (its own ARN, or its role's),
    "account" (its account: a delegation to that account's IAM), or None."""
    if "NotPrincipal" in statement:
        named = _principal_values(statement["NotPrincipal"], caller)
        return None if named else "direct"
    return _principal_values(statement.get("Principal"), caller)


def _principal_values(principal: Any, caller: Caller) -> str | None:
    if principal == "*":
        return "direct"
    if not isinstance(principal, Mapping):
        return None
    if caller.service is not None:
        return "direct" if caller.service in _as_list(principal.get("Service")) else None
    best = None
    for value in _as_list(principal.get("AWS")):
        if value == "*" or value in (caller.arn, *caller.also_named):
            return "direct"
        if value in (caller.account, f"arn:aws:iam::{caller.account}:root") or (
            value.startswith("arn:") and value.split(":")[4:6] == [caller.account, "root"]
        ):
            best = "direct" if caller.is_root else "account"
    return best


# --- conditions -------------------------------------------------------------------------------


def _check_known(key: str) -> None:
    lowered = key.lower()
    if lowered in KNOWN_CONDITION_KEYS or lowered.startswith(KNOWN_CONDITION_KEY_FAMILIES):
        return
    raise UnknownConditionKey(f"condition key {key} is not known to the local AWS's evaluator")


def _check_no_variables(values: list) -> None:
    """Policy variables (${aws:username}) are substituted in condition values only (see
    `_substituted`): elsewhere an error, never a value compared literally."""
    if any("${" in str(value) for value in values):
        raise UnknownConditionKey(f"policy variables are not known to the evaluator: {values}")


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class _Absent(Exception):
    """A policy variable names a key the request does not carry."""


def _substituted(values: list, context: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Condition values with their policy variables (IAM User Guide, "IAM policy elements:
    Variables and tags") replaced by the request's value of the key: ${aws:username} is the
    calling IAM user's name; ${*}, ${?} and ${$} are those characters. A key the evaluator does
    not know is an error; one the request does not carry (or carries several values of) makes
    the condition fail to match (_Absent), as IAM does."""

    def value_of(match: re.Match) -> str:
        key = match.group(1).strip()
        if key in _ESCAPES:
            return _ESCAPES[key]
        _check_known(key)
        found = context.get(key.lower())
        if not found or len(found) != 1:
            raise _Absent(key)
        return found[0]

    return [_VARIABLE.sub(value_of, str(value)) for value in values]


def _string_equals(policy_value: str, value: str) -> bool:
    return policy_value == value


def _date(value: str) -> datetime | None:
    try:
        if re.fullmatch(r"\d+", value):
            return datetime.fromtimestamp(int(value), timezone.utc)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A date alone ("2020-01-01") is midnight UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _compare(kind: str, op):
    def check(policy_value: str, value: str) -> bool:
        convert = _date if kind == "date" else _number
        left, right = convert(value), convert(policy_value)
        return left is not None and right is not None and op(left, right)

    return check


def _ip(policy_value: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False


_POSITIVE = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _wildcard(p, v),
    "ArnEquals": _arn_matches,
    "ArnLike": _arn_matches,
    "NumericEquals": _compare("number", lambda a, b: a == b),
    "NumericLessThan": _compare("number", lambda a, b: a < b),
    "NumericLessThanEquals": _compare("number", lambda a, b: a <= b),
    "NumericGreaterThan": _compare("number", lambda a, b: a > b),
    "NumericGreaterThanEquals": _compare("number", lambda a, b: a >= b),
    "DateEquals": _compare("date", lambda a, b: a == b),
    "DateLessThan": _compare("date", lambda a, b: a < b),
    "DateLessThanEquals": _compare("date", lambda a, b: a <= b),
    "DateGreaterThan": _compare("date", lambda a, b: a > b),
    "DateGreaterThanEquals": _compare("date", lambda a, b: a >= b),
    "Bool": lambda p, v: p.lower() == v.lower(),
    "BinaryEquals": _string_equals,
    "IpAddress": _ip,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


def _operator_holds(
    operator: str, policy_values: list[str], values: tuple[str, ...] | None
) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":
        wanted = [str(v).lower() == "true" for v in policy_values]
        return any(w == (values is None) for w in wanted)
    negated = name in _NEGATED
    base = _NEGATED.get(name, name)
    check = _POSITIVE.get(base)
    if check is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnknownConditionOperator(f"condition operator {operator} is not IAM's")
    if values is None:
        # A missing key (IAM User Guide, condition operators and multivalued keys):
        # ForAllValues over nothing is true, ForAnyValue false (unless ...IfExists); a single-
        # valued negated operator is true (no value equals a policy value), ...IfExists too.
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return if_exists
        return if_exists or negated
    policy_values = [str(v) for v in policy_values]

    def one(value: str) -> bool:
        matched = any(check(p, value) for p in policy_values)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def conditions_hold(statement: Mapping[str, Any], context: Mapping[str, tuple[str, ...]]) -> bool:
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, policy_values in keys.items():
            _check_known(key)
            try:
                policy_values = _substituted(_as_list(policy_values), context)
            except _Absent:
                return False
            values = context.get(key.lower())
            if not _operator_holds(operator, policy_values, values):
                return False
    return True


# --- the decision -----------------------------------------------------------------------------


def _matching(
    policies: Iterable[Policy], caller: Caller, request: Request, resource_based: bool
) -> tuple[list[str], dict[str, str]]:
    """(Deny statements that apply, {Allow statement: how it names the caller})."""
    denies: list[str] = []
    allows: dict[str, str] = {}
    for policy in policies:
        for label, statement in statements(policy):
            if not _action_applies(statement, request.action):
                continue
            if not _resource_matches(statement, request.resource):
                continue
            how = _principal_match(statement, caller) if resource_based else "direct"
            if how is None:
                continue
            if not conditions_hold(statement, request.context):
                continue
            if statement.get("Effect") == "Deny":
                denies.append(label)
            elif statement.get("Effect") == "Allow":
                allows[label] = how
    return denies, allows


def evaluate(
    caller: Caller,
    request: Request,
    resource_policy: Policy | None = None,
    resource_policy_required: bool = False,
) -> Decision:
    identity_denies, identity_allows = _matching(
        [] if caller.service else caller.identity_policies, caller, request, resource_based=False
    )
    resource_denies, resource_allows = (
        _matching([resource_policy], caller, request, resource_based=True)
        if resource_policy is not None
        else ([], {})
    )
    if identity_denies:
        return Decision(
            False, "with an explicit deny in an identity-based policy", tuple(identity_denies)
        )
    if resource_denies:
        return Decision(
            False, "with an explicit deny in a resource-based policy", tuple(resource_denies)
        )
    if caller.is_root and request.action.lower().startswith("sts:assumerole"):
        # STS: an account's root user cannot assume a role (only users and roles can).
        return Decision(False, "because the root user cannot assume a role")
    same_account = request.resource_account in (None, caller.account)
    direct = [label for label, how in resource_allows.items() if how == "direct"]
    delegated = [label for label, how in resource_allows.items() if how == "account"]
    # The root user needs no identity policy; another account's resources still need theirs.
    identity_ok = bool(identity_allows) or caller.is_root
    if caller.service is not None:  # a service acts only where a resource policy lets it
        if direct:
            return Decision(True, statements=tuple(direct))
        return Decision(False, _no_policy("resource-based", request))
    if resource_policy_required or not same_account:
        if not resource_allows:
            return Decision(False, _no_policy("resource-based", request))
        if same_account and direct:
            return Decision(True, statements=tuple(direct))
        if not identity_ok:
            return Decision(False, _no_policy("identity-based", request))
        return Decision(True, statements=tuple([*identity_allows, *direct, *delegated]))
    if identity_ok:
        return Decision(True, statements=tuple([*identity_allows, *direct]))
    if direct:
        return Decision(True, statements=tuple(direct))
    return Decision(False, _no_policy("identity-based", request))


def _no_policy(kind: str, request: Request) -> str:
    return f"because no {kind} policy allows the {request.action} action"
