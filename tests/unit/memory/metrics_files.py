"""Published prior-authorization metrics in memory, keyed like the S3 objects."""

from __future__ import annotations

from functions.shared.store.metrics_files import basis_key, published_key, year_of


class MemoryMetricsFiles:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def publish(self, year: int, metrics: bytes, basis: bytes) -> None:
        self.objects[basis_key(year)] = basis
        self.objects[published_key(year)] = metrics

    def published(self, year: int) -> bytes | None:
        return self.objects.get(published_key(year))

    def years(self) -> list[int]:
        return sorted((y for key in self.objects if (y := year_of(key)) is not None), reverse=True)

    def basis(self, year: int) -> bytes | None:
        return self.objects.get(basis_key(year))


REPOSITORIES = {"metrics_files": MemoryMetricsFiles}
