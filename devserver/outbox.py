"""The development outbox: every mail (SES), SMS and mobile push (SNS) the embedded AWS accepted,
newest first.

Mail bodies are reduced to plain text and a list of links here, so the outbox page never renders
a message's HTML.
"""

from __future__ import annotations

import email
import email.policy
import re
from html.parser import HTMLParser
from typing import Any

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
           "blockquote", "pre", "hr"}
_SKIP = {"script", "style", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[dict[str, str]] = []
        self._skip = 0
        self._anchor: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag != "br" else "\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self._anchor = (href, []) if href else None

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "a" and self._anchor is not None:
            href, label = self._anchor
            self.links.append({"href": href, "label": " ".join("".join(label).split()) or href})
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._anchor is not None:
            self._anchor[1].append(data)


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> tuple[str, list[dict[str, str]]]:
    """Plain text of an HTML mail body and its links ({href, label}), in order."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts)), parser.links


def find_urls(text: str) -> list[str]:
    return [url.rstrip(".,;:!?") for url in _URL.findall(text)]


def _looks_like_html(body: str) -> bool:
    return bool(re.search(r"<(!doctype|html|body|p|div|a|br|table)\b", body[:2000], re.IGNORECASE))


def _with_text_links(text: str, links: list[dict[str, str]]) -> list[dict[str, str]]:
    known = {link["href"] for link in links}
    extra = [{"href": url, "label": url} for url in find_urls(text) if url not in known]
    return links + list({link["href"]: link for link in extra}.values())


def _body(body: str) -> tuple[str, list[dict[str, str]]]:
    if _looks_like_html(body):
        return html_to_text(body)
    return _tidy(body), []


def _raw(raw: str) -> tuple[str, str, str, list[str]]:
    """Subject, from, text and recipients of a raw MIME message; text/plain preferred over HTML."""
    message = email.message_from_string(raw, policy=email.policy.default)
    plain = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    content = plain.get_content() if plain is not None else ""
    text = content if plain is None or plain.get_content_subtype() == "plain" else html_to_text(content)[0]
    recipients = [a.strip() for h in ("To", "Cc") for a in str(message.get(h, "")).split(",") if a.strip()]
    return str(message.get("Subject", "")), str(message.get("From", "")), text, recipients


def _recipients(destinations: Any) -> list[str]:
    if isinstance(destinations, dict):
        return [a for key in ("ToAddresses", "CcAddresses", "BccAddresses")
                for a in destinations.get(key, [])]
    return [str(a) for a in destinations or []]


def mail_entry(message: Any) -> dict[str, Any]:
    """One sent SES message (moto's Message, RawMessage or TemplateMessage) as outbox JSON."""
    entry: dict[str, Any] = {"id": message.id, "from": message.source,
                             "to": _recipients(getattr(message, "destinations", None))}
    if hasattr(message, "raw_data"):
        subject, sender, text, recipients = _raw(message.raw_data)
        entry.update(subject=subject, text=_tidy(text), links=_with_text_links(text, []))
        entry["from"] = entry["from"] or sender
        entry["to"] = entry["to"] or recipients
    elif hasattr(message, "body"):
        text, links = _body(message.body)
        entry.update(subject=message.subject, text=text, links=_with_text_links(text, links))
    else:
        data = str(getattr(message, "template_data", ""))
        entry.update(subject=f"(template {getattr(message, 'template', '?')})", text=data,
                     links=_with_text_links(data, []))
    return entry


def sms_entry(message_id: str, phone: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "to": phone, "text": text,
            "links": [{"href": url, "label": url} for url in find_urls(text)]}


def push_entries(endpoints: Any) -> list[dict[str, Any]]:
    """Messages published to mobile push endpoints, newest first per device (moto keeps no times)."""
    pushes = []
    for endpoint in list(endpoints):
        for message_id, message in reversed(list(endpoint.messages.items())):
            pushes.append({"id": message_id, "token": endpoint.token, "endpoint": endpoint.arn,
                           "message": message})
    return pushes


def collect(account_id: str, region: str) -> dict[str, list[dict[str, Any]]]:
    """Everything sent through the in-process moto backends, newest first."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    sns = sns_backends[account_id][region]
    mails = list(ses_backends[account_id][region].sent_messages)
    sms = list(sns.sms_messages.items())
    return {
        "mail": [mail_entry(m) for m in reversed(mails)],
        "sms": [sms_entry(message_id, phone, text) for message_id, (phone, text) in reversed(sms)],
        "pushes": push_entries(sns.platform_endpoints.values()),
    }
