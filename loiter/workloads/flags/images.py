"""Small, distinct flag GIFs drawn on the spot, so the server needs no downloaded assets."""

from __future__ import annotations

import io
import itertools

from loiter.workloads.flags.countries import COUNTRY_CODES

WIDTH, HEIGHT = 60, 40
PALETTE = (
    (206, 17, 38),
    (255, 222, 0),
    (0, 56, 147),
    (255, 255, 255),
    (0, 122, 61),
    (0, 0, 0),
    (255, 153, 51),
    (117, 170, 219),
    (128, 0, 32),
    (0, 155, 119),
)
# Every (orientation, three stripe colours) design; a stride coprime with their
# count hands each country a different one while neighbours still look unlike.
_DESIGNS = [
    (vertical, colours)
    for vertical in (False, True)
    for colours in itertools.permutations(range(len(PALETTE)), 3)
]
_STRIDE = 157
_INDEX = {cc: i for i, cc in enumerate(COUNTRY_CODES)}


def flag_gif(cc: str) -> bytes:
    """The GIF for a known country code (any case); KeyError for an unknown one."""
    from PIL import Image, ImageDraw

    vertical, colours = _DESIGNS[(_INDEX[cc.upper()] * _STRIDE) % len(_DESIGNS)]
    image = Image.new("P", (WIDTH, HEIGHT))
    image.putpalette([c for rgb in PALETTE for c in rgb])
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate(colours):
        if vertical:
            box = (i * WIDTH // 3, 0, (i + 1) * WIDTH // 3 - 1, HEIGHT - 1)
        else:
            box = (0, i * HEIGHT // 3, WIDTH - 1, (i + 1) * HEIGHT // 3 - 1)
        draw.rectangle(box, fill=colour)
    out = io.BytesIO()
    image.save(out, format="GIF")
    return out.getvalue()
