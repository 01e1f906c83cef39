"""Hypothesis fuzzing of parse_email: on any bytes, and on real messages damaged the ways mail gets
damaged, it returns a ParsedEmail or raises its own UnparseableEmail, nothing else. Derandomized so
CI runs the same examples every time."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultant.mail.mime import ParseLimits
from consultant.mail.parse import ParsedEmail, UnparseableEmail, parse_email
from tests.support.corpus import corpus_folder

LIMITS = ParseLimits()
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=1000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SMALL = 64 * 1024


def _seed_messages() -> list[bytes]:
    paths = [p for name in ("flanker", "mail-parser", "sisimai-bounces", "sisimai-not-bounces")
             for p in sorted(corpus_folder(name).rglob("*.eml")) if p.stat().st_size <= SMALL]
    return [p.read_bytes() for p in paths[::7]]  # a spread over every collection, small enough to mutate fast


SEEDS = _seed_messages()


def _parses_or_is_unparseable(raw: bytes) -> None:
    try:
        assert isinstance(parse_email(raw, "fuzz@example.org", LIMITS), ParsedEmail)
    except UnparseableEmail as exc:
        assert str(exc)


def _truncate(raw: bytes, data) -> bytes:
    return raw[: data.draw(st.integers(0, len(raw)))]


def _flip_bytes(raw: bytes, data) -> bytes:
    buffer = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 20))):
        if buffer:
            buffer[data.draw(st.integers(0, len(buffer) - 1))] = data.draw(st.integers(0, 255))
    return bytes(buffer)


def _delete_boundaries(raw: bytes, data) -> bytes:
    lines = raw.split(b"\n")
    marks = [i for i, line in enumerate(lines) if line.startswith(b"--") or b"boundary" in line.lower()]
    doomed = set(data.draw(st.lists(st.sampled_from(marks), max_size=len(marks)))) if marks else set()
    return b"\n".join(line for i, line in enumerate(lines) if i not in doomed)


def _duplicate_headers(raw: bytes, data) -> bytes:
    head, separator, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    index = data.draw(st.integers(0, max(0, len(lines) - 1)))
    copies = data.draw(st.integers(1, 200))
    return b"\n".join(lines[: index + 1] + [lines[index]] * copies + lines[index + 1 :]) + separator + body


def _splice_garbage(raw: bytes, data) -> bytes:
    at = data.draw(st.integers(0, len(raw)))
    garbage = data.draw(st.sampled_from([
        b"\nContent-Type: multipart/mixed; boundary=\"\"\n", b"\nContent-Transfer-Encoding: base64\n\n=====\n",
        b"=?utf-8?b?////?=", b"\nContent-Type: text/plain; charset=\"x-\xff\"\n", b"\x00" * 10,
        b"\nContent-Type: message/rfc822\n\n" * 30, b"\r\r\n\n\r",
        b"\nContent-Disposition: attachment; filename*0*=''%ff\n",
    ]))
    return raw[:at] + garbage + raw[at:]


MUTATIONS = [_truncate, _flip_bytes, _delete_boundaries, _duplicate_headers, _splice_garbage]


class TestParseEmailFuzz:
    def test_the_seed_corpus_is_there(self):
        assert len(SEEDS) >= 50

    @FUZZ
    @given(st.binary(max_size=4096))
    def test_arbitrary_bytes(self, raw: bytes):
        _parses_or_is_unparseable(raw)

    @FUZZ
    @given(st.lists(st.sampled_from([
        b"From: a@x.example\n", b"Subject: =?utf-8?q?=C3=A9?=\n", b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: text/html; charset=utf-8\n", b"\n", b"--b\n", b"--b--\n", b"<p>K76.0</p>\n",
        b"Content-Transfer-Encoding: quoted-printable\n", b"=E9=\n", b"Content-Type: message/rfc822\n",
        b"Content-Type: multipart/signed; boundary=b\n", b"\xff\xfe\n", b" folded continuation\n",
    ]), max_size=60))
    def test_arbitrary_mime_shaped_lines(self, lines: list[bytes]):
        _parses_or_is_unparseable(b"".join(lines))

    @FUZZ
    @given(st.sampled_from(SEEDS), st.sampled_from(MUTATIONS), st.data())
    def test_mutated_real_messages(self, seed: bytes, mutate, data):
        _parses_or_is_unparseable(mutate(seed, data))
