"""A portal record's view declares its keys once; the properties the record module reads
(functions/shared/services/records.py) follow from them: its number, the providers named on it (who may
read it), the practice that sent it (who may change it), and its sort key in a dated list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class RecordKeys:
    number: str  # the field holding the record's number
    readers: tuple[str, ...]  # the fields of every provider named on it (None where not named)
    dated: str  # the date or time its dated lists sort by, newest first
    owner: str = ""  # the field of the practice that sent it ("" where nobody in the portal changes it)


class DeclaredRecord:
    """Mixin of a record's view (a frozen dataclass with a `KEYS` class attribute)."""

    KEYS: ClassVar[RecordKeys]

    def _field(self, name: str) -> Any:
        return getattr(self, name)

    @property
    def record_id(self) -> str:
        return str(self._field(self.KEYS.number))

    @property
    def provider_ids(self) -> frozenset[str]:
        return frozenset(p for p in (self._field(name) for name in self.KEYS.readers) if p)

    @property
    def owner_id(self) -> str:
        return str(self._field(self.KEYS.owner)) if self.KEYS.owner else ""

    @property
    def page_key(self) -> str:
        """'<ISO date or time>#<number>': unique, and sorted as the list pages."""
        return f"{self._field(self.KEYS.dated).isoformat()}#{self.record_id}"
