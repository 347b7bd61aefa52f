"""Provider Access opt-outs in memory (what the portal-data import writes and the export reads)."""

from __future__ import annotations

from typing import Any


class MemoryProviderAccess:
    def __init__(self) -> None:
        self.opt_outs: dict[str, tuple[bool, str]] = {}  # member → (opted out, content hash)

    def put_opt_out(self, member_id: str, opted_out: bool, content_hash: str, source: str) -> bool:
        if self.opt_outs.get(member_id, (None, None))[1] == content_hash:
            return False
        self.opt_outs[member_id] = (opted_out, content_hash)
        return True

    def opted_out(self, member_ids: list[str]) -> set[str]:
        return {m for m in member_ids if self.opt_outs.get(m, (False, ""))[0]}


REPOSITORIES: dict[str, Any] = {"provider_access": MemoryProviderAccess}
