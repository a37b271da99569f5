"""Regenerates the small test images in this folder (needs Pillow; the tests do not).

Run: ``python tests/data/images/generate.py``. The pictures are simple drawings (a gradient,
a circle and a bar) so each format's encoder has something real to compress.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent


def drawing(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    assert pixels is not None
    for x in range(width):
        for y in range(height):
            pixels[x, y] = (x * 255 // width, y * 255 // height, 128)
    draw = ImageDraw.Draw(image)
    r = min(width, height) // 4
    draw.ellipse((width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r), fill="white")
    draw.rectangle((0, height - height // 8, width, height), fill="black")
    return image


def main() -> None:
    drawing(640, 427).save(HERE / "sample.png", optimize=True)
    drawing(320, 240).save(HERE / "sample.jpg", quality=70)
    drawing(300, 1000).save(HERE / "progressive.jpg", quality=50, progressive=True)
    drawing(64, 48).convert("P").save(HERE / "sample.gif")
    drawing(96, 80).save(HERE / "lossy.webp", quality=60)
    drawing(90, 70).save(HERE / "lossless.webp", lossless=True)
    translucent = drawing(100, 50).convert("RGBA")
    translucent.putalpha(200)
    translucent.save(HERE / "alpha.webp", quality=60)  # extended (VP8X) WebP
    drawing(1400, 60).save(HERE / "wide.png", optimize=True)


if __name__ == "__main__":
    main()
