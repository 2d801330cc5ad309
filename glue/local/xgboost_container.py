"""The built-in XGBoost algorithm's serving container (1.7-1), as far as the local AWS plays it:
the batch transform of the local pipeline runner and the local endpoints answer as it does.

From aws/sagemaker-xgboost-container (branch 1.7-1: algorithm_mode/serve.py, serve_utils.py,
sagemaker-containers' encoders): the artifact is `model.tar.gz` holding `xgboost-model`; a
`text/csv` request is rows of features (no label); an empty request answers 204; a body that
does not parse answers 415, one the model cannot score (more features than it was trained on)
400; the answer for `text/csv` (the default Accept) is one score per line, each as Python
prints it, with a trailing newline; for `application/json`, {"predictions": [{"score": ...}]};
an Accept it does not serve answers 406. The local AWS reads `text/csv` requests only (the
container also reads libsvm and RecordIO-protobuf): another content type answers 415.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tarfile
from typing import Any

ARTIFACT_MEMBER = "xgboost-model"
DEFAULT_ACCEPT = "text/csv"


class ContainerError(Exception):
    """What the container answers instead of scores: its HTTP status and its message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def load(artifact: bytes) -> Any:
    """The booster in a `model.tar.gz`; a model that does not load answers 500."""
    import xgboost  # noqa: PLC0415 - only the transform step and endpoints need it

    try:
        with tarfile.open(fileobj=io.BytesIO(artifact)) as archive:
            member = archive.extractfile(ARTIFACT_MEMBER)
            booster = xgboost.Booster()
            booster.load_model(bytearray(member.read() if member else b""))
    except Exception as error:  # tarfile's, xgboost's: the container's model_fn fails
        raise ContainerError(500, f"the model does not load: {error}") from None
    return booster


def rows(body: bytes, content_type: str) -> list[list[float]]:
    """The feature rows of a request."""
    if content_type.split(";")[0].strip().lower() not in ("text/csv", "csv"):
        raise ContainerError(415, f"Content-type {content_type} is not supported here: text/csv")
    try:
        text = body.decode()
        return [
            [float(v) if v.strip() else math.nan for v in row]
            for row in csv.reader(io.StringIO(text))
            if row
        ]
    except (UnicodeDecodeError, ValueError) as error:
        raise ContainerError(
            415,
            f"Loading csv data failed with Exception, please ensure data is in csv format: {error}",
        ) from None


def scores(booster: Any, features: list[list[float]]) -> list[float]:
    import xgboost  # noqa: PLC0415

    try:
        return [float(s) for s in booster.predict(xgboost.DMatrix(features)).tolist()]
    except Exception as error:  # xgboost's: a row wider than the model's features
        raise ContainerError(400, f"Unable to evaluate payload provided: {error}") from None


def answer(found: list[float], accept: str) -> tuple[str, str]:
    """(body, content type) of the scores, as the Accept asks."""
    wanted = accept.split(";")[0].strip().lower()
    if wanted in ("", "*/*", DEFAULT_ACCEPT):
        return "".join(f"{score}\n" for score in found), f"{DEFAULT_ACCEPT}; charset=utf-8"
    if wanted == "application/json":
        return json.dumps({"predictions": [{"score": s} for s in found]}), "application/json"
    if wanted in ("application/jsonlines", "application/x-recordio-protobuf"):
        raise ContainerError(500, f"{accept} needs SAGEMAKER_INFERENCE_OUTPUT, which is not set")
    raise ContainerError(406, f"Accept {accept} is not supported")


def invocation(booster: Any, body: bytes, content_type: str, accept: str) -> tuple[int, str, str]:
    """(status, body, content type) of a request to the container."""
    if not body:
        return 204, "", DEFAULT_ACCEPT
    features = rows(body, content_type)
    return (200, *answer(scores(booster, features), accept))
