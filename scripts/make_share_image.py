"""Draw static/img/share-default.png once: the picture of link previews for pages without one.

1200 x 630 px (the size Open Graph previews expect), the portal's name and its two speech bubbles
(static/img/favicon.svg) on its blue. Run again only to change it, then commit the PNG:
    .venv/bin/python scripts/make_share_image.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BLUE = "#1a4a8a"
YELLOW = "#ffd43b"
WHITE = "#ffffff"
LIGHT = "#e8eef7"
FONTS = Path("/usr/share/fonts/truetype/noto")
OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "share-default.png"
WIDTH, HEIGHT = 1200, 630


def main() -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), BLUE)
    draw = ImageDraw.Draw(image)
    # The favicon's bubbles, drawn at 10x: a white one and, behind it on the right, a yellow one.
    x, y, s = 90, 150, 10
    draw.rounded_rectangle((x + 13 * s, y + 11 * s, x + 27 * s, y + 21.5 * s), 2.5 * s, fill=YELLOW)
    draw.polygon(
        [(x + 21 * s, y + 21 * s), (x + 25 * s, y + 25 * s), (x + 25 * s, y + 21 * s)], fill=YELLOW
    )
    draw.rounded_rectangle((x + 5 * s, y + 5 * s, x + 21 * s, y + 16 * s), 2.5 * s, fill=WHITE)
    draw.polygon(
        [(x + 7 * s, y + 15 * s), (x + 7 * s, y + 19.5 * s), (x + 11 * s, y + 16 * s)], fill=WHITE
    )
    bold = ImageFont.truetype(str(FONTS / "NotoSans-Bold.ttf"), 84)
    regular = ImageFont.truetype(str(FONTS / "NotoSans-Regular.ttf"), 38)
    left = 420
    draw.text((left, 170), "Quartiers", font=bold, fill=WHITE)
    draw.text((left, 270), "en dialogue", font=bold, fill=YELLOW)
    draw.text((90, 470), "Rencontres, questions et projets des quartiers", font=regular, fill=LIGHT)
    draw.text(
        (90, 525), "Contrat de ville — Tours Métropole Val de Loire", font=regular, fill=LIGHT
    )
    image.save(OUT, optimize=True)


if __name__ == "__main__":
    main()
