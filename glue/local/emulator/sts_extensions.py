"""What STS does with a role session's source identity, which moto ignores.

AssumeRole's SourceIdentity becomes the new session's source identity (`principals` keeps it by
the session's access key, and the session's requests carry it as aws:SourceIdentity). Once set it
cannot be changed, and it persists across role chaining: a session that has one gives it to the
role it assumes, and a chained AssumeRole naming another is denied (IAM User Guide, "Monitor and
control actions taken with assumed roles"). AssumeRole answers the new session's source identity,
as its SourceIdentity output member.

That the trust (and the caller's policies) allow sts:SetSourceIdentity is the authorizer's check
(`request_checks`), made before moto serves the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.sts.responses import TokenResponse

from glue.local.emulator import principals
from glue.local.emulator.authorization import denied_response


def _changed(inherited: str, given: str) -> tuple[str, dict[str, Any]]:
    """The denial of a chained AssumeRole naming another source identity (AWS documents the
    denial, not its message: this one is ours), as a response body and its headers."""
    refused = denied_response(
        "sts",
        "query",
        f"The calling session's source identity is {inherited}: it persists across role "
        f"chaining and cannot be changed to {given}",
    )
    return refused.get_data(as_text=True), {
        "status": refused.status_code,
        "Content-Type": refused.content_type,
    }


def _keeping_source_identity(original: Callable) -> Callable:
    def assume_role(self: TokenResponse) -> Any:
        inherited = principals.source_identity(self.get_access_key())
        given = self._get_param("SourceIdentity")
        if inherited and given and given != inherited:
            return _changed(inherited, given)
        answer: ActionResult = original(self)
        identity = inherited or given
        if identity:
            result = answer.result
            principals.set_source_identity(result["Credentials"].access_key_id, identity)
            result["SourceIdentity"] = identity
        return answer

    return assume_role


def install() -> None:
    """Keep source identities (idempotent)."""
    if getattr(TokenResponse, "_mlops_source_identity", False):
        return
    TokenResponse.assume_role = _keeping_source_identity(TokenResponse.assume_role)
    TokenResponse._mlops_source_identity = True
