from __future__ import annotations

from consultant.web.safe_html import has_html, highlighted, original_text, sanitised_html


def mail(html: str | None, text: str | None = "plain words") -> bytes:
    parts = []
    if text is not None:
        parts += ["--b", 'Content-Type: text/plain; charset="utf-8"', "", text, ""]
    if html is not None:
        parts += ["--b", 'Content-Type: text/html; charset="utf-8"', "", html, ""]
    return "\r\n".join(["From: a@example.org", "Subject: s", "MIME-Version: 1.0",
                        'Content-Type: multipart/alternative; boundary="b"', "", *parts, "--b--", ""]).encode()


class TestSanitisedHtml:
    def test_keeps_text_and_structure_drops_everything_active_or_remote(self):
        out = sanitised_html(mail('<p onclick="x()">Hi <b>there</b></p><script>alert(1)</script>'
                                  '<img src="http://evil.example/p.png"><a href="javascript:alert(1)">l</a>'
                                  '<style>body{background:url(http://evil.example/)}</style>'))
        assert "<p>Hi <b>there</b></p>" in out
        for bad in ("script", "onclick", "img", "javascript", "evil.example", "alert"):
            assert bad not in out


class TestOriginalText:
    def test_prefers_the_text_part_and_reports_html(self):
        raw = mail("<p>html words</p>")
        assert original_text(raw).strip() == "plain words"
        assert has_html(raw)

    def test_html_only_becomes_text(self):
        raw = mail("<p>only <i>html</i></p>", text=None)
        assert "only html" in original_text(raw)
        assert not has_html(mail(None))


class TestHighlighted:
    def test_cuts_the_text_at_phi_offsets(self):
        assert highlighted("Pt John Smith, MRN 123", [{"kind": "name", "start": 3, "end": 13},
                                                     {"kind": "mrn", "start": 19, "end": 22}]) == [
            ("Pt ", None), ("John Smith", "name"), (", MRN ", None), ("123", "mrn")]

    def test_overlapping_or_out_of_range_spans_are_clipped(self):
        assert highlighted("abcdef", [{"kind": "a", "start": 1, "end": 4}, {"kind": "b", "start": 2, "end": 99}]) == [
            ("a", None), ("bcd", "a"), ("ef", "b")]
