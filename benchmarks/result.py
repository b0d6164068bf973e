"""One measured figure beside its target: what every benchmark reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Result:
    name: str
    measured: float
    target: float
    unit: str  # "x" for ratios, "ms", "s", "B/task"
    detail: str = ""  # the two sides of a ratio, measured in the same run

    @property
    def met(self) -> bool:
        return self.measured <= self.target

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "met": self.met}
