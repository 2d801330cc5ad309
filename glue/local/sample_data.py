"""The embedded data: a generated sample with the schema of the UCI Mammographic Mass data.

Deterministic (seeded), so runs are reproducible; the relation between the features and the
label mimics the real data closely enough for an AUC in the real data's range. Batches for
inference have the features only, no header, as batch transform reads them; an "outliers"
batch carries values no training row has, which the data-quality check must catch. A demo on
given data (`--data`) draws its batches from that data's own rows instead: a generated batch
is not of its distribution, and Model Monitor would rightly call it drift.
"""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path
from typing import TYPE_CHECKING

from glue.errors import MlopsError

if TYPE_CHECKING:
    import pandas as pd

HEADER = ("BI-RADS", "Age", "Shape", "Margin", "Density", "Severity")


def check_training_csv(path: Path) -> None:
    """Refuse, before anything runs, a --data file the training's preprocess step would refuse
    minutes later: unreadable, not UTF-8 text, or a header without the data set's columns."""
    expected = "a CSV with the UCI mammography header " + ",".join(HEADER)
    if not path.is_file():
        raise MlopsError(f"--data {path}: no such file ({expected})")
    try:
        with path.open(newline="", encoding="utf-8-sig") as data:  # Excel's "CSV UTF-8" too
            header = next(csv.reader(data), [])
    except UnicodeDecodeError:
        raise MlopsError(f"--data {path}: not UTF-8 text ({expected})") from None
    except (OSError, csv.Error) as error:
        raise MlopsError(f"--data {path}: cannot read it ({error}; {expected})") from None
    missing = [name for name in HEADER if name not in header]
    if missing:
        raise MlopsError(f"--data {path}: its header lacks {', '.join(missing)} ({expected})")


def _row(rng: random.Random) -> list[int]:
    severity = int(rng.random() < 0.46)
    age = int(min(95, max(18, rng.gauss(63 if severity else 49, 13))))
    shape = min(4, max(1, round(rng.gauss(3.4 if severity else 1.9, 0.9))))
    margin = min(5, max(1, round(rng.gauss(3.8 if severity else 1.9, 1.1))))
    density = min(4, max(1, round(rng.gauss(3, 0.4))))
    logit = -9 + 0.06 * age + 0.6 * shape + 0.5 * margin + rng.gauss(0, 1.2)
    birads = min(5, max(2, round(3 + 2 / (1 + math.exp(-logit)) + rng.gauss(0, 0.4))))
    return [birads, age, shape, margin, density, severity]


def training_csv(rows: int = 600, seed: int = 7) -> str:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(_row(rng) for _ in range(rows))
    return buffer.getvalue()


def batch_csv(rows: int = 50, seed: int = 11, outliers: bool = False) -> str:
    """Features only, no header; with outliers, ages no patient has."""
    rng = random.Random(seed)
    lines = []
    for _ in range(rows):
        features = _row(rng)[:-1]
        if outliers:
            features[1] = 150 + rng.randint(0, 100)
        lines.append(",".join(str(v) for v in features))
    return "\n".join(lines) + "\n"


def rows_kept(training: str) -> pd.DataFrame:
    """The rows of the given training data (a CSV with the data set's header, UTF-8 with or
    without Excel's byte-order mark) that its preprocessing keeps, label first."""
    import pandas as pd  # only a demo on given data needs pandas here

    from glue.steps import preprocess

    return preprocess.clean(pd.read_csv(io.StringIO(training.lstrip("\ufeff")), na_values="?"))


def batch_from(training: str, rows: int = 50, outliers: bool = False) -> str:
    """Features only, no header, of rows of the given training data that its preprocessing
    keeps, evenly spaced through it (so of the data's own distribution: the batch a model of
    that data scores without drift), as preprocessing writes the baseline; with outliers, ages
    no patient has."""
    from glue.steps import preprocess

    frame = rows_kept(training)
    features = frame[preprocess.FEATURES].iloc[:: max(1, len(frame) // rows)].head(rows)
    if outliers:
        features = features.assign(Age=[150 + (17 * i) % 101 for i in range(len(features))])
    return preprocess.as_batches_carry_them(features).to_csv(header=False, index=False)
