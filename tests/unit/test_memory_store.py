from functions.shared.core.http import RequestMeta
from functions.shared.store import audit

META = RequestMeta("r1", "198.51.100.7", "test")


def test_a_standalone_audit_record_lands_in_the_store_the_rules_use(repos):
    audit.record("signin.password", "unknown_user", META)
    assert repos.audit.actions() == [("signin.password", "unknown_user")]
    assert repos.audit.entries[0].source_ip == "198.51.100.7"
