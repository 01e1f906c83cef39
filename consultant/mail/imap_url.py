"""CONSULTANT_IMAP_URL: which mailbox the poller watches, how it connects, what it does with mail it stored.

    imaps://USER:PASSWORD@HOST[:993]/MAILBOX[?option=value&...]
    imap://USER:PASSWORD@HOST[:993]/MAILBOX               same as imaps:// (TLS unless asked otherwise)
    imap://USER:PASSWORD@HOST[:143]/MAILBOX?tls=starttls  STARTTLS, refused if the server does not offer it
    imap://USER:PASSWORD@HOST[:143]/MAILBOX?tls=none      plain text (a trusted network only)

USER and PASSWORD are percent-encoded (`@` is %40, `:` is %3A). MAILBOX defaults to INBOX.
Options: processed, rejected (folders), after (auto|move|copy|flag), keyword, poll, idle, timeout (seconds), ca."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

Security = Literal["tls", "starttls", "none"]
After = Literal["auto", "move", "copy", "flag"]

MAX_IDLE_SECONDS = 600.0
_SECURITY: dict[str, Security] = {"tls": "tls", "ssl": "tls", "implicit": "tls", "starttls": "starttls", "none": "none"}
_AFTER: tuple[After, ...] = ("auto", "move", "copy", "flag")
_OPTIONS = frozenset({"tls", "starttls", "processed", "rejected", "after", "keyword", "poll", "idle", "timeout", "ca"})


class ImapUrlError(ValueError):
    """The URL cannot be used; the message says what to change (it never repeats the password)."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: Security
    username: str
    password: str
    mailbox: str = "INBOX"
    processed_folder: str = "Processed"
    rejected_folder: str = "Rejected"
    after: After = "auto"
    keyword: str = "$ConsultantStored"
    poll_seconds: float = 60.0
    idle_seconds: float = MAX_IDLE_SECONDS  # 0: never IDLE, poll instead
    timeout: float = 30.0
    ca_file: str | None = None

    @property
    def key(self) -> str:
        """Names the account in the checkpoint table and in logs (no password)."""
        return f"{self.username}@{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"ImapAccount({self.security} {self.key}/{self.mailbox})"


def parse_imap_url(url: str) -> ImapAccount:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ImapUrlError(f"CONSULTANT_IMAP_URL must start with imaps:// or imap://, not {parts.scheme!r}")
    if not parts.hostname:
        raise ImapUrlError("CONSULTANT_IMAP_URL has no host")
    if parts.username is None or parts.password is None:
        raise ImapUrlError("CONSULTANT_IMAP_URL needs USER:PASSWORD@ before the host")
    options = _options(parts.query)
    security = _security(parts.scheme, options)
    return ImapAccount(
        host=parts.hostname,
        port=_port(parts, security),
        security=security,
        username=unquote(parts.username),
        password=unquote(parts.password),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        processed_folder=options.get("processed", "Processed"),
        rejected_folder=options.get("rejected", "Rejected"),
        after=_after(options.get("after", "auto")),
        keyword=options.get("keyword", "$ConsultantStored"),
        poll_seconds=_seconds(options, "poll", 60.0, minimum=0.1),
        idle_seconds=min(_seconds(options, "idle", MAX_IDLE_SECONDS, minimum=0.0), MAX_IDLE_SECONDS),
        timeout=_seconds(options, "timeout", 30.0, minimum=0.1),
        ca_file=options.get("ca"),
    )


def _options(query: str) -> dict[str, str]:
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ImapUrlError(f"unknown CONSULTANT_IMAP_URL option(s) {', '.join(unknown)}; known: {', '.join(sorted(_OPTIONS))}")
    return options


def _security(scheme: str, options: dict[str, str]) -> Security:
    asked = options.get("tls", "").lower()
    if options.get("starttls", "").lower() in ("1", "yes", "true"):
        asked = asked or "starttls"
    if not asked:
        return "tls"
    if asked not in _SECURITY:
        raise ImapUrlError(f"tls={asked!r}: use tls, starttls or none")
    security = _SECURITY[asked]
    if scheme == "imaps" and security != "tls":
        raise ImapUrlError(f"imaps:// is TLS from the first byte; use imap://...?tls={security} for {security}")
    return security


def _port(parts, security: Security) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise ImapUrlError(f"CONSULTANT_IMAP_URL has a bad port: {exc}") from None
    return port or (993 if security == "tls" else 143)


def _after(value: str) -> After:
    if value not in _AFTER:
        raise ImapUrlError(f"after={value!r}: use one of {', '.join(_AFTER)}")
    return value  # type: ignore[return-value]


def _seconds(options: dict[str, str], name: str, default: float, minimum: float) -> float:
    if name not in options:
        return default
    try:
        value = float(options[name])
    except ValueError:
        raise ImapUrlError(f"{name}={options[name]!r} is not a number of seconds") from None
    if value < minimum:
        raise ImapUrlError(f"{name} must be at least {minimum:g} seconds")
    return value
