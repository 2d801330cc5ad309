"""What the local stand-ins for AWS's services act as: the role handed to the service.

SageMaker runs a pipeline's steps as the pipeline's role, Lambda a function as its role,
EventBridge delivers to a target as the target's role: each assumes the role, which its trust
policy must allow for that service. The local runner, Lambda runner and event router get the
role's credentials from the local AWS the same way (`control.service_credentials`: refused
unless the trust admits the service), so every call they make is authorized as that role's.
"""

from __future__ import annotations

from glue.aws import session_with
from glue.local.emulator.control import Emulator, service_credentials


def as_service(emulator: Emulator, service: str, role_arn: str, region: str, session_name: str):
    """A boto3 session of the role, as the service (e.g. sagemaker.amazonaws.com) gets it."""
    return session_with(region, service_credentials(emulator, service, role_arn, session_name[:64]))
