"""Line charts drawn on the server as SVG: the geometry is computed here and
templates/traffic/_chart.html writes the elements, so the page needs no
script and the CSP stays as strict as it is. Every number is also in a
table under the chart (screen readers, copy and paste)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


@dataclass(frozen=True)
class Line:
    name: str  # the counter, also the CSS class (s-<name>) that colours it
    label: str
    points: str  # "x,y x,y ..." for <polyline points>
    total: int


@dataclass(frozen=True)
class Chart:
    title: str
    lines: list[Line]
    ticks: list[tuple[float, str]]  # (y, label) of the horizontal grid
    labels: list[tuple[float, str, str]]  # (x, label, text-anchor) along the bottom
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (the axis' top)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def line_chart(title: str, x_labels: list[str], series: list[tuple[str, str, list[int]]], every: int = 1) -> Chart:
    """``series``: (counter name, label, values per x). ``every``: label
    every n-th x (24 hours: every 3rd)."""
    count = max(1, len(x_labels))
    top = nice_ceiling(max([1, *(v for _, _, values in series for v in values)]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2), 1)

    def y(v: int) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    lines = [
        Line(name, label, " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)), sum(values))
        for name, label, values in series
    ]
    parts = next(n for n in (5, 4, 2, 1) if top % n == 0)
    ticks = [(y(top * k // parts), f"{top * k // parts:,}") for k in range(parts + 1)]
    shown = [i for i in range(len(x_labels)) if i % every == 0 or i == count - 1]
    labels = [(x(i), x_labels[i], "end" if i == count - 1 and i else "middle") for i in shown]
    return Chart(title, lines, ticks, labels)
