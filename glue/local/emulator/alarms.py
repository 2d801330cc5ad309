"""CloudWatch alarms on a real-time endpoint's metrics, evaluated as CloudWatch evaluates them.

moto stores alarms and metric data but evaluates nothing: an alarm stays OK whatever is
published. Here the alarms whose metrics name an endpoint (dimension EndpointName) are
evaluated when that endpoint publishes metrics or its deployment advances: each of the last
`EvaluationPeriods` periods is breaching when its statistic (or, for a metric-math alarm, its
expression over the queries' statistics) passes the threshold; all breaching is ALARM, any not
is OK, and a period without data counts as `TreatMissingData` says (notBreaching here unless
`breaching`). An alarm is evaluated once a period, as CloudWatch does: a state set with
SetAlarmState holds until the next evaluation. Periods are scaled as deployments are
(`MLOPS_EMULATOR_DEPLOYMENT_TIME_SCALE`): a 60 s period lasts 0.6 s by default, so the
canary's metrics are judged within its wait.

Expressions: numbers, metric ids, + - * /, comparisons and IF(condition, then, else) — what
the platform's alarms use; another function is refused when the alarm is evaluated.
"""

from __future__ import annotations

import ast
import datetime
import operator
import threading
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.models import MetricDatum, cloudwatch_backends
from moto.core.utils import utcnow

from glue.local.emulator import timescale

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: lambda a, b: a / b if b else 0.0,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class UnsupportedExpression(ValueError):
    pass


def expression_value(expression: str, values: dict[str, float]) -> float:
    """A metric-math expression's value, given each metric id's."""

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _OPERATORS:
            return _OPERATORS[type(node.ops[0])](value(node.left), value(node.comparators[0]))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "IF"
            and len(node.args) == 3
        ):
            return value(node.args[1]) if value(node.args[0]) else value(node.args[2])
        raise UnsupportedExpression(f"the local AWS cannot evaluate {expression!r}")

    return float(value(ast.parse(expression, mode="eval")))


def _statistic(data: list[float], statistic: str) -> float | None:
    if not data:
        return None
    return {
        "Sum": sum(data),
        "Average": sum(data) / len(data),
        "Maximum": max(data),
        "Minimum": min(data),
        "SampleCount": float(len(data)),
    }[statistic]


def _datapoints(
    backend: Any, namespace: str, name: str, dimensions: dict[str, str], since, until
) -> list[float]:
    return [
        datum.value
        for datum in backend.metric_data
        if isinstance(datum, MetricDatum)
        and datum.namespace == namespace
        and datum.name == name
        and {d.name: d.value for d in datum.dimensions} == dimensions
        and since <= datum.timestamp.replace(tzinfo=None) < until
    ]


def _metrics_of(alarm: Any) -> list[tuple[str, str, str, dict[str, str], int, str]]:
    """(id, namespace, metric, dimensions, period, statistic) of each metric the alarm reads."""
    if alarm.metric_data_queries:
        return [
            (
                query.id,
                query.metric_stat.metric.namespace,
                query.metric_stat.metric.metric_name,
                {d.name: d.value for d in query.metric_stat.metric.dimensions},
                int(query.metric_stat.period),
                query.metric_stat.stat,
            )
            for query in alarm.metric_data_queries
            if query.metric_stat is not None
        ]
    dimensions = {d.name: d.value for d in alarm.dimensions}
    return [
        ("m", alarm.namespace, alarm.metric_name, dimensions, int(alarm.period), alarm.statistic)
    ]


def _breaching(alarm: Any, backend: Any, since, until) -> bool | None:
    """Whether the alarm's value over [since, until) passes its threshold; None: no data."""
    values = {}
    for metric_id, namespace, name, dimensions, _, statistic in _metrics_of(alarm):
        found = _statistic(
            _datapoints(backend, namespace, name, dimensions, since, until), statistic
        )
        if found is None:
            return None
        values[metric_id] = found
    if alarm.metric_data_queries:
        [returned] = [q for q in alarm.metric_data_queries if str(q.return_data).lower() == "true"]
        value = (
            values[returned.id]
            if returned.metric_stat
            else expression_value(returned.expression, values)
        )
    else:
        value = values["m"]
    return _COMPARE[alarm.comparison_operator](value, float(alarm.threshold))


def _names_endpoint(alarm: Any, endpoint: str) -> bool:
    return any(dims.get("EndpointName") == endpoint for _, _, _, dims, _, _ in _metrics_of(alarm))


# When each alarm (by ARN) was last evaluated here; evaluations one at a time (an invocation's
# and a deployment's may be due together).
_EVALUATED: dict[str, datetime.datetime] = {}
_EVALUATING = threading.Lock()


def evaluate(account: str, region: str, endpoint: str) -> None:
    """Evaluate the alarms on the endpoint's metrics that are due, and set their states. As
    CloudWatch evaluates an alarm once a period, an alarm is due a period after its last
    evaluation or its last change of state (SetAlarmState's holds until then, as on AWS)."""
    with _EVALUATING:
        _evaluate(cloudwatch_backends[account][region], endpoint)


def _evaluate(backend: Any, endpoint: str) -> None:
    now = utcnow().replace(tzinfo=None)
    scale = timescale.time_scale()
    for alarm in list(backend.alarms.values()):
        try:
            if not _names_endpoint(alarm, endpoint):
                continue
        except Exception:  # an alarm of a shape this does not read: CloudWatch's own
            continue
        period = datetime.timedelta(seconds=_metrics_of(alarm)[0][4] * scale)
        changed = alarm.state_updated_timestamp.replace(tzinfo=None)
        if now - max(_EVALUATED.get(alarm.alarm_arn, changed), changed) < period:
            continue
        _EVALUATED[alarm.alarm_arn] = now
        try:
            periods = [
                _breaching(alarm, backend, now - (k + 1) * period, now - k * period)
                for k in range(int(alarm.evaluation_periods))
            ]
        except (KeyError, UnsupportedExpression, ValueError):
            continue  # a statistic or expression this does not evaluate: left as it is
        missing_breaches = alarm.treat_missing_data == "breaching"
        breaching = all(missing_breaches if p is None else p for p in periods)
        state = "ALARM" if breaching else "OK"
        if state != alarm.state_value:
            alarm.update_state(
                f"Local evaluation of the last {len(periods)} period(s): {periods}", "{}", state
            )
