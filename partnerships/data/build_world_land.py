"""Build partnerships/data/world_land.json, the land outline behind the cooperation map.

Source: npm package `world-atlas` 2.0.2 (ISC licence), a TopoJSON redistribution of
Natural Earth 4.1.0 land polygons (public domain). Run once, from the project root:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python partnerships/data/build_world_land.py package/land-50m.json

It decodes the TopoJSON arcs into rings of (longitude, latitude), simplifies them
(Douglas–Peucker, tolerance in degrees), drops tiny islands and rounds to 0.01°.
"""

import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).with_name("world_land.json")
TOLERANCE = 0.12  # degrees
MIN_AREA = 0.6  # square degrees; smaller islands are dropped


def decode_arcs(topology):
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(indices, arcs):
    ring = []
    for index in indices:
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(points if not ring else points[1:])
    return ring


def simplify(points, tolerance):
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = math.hypot(x2 - x1, y2 - y1)
        best, best_index = 0.0, None
        for i in range(first + 1, last):
            x0, y0 = points[i]
            if length == 0:
                d = math.hypot(x0 - x1, y0 - y1)
            else:
                d = abs((x2 - x1) * (y1 - y0) - (x1 - x0) * (y2 - y1)) / length
            if d > best:
                best, best_index = d, i
        if best_index is not None and best > tolerance:
            keep[best_index] = True
            stack += [(first, best_index), (best_index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = decode_arcs(topology)
    rings = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            outer = ring_points(polygon[0], arcs)  # holes (inland seas) are left out
            if area(outer) < MIN_AREA:
                continue
            simple = simplify(outer, TOLERANCE)
            if len(simple) >= 4:
                rings.append([[round(x, 2), round(y, 2)] for x, y in simple])
    OUT.write_text(
        json.dumps(
            {
                "source": "Natural Earth 4.1.0 land polygons (public domain) via npm world-atlas 2.0.2 (ISC)",
                "rings": rings,
            },
            separators=(",", ":"),
        )
    )
    print(f"{len(rings)} rings, {sum(len(r) for r in rings)} points, {OUT.stat().st_size} bytes -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
