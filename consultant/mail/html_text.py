"""HTML to readable text with the stdlib parser: scripts and styles dropped, blocks become lines,
whitespace collapsed as a browser does, blockquote lines marked "> " like a plain-text quote."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_LINES = {"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "address", "center",
          "ul", "ol", "dl", "tbody", "thead", "form", "fieldset", "main", "nav", "aside", "figure"}
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre", "hr"}
_SKIP = {"script", "style", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0
        self.pre_depth = 0
        self.at_line_start = True

    def _newline(self, blank: bool = False) -> None:
        if not self.parts:
            return
        if not self.at_line_start:
            self.parts.append("\n")
        if blank:
            self.parts.append("\n")
        self.at_line_start = True

    def _write(self, text: str) -> None:
        if self.at_line_start:
            text = text if self.pre_depth else text.lstrip(" ")
            if not text:
                return
            if self.quote_depth:
                text = "> " * self.quote_depth + text
        self.parts.append(text)
        self.at_line_start = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body":
            self.skipping = 0  # an unclosed <title> or <style> in the head must not swallow the body
        elif tag in _SKIP:
            self.skipping += 1
        elif tag == "br":
            if self.at_line_start:
                self.parts.append("\n")  # <br><br>: a blank line
            self._newline()
            self.at_line_start = True
        elif tag in ("td", "th"):
            self._write(" ")
        else:
            self._block(tag)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)  # <br/>, <hr/>: no end tag to handle

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag == "blockquote":
            self._block(tag)
            self.quote_depth = max(0, self.quote_depth - 1)
            return
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        self._block(tag)

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._newline(blank=True)
        elif tag in _LINES:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre_depth:
            self._write(re.sub(r"\s+", " ", data))
            return
        for index, line in enumerate(data.split("\n")):
            if index:
                self.parts.append("\n")
                self.at_line_start = True
            if line:
                self._write(line)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # last resort: drop scripts and styles, then every tag
        markup = re.sub(r"(?is)<(script|style)\b.*?(</\1\s*>|$)", " ", markup)
        return html.unescape(re.sub(r"<[^>]*>?", " ", markup)).strip()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
