"""Metric filters for selecting versions: ``"test.accuracy >= 0.8"`` -> a predicate."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from galfriday_gitops.errors import UserError
from galfriday_gitops.resources import ModelVersion

_CONDITION = re.compile(
    r"^\s*((?:validation|test)\.[A-Za-z0-9][A-Za-z0-9_.-]*)\s*(>=|<=|==|!=|>|<)\s*"
    r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def parse_condition(text: str) -> Callable[[ModelVersion], bool]:
    """``"test.accuracy >= 0.8"`` -> a predicate on a version (missing metric: False)."""
    m = _CONDITION.match(text)
    if m is None:
        raise UserError(
            f"bad metric filter {text!r}: expected e.g. 'test.accuracy >= 0.8' "
            "(validation.|test.<metric> <op> <number>, op one of >= <= > < == !=)"
        )
    ref, op, number = m[1], _OPS[m[2]], float(m[3])

    def predicate(version: ModelVersion) -> bool:
        value = version.spec.metrics.get(ref)
        return value is not None and op(value, number)

    return predicate
