"""Draw the app's PNG icons from static/icons/icon.svg, deterministically (Pillow only).

    .venv/bin/python scripts/make_icons.py

The SVG is the source: a rounded square and one stroked path of cubic curves. Pillow
cannot read SVG, so this script reads those two shapes, flattens the curves and draws
them four times too large before scaling down (anti-aliasing). Writes, into static/icons/:

- icon-192.png, icon-512.png: the rounded square as in the SVG ("any" purpose);
- icon-maskable-192.png, icon-maskable-512.png: full-bleed background, the mark inside
  the maskable safe zone (a circle of 40 % of the size around the centre);
- apple-touch-icon.png (180): full-bleed, as iOS rounds the corners itself.
"""
import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "static" / "icons"
SVG = "{http://www.w3.org/2000/svg}"
SUPERSAMPLE = 4


def read_svg(path):
    root = ET.parse(path).getroot()
    view = [float(n) for n in root.get("viewBox").split()]
    rect = root.find(f"{SVG}rect")
    stroke = root.find(f"{SVG}path")
    return {
        "size": view[2],
        "background": rect.get("fill"),
        "radius": float(rect.get("rx", 0)),
        "stroke": stroke.get("stroke"),
        "stroke_width": float(stroke.get("stroke-width")),
        "points": flatten(stroke.get("d")),
    }


def flatten(d, steps=24):
    """The points along a path of `M` and relative `c` commands (all the icon uses)."""
    tokens = re.findall(r"[McC]|-?\d*\.?\d+", d)
    points, command, i = [], None, 0
    x = y = 0.0
    while i < len(tokens):
        if tokens[i] in "McC":
            command = tokens[i]
            i += 1
            continue
        if command == "M":
            x, y = float(tokens[i]), float(tokens[i + 1])
            points.append((x, y))
            i += 2
            command = "c"  # coordinates after M without a command are not used here
            continue
        values = [float(t) for t in tokens[i:i + 6]]
        if command == "c":
            values = [v + (x if k % 2 == 0 else y) for k, v in enumerate(values)]
        (x1, y1, x2, y2, x3, y3) = values
        for step in range(1, steps + 1):
            t = step / steps
            u = 1 - t
            points.append((u ** 3 * x + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t ** 3 * x3,
                           u ** 3 * y + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y3))
        x, y = x3, y3
        i += 6
    return points


def draw(icon, pixels, full_bleed, mark_scale):
    big = pixels * SUPERSAMPLE
    unit = big / icon["size"]
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if full_bleed:
        pen.rectangle([0, 0, big, big], fill=icon["background"])
    else:
        pen.rounded_rectangle([0, 0, big - 1, big - 1], radius=icon["radius"] * unit, fill=icon["background"])
    centre = icon["size"] / 2
    points = [((px - centre) * mark_scale + centre, (py - centre) * mark_scale + centre) for px, py in icon["points"]]
    points = [(px * unit, py * unit) for px, py in points]
    width = icon["stroke_width"] * mark_scale * unit
    stroke(pen, points, width / 2, icon["stroke"])
    return image.resize((pixels, pixels), Image.Resampling.LANCZOS)


def stroke(pen, points, r, colour):
    """A round-capped, round-joined stroke: each segment as a quadrilateral of its width,
    a disc at every point (Pillow's wide lines leave seams between short segments)."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0:
            continue
        nx, ny = -(y1 - y0) / length * r, (x1 - x0) / length * r
        pen.polygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], fill=colour)
    for px, py in points:
        pen.ellipse([px - r, py - r, px + r, py + r], fill=colour)


def save(image, name):
    path = ICONS / name
    image.save(path, format="PNG", optimize=True)
    return path


def main():
    icon = read_svg(ICONS / "icon.svg")
    written = []
    for pixels in (192, 512):
        written.append(save(draw(icon, pixels, full_bleed=False, mark_scale=1.0), f"icon-{pixels}.png"))
        # the mark's farthest point is about 25 of 32 units from the centre; the safe zone is 80 %
        written.append(save(draw(icon, pixels, full_bleed=True, mark_scale=0.8), f"icon-maskable-{pixels}.png"))
    # iOS puts a transparent corner on black: no transparency, and it rounds the corners itself
    apple = draw(icon, 180, full_bleed=True, mark_scale=0.9).convert("RGB")
    written.append(save(apple, "apple-touch-icon.png"))
    for path in written:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
