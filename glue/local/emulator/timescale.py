"""How much faster than AWS the local AWS lets time pass where AWS waits for minutes: a real-time
endpoint's deployment (provisioning aside, its waits) and the periods of the alarms that judge
it. MLOPS_EMULATOR_DEPLOYMENT_TIME_SCALE (default 0.01): AWS's 300 s take 3 s here."""

from __future__ import annotations

import os

TIME_SCALE_ENV = "MLOPS_EMULATOR_DEPLOYMENT_TIME_SCALE"
DEFAULT_TIME_SCALE = 0.01


def time_scale() -> float:
    """The scale the emulator was started with; a value that is not a number, or a negative
    one, is the default."""
    value = os.environ.get(TIME_SCALE_ENV, "")
    try:
        scale = float(value) if value else DEFAULT_TIME_SCALE
    except ValueError:
        return DEFAULT_TIME_SCALE
    return scale if scale >= 0 else DEFAULT_TIME_SCALE
