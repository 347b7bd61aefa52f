"""Audited decisions become EMF counts, written once per invocation by the entry point."""

import json

from functions.shared.core import telemetry
from functions.shared.core.errors import Problem
from functions.shared.core.http import make_handler, make_resolver
from tests.events import FakeContext, api_event

app = make_resolver()


@app.get("/count")
def counted() -> dict:
    telemetry.count("signin.password.wrong")
    raise Problem(401, "signin-failed", "Sign-in failed", "Try again.")


handler = make_handler(app)


def test_counts_are_flushed_as_one_emf_line_after_the_request(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    assert handler(api_event("GET", "/count"), FakeContext())["statusCode"] == 401
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [emf] = lines
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ProviderPortal"
    assert emf["signin.password.wrong"] == [1.0] or emf["signin.password.wrong"] == 1.0


def test_nothing_is_written_when_nothing_was_counted(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    telemetry.flush()
    assert '"_aws"' not in capsys.readouterr().out


def test_counts_of_an_invocations_worker_threads_are_flushed_with_it(monkeypatch, capsys):
    """The lifecycle jobs act on accounts in a thread pool: what those workers count is written by the
    invocation's flush once they have ended, not lost with their threads."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    telemetry.flush()
    capsys.readouterr()
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: telemetry.count("account.deactivate.done"), range(6)))
    telemetry.flush()
    [emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf["account.deactivate.done"] == [1.0] * 6
    telemetry.flush()
    assert '"_aws"' not in capsys.readouterr().out  # written once
