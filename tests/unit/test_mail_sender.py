"""The mail sender's rules: each queued mail delivered once, failures retried, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.mail_sender.logic import LEASE, deliver_batch
from functions.shared.services.notify.mail import Mail, MailNotSent, QueuedMail
from functions.shared.store import Repositories

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def message(delivery_id: str = "d1", kind: str = "password_reset") -> str:
    return QueuedMail(delivery_id, "jane@clinic.example", "Reset", "text", "<p>html</p>", kind).to_json()


class Ses:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[tuple[str, Mail]] = []
        self.failures = failures

    def __call__(self, to: str, mail: Mail) -> str:
        if self.failures:
            self.failures -= 1
            raise MailNotSent("Throttling")
        self.sent.append((to, mail))
        return f"ses-{len(self.sent)}"


def test_a_message_is_sent_once_however_often_it_arrives(repos: Repositories) -> None:
    ses = Ses()
    assert deliver_batch([("m1", message())], NOW, ses) == []
    assert deliver_batch([("m1", message()), ("m1-again", message())], NOW + timedelta(minutes=5), ses) == []
    assert [(to, mail.subject) for to, mail in ses.sent] == [("jane@clinic.example", "Reset")]


def test_a_failed_send_is_retried_then_sent_once(repos: Repositories) -> None:
    ses = Ses(failures=2)
    assert deliver_batch([("m1", message())], NOW, ses) == ["m1"]
    assert deliver_batch([("m1", message())], NOW + timedelta(minutes=3), ses) == ["m1"]
    assert deliver_batch([("m1", message())], NOW + timedelta(minutes=6), ses) == []
    assert deliver_batch([("m1", message())], NOW + timedelta(minutes=9), ses) == []
    assert len(ses.sent) == 1


def test_only_the_failed_messages_of_a_batch_come_back(repos: Repositories) -> None:
    ses = Ses()
    calls = []

    def flaky(to: str, mail: Mail) -> str:
        calls.append(mail.subject)
        if len(calls) == 2:
            raise MailNotSent("ServiceUnavailable")
        return ses(to, mail)

    batch = [("m1", message("d1")), ("m2", message("d2")), ("m3", message("d3"))]
    assert deliver_batch(batch, NOW, flaky) == ["m2"]
    assert len(ses.sent) == 2


def test_a_delivery_another_try_holds_waits_for_its_lease(repos: Repositories) -> None:
    repos.deliveries.claim("d1", NOW, NOW + LEASE, NOW + timedelta(days=30))  # a try still sending
    ses = Ses()
    assert deliver_batch([("m1", message())], NOW + LEASE / 2, ses) == ["m1"]
    assert ses.sent == []
    # That try died without sending: once its lease is over, the message is sent.
    assert deliver_batch([("m1", message())], NOW + LEASE * 2, ses) == []
    assert len(ses.sent) == 1


def test_decoys_are_dropped_and_unreadable_messages_kept(repos: Repositories) -> None:
    ses = Ses()
    batch = [("m1", message(kind="decoy")), ("m2", "not json"), ("m3", '{"v": 99}')]
    assert deliver_batch(batch, NOW, ses) == ["m2", "m3"]  # to the dead-letter queue, for people to see
    assert ses.sent == []


def test_mail_queued_twice_for_one_event_is_delivered_once(repos: Repositories, monkeypatch) -> None:
    # Two overlapping job runs each queue the deactivation notice of one account.
    from functions.shared.services.notify import mail as mail_module

    queued: list[QueuedMail] = []
    monkeypatch.setattr(mail_module, "_enqueue", queued.append)
    notice = Mail("Your account was deactivated", "text", "<p>html</p>", "deactivated")
    for _ in range(2):
        mail_module.send_mail("jane@clinic.example", notice, once_for="deactivated acct-1 d#2027-03-01")
    mail_module.send_mail("jane@clinic.example", notice, once_for="deactivated acct-1 d#2027-06-01")
    mail_module.send_mail("jane@clinic.example", notice)
    mail_module.send_mail("jane@clinic.example", notice)
    ids = [q.delivery_id for q in queued]
    assert ids[0] == ids[1] and len(set(ids)) == 4  # another event, and mail without one, are their own
    ses = Ses()
    assert deliver_batch([(f"m{i}", q.to_json()) for i, q in enumerate(queued)], NOW, ses) == []
    assert len(ses.sent) == 4
