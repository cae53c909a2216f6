"""The written parts of a report (sanitised HTML) as OpenDocument paragraphs, for the ODT.

The HTML comes from the report's written parts, sanitised when saved (nh3 allow-list: p, br,
strong, em, ul, ol, li, a, blockquote, code, pre). Each tag becomes the word processor's own
element or style, so that the delegate edits ordinary text: paragraphs ("Text body"), bold
("Strong Emphasis"), italics ("Emphasis"), lists (bullets or numbers, nested), links, quotations
("Quotations"), code ("Source Text", "Preformatted Text"). Any other tag is ignored and its text
kept; nothing is fetched.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from odf import teletype, text
from odf.element import Element

# Inline tags and the character style each one gets.
INLINE_STYLES = {
    "strong": "Strong_20_Emphasis",
    "b": "Strong_20_Emphasis",
    "em": "Emphasis",
    "i": "Emphasis",
    "code": "Source_20_Text",
}
LINK_SCHEMES = ("http://", "https://", "mailto:")
BODY, QUOTE, PRE = "Text_20_body", "Quotations", "Preformatted_20_Text"


class HtmlToOdf(HTMLParser):
    """Feed it HTML, then read `elements`: the paragraphs and lists to add to the document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        # Where paragraphs go: the document (None) or the list item being written.
        self._items: list[Element] = []
        self._lists: list[Element] = []
        self._paragraph: Element | None = None
        self._inline: list[tuple[str, Element]] = []
        self._quote = 0
        self._pre = False

    # Blocks ------------------------------------------------------------------------------------

    def _style(self) -> str:
        if self._pre:
            return PRE
        return QUOTE if self._quote else BODY

    def _open(self) -> Element:
        if self._paragraph is None:
            self._paragraph = text.P(stylename=self._style())
            if self._items:
                self._items[-1].addElement(self._paragraph)
            else:
                self.elements.append(self._paragraph)
        return self._paragraph

    def _close(self) -> None:
        self._paragraph = None
        self._inline = []

    def _target(self) -> Element:
        return self._inline[-1][1] if self._inline else self._open()

    def _add_list(self, ordered: bool) -> None:
        self._close()
        element = text.List(stylename="Numbers" if ordered else "Bullets")
        if self._items:
            self._items[-1].addElement(element)
        else:
            self.elements.append(element)
        self._lists.append(element)

    # Parser callbacks --------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._close()
            self._open()
        elif tag == "br":
            self._target().addElement(text.LineBreak())
        elif tag in INLINE_STYLES:
            span = text.Span(stylename=INLINE_STYLES[tag])
            self._target().addElement(span)
            self._inline.append((tag, span))
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(LINK_SCHEMES):
                link = text.A(href=href, type="simple")
                self._target().addElement(link)
                self._inline.append((tag, link))
        elif tag in ("ul", "ol"):
            self._add_list(ordered=tag == "ol")
        elif tag == "li" and self._lists:
            self._close()
            item = text.ListItem()
            self._lists[-1].addElement(item)
            self._items.append(item)
        elif tag == "blockquote":
            self._close()
            self._quote += 1
        elif tag == "pre":
            self._close()
            self._pre = True

    def handle_endtag(self, tag: str) -> None:
        if tag in INLINE_STYLES or tag == "a":
            if self._inline and self._inline[-1][0] == tag:
                self._inline.pop()
        elif tag == "p":
            self._close()
        elif tag in ("ul", "ol") and self._lists:
            self._close()
            self._lists.pop()
        elif tag == "li" and self._items:
            self._close()
            self._items.pop()
        elif tag == "blockquote":
            self._close()
            self._quote = max(self._quote - 1, 0)
        elif tag == "pre":
            self._close()
            self._pre = False

    def handle_data(self, data: str) -> None:
        if self._pre:
            # Spaces, tabs and line breaks kept, as text:s, text:tab and text:line-break.
            teletype.addTextToElement(self._target(), data.strip("\n"))
            return
        data = re.sub(r"\s+", " ", data)
        if self._paragraph is None and not data.strip():
            return
        if self._paragraph is None:
            data = data.lstrip()
        self._target().addText(data)


def html_to_odf(html: str) -> list[Element]:
    """The paragraphs and lists of a sanitised HTML fragment."""
    parser = HtmlToOdf()
    parser.feed(html)
    parser.close()
    return parser.elements
