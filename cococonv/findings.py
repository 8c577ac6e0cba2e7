"""What ``cococonv validate`` reports: one Finding per problem, with its place. Its own
module so the rules (cococonv.validation_rules) and the runner (cococonv.validation)
share it without importing each other."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(slots=True, frozen=True)
class Finding:
    """One problem: its rule, ``error`` or ``warning``, what is wrong, and where: the file
    and JSON path the importer named, or the subset, item id and annotation id."""

    rule: str
    severity: str
    message: str
    file: str | None = None
    where: str | None = None
    subset: str | None = None
    item: str | None = None
    annotation: Any = None

    def place(self) -> str:
        """The place as one string: ``file: where`` or ``subset/item: annotation N``;
        empty for what the importer said of the whole input (its text names the file)."""
        if self.file or self.where:
            return ": ".join(p for p in (self.file, self.where) if p)
        parts = "/".join(str(p) for p in (self.subset, self.item) if p is not None)
        if self.annotation is not None:
            parts += f": annotation {self.annotation!r}"
        return parts

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"place": self.place()}
