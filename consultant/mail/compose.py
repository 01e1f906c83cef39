"""Build the bytes of an outgoing message from validated values only: no CR/LF from anyone's
input reaches a header."""

from __future__ import annotations

import re
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr

from consultant.db.base import utcnow
from consultant.mail.render import Rendered

_MSGID = re.compile(r"^<[!-;=?-~]{1,250}>$")  # printable ASCII without '<', '>' or spaces
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
MAX_REFERENCES = 20


class UnsafeHeaderValue(ValueError):
    pass


def safe_address(value: str) -> str:
    """The one plain address in ``value``; anything with line breaks or several addresses is refused
    (parseaddr alone would quietly keep the first address of "a@x\\r\\nBcc: b@y")."""
    if any(c in value for c in "\r\n\x00") or len(getaddresses([value])) != 1:
        raise UnsafeHeaderValue("address not usable in a header")
    address = parseaddr(value)[1]
    if not _ADDRESS.match(address) or ".." in address:
        raise UnsafeHeaderValue("address not usable in a header")
    return address


def safe_msgids(values: list[str | None]) -> list[str]:
    return [v for v in values if v and _MSGID.match(v)]


def single_line(value: str, limit: int = 250) -> str:
    return " ".join(value.replace("\x00", "").split())[:limit]


def new_message_id(domain: str) -> str:
    return make_msgid(idstring="cc", domain=domain)


def compose(
    rendered: Rendered,
    *,
    from_name: str,
    from_address: str,
    to_address: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
    auto_submitted: bool,
) -> bytes:
    """The message as CRLF bytes for SMTP. Built with email.mime on the compat32 policy, which is
    about 3.5 times cheaper than EmailMessage; every value is validated or flattened first."""
    if not safe_msgids([message_id]):
        raise UnsafeHeaderValue("Message-ID not usable in a header")
    message: Message = MIMEMultipart("alternative") if rendered.html is not None else _text_part(rendered.text)
    message["From"] = formataddr((single_line(from_name, 78), safe_address(from_address)), charset="utf-8")
    message["To"] = safe_address(to_address)
    message["Subject"] = _encoded(single_line(rendered.subject, 250))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    parent = safe_msgids([in_reply_to])
    if parent:
        message["In-Reply-To"] = parent[0]
    chain = safe_msgids(references)[-MAX_REFERENCES:]
    if chain:
        message["References"] = " ".join(chain)
    if auto_submitted:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    if rendered.html is not None:
        message.attach(_text_part(rendered.text))
        message.attach(MIMEText(rendered.html, "html", _UTF8_QP))
    return message.as_bytes(policy=_WIRE)


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_WIRE = policy.compat32.clone(linesep="\r\n")


def _text_part(text: str) -> MIMEText:
    return MIMEText(text, "plain", _UTF8_QP)


def _encoded(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")
