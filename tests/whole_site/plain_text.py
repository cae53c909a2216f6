"""The visible text of a page's <main>, as a reader sees it (for tests/whole_site/test_plain_french.py).

Scripts, styles, templates and hidden elements (`hidden`, `aria-hidden="true"`, Bootstrap's
`d-none` and `visually-hidden`) are left out. Inline elements run into each other as the browser
draws them; every block element (paragraph, heading, list item, table cell, term, button...) ends a
line. Whitespace runs collapse to one space, as in HTML, except no-break spaces, which stay.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = {"script", "style", "template", "noscript", "svg", "head", "title"}
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base"}
BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "button",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "label",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "summary",
    "table",
    "td",
    "textarea",
    "th",
    "tr",
    "ul",
}
HIDDEN_CLASSES = {"d-none", "visually-hidden", "visually-hidden-focusable"}


class _MainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden) of the open elements in <main>
        self.in_main = False
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "main":
            self.in_main = True
        if not self.in_main:
            return
        if tag in BLOCKS and not self._hidden():
            self.parts.append("\n")
        if tag in VOID:
            return
        classes = set((values.get("class") or "").split())
        hidden = (
            tag in SKIPPED
            or "hidden" in values
            or values.get("aria-hidden") == "true"
            or bool(classes & HIDDEN_CLASSES)
        )
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        if not self.in_main or tag in VOID:
            return
        # Pop up to the matching element (HTML allows some end tags to be left out).
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        if tag in BLOCKS and not self._hidden():
            self.parts.append("\n")
        if tag == "main":
            self.in_main = False

    def handle_data(self, data: str) -> None:
        if self.in_main and not self._hidden():
            self.parts.append(data)


def visible_lines(html: str) -> list[str]:
    """The visible lines of <main>: one per block, whitespace collapsed as HTML does."""
    parser = _MainText()
    parser.feed(html)
    parser.close()
    lines = []
    for line in "".join(parser.parts).split("\n"):
        collapsed = re.sub(r"[ \t\r\f]+", " ", line).strip(" \t")
        if collapsed.strip():
            lines.append(collapsed)
    return lines


def as_sentences(lines: list[str]) -> str:
    """The lines as running text for a readability formula: a line that does not end a sentence
    (a heading, a list item, a label, a button) is read as one, so it gets a full stop."""
    ended = []
    for line in lines:
        line = line.strip()
        ended.append(line if re.search(r"[.!?…]\W*$", line) else f"{line.rstrip(' :;,')}.")
    return " ".join(ended)
