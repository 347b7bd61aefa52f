"""Single-use tokens in memory; other in-memory repositories spend them inside their own changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.store import repositories
from functions.shared.store.tokens import TokenView
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken


class MemoryTokens:
    def __init__(self) -> None:
        self.tokens: dict[str, TokenView] = {}

    def issue(self, token: TokenView, audit: AuditEntry | None = None) -> None:
        if token.token_hash in self.tokens:
            raise UniqueKeyTaken("token#" + token.token_hash)
        self.tokens[token.token_hash] = token
        if audit is not None:
            repositories().audit.record(audit)

    def get(self, token_hash: str) -> TokenView | None:
        return self.tokens.get(token_hash)

    # Parts of other repositories' transactions: check everything first, then apply.
    def check_new(self, token: TokenView) -> None:
        if token.token_hash in self.tokens:
            raise StaleWrite

    def check_unspent(self, token_hash: str) -> None:
        token = self.tokens.get(token_hash)
        if token is None or token.used_at is not None:
            raise StaleWrite

    def spend(self, token_hash: str, at: datetime) -> None:
        self.tokens[token_hash] = replace(self.tokens[token_hash], used_at=at)


REPOSITORIES = {"tokens": MemoryTokens}
