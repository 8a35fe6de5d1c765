"""Charts as server-side SVG: a bar chart, grouped bars, and a line with an interval band.
Pure: no Django, no script, no ``style`` attribute (the Content-Security-Policy allows
neither inline scripts nor, under a stricter policy, inline styles); colours are SVG
presentation attributes. Each chart is ``role="img"`` with a ``<title>`` and ``<desc>``, and
writes its numbers as text, so it reads without the picture. A bar with an ``href`` is a
link (to the filtered admin list). Every label is escaped.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
ROW = 26
LABEL_WIDTH = 190
VALUE_WIDTH = 70
# Okabe–Ito: told apart with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")
BAND_95, BAND_80 = "#c6dbef", "#8fb8de"
TEXT = "#222"
FONT = 'font-family="sans-serif" font-size="12"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None


@dataclass(frozen=True)
class Group:
    """One category of a grouped bar chart: one value (and link) per series."""

    label: str
    values: tuple[float, ...]
    hrefs: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Projected:
    """A projected point: the mean and its 80 % and 95 % intervals."""

    label: str
    mean: float
    interval_80: tuple[float, float]
    interval_95: tuple[float, float]


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, unit: str = "") -> str:
    """Horizontal bars, one row each, the value written after the bar."""
    top = max((bar.value for bar in bars), default=0) or 1
    height = ROW * max(len(bars), 1) + 10
    rows = []
    for row, bar in enumerate(bars):
        y = 5 + row * ROW
        length = _scale(bar.value, top, WIDTH - LABEL_WIDTH - VALUE_WIDTH)
        rows.append(
            _link(
                bar.href,
                f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" fill="{TEXT}">'
                f"{escape(bar.label)}</text>"
                f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" '
                f'fill="{PALETTE[0]}"><title>{escape(bar.label)}: {_number(bar.value)}'
                f"{escape(unit)}</title></rect>"
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}" fill="{TEXT}">'
                f"{_number(bar.value)}{escape(unit)}</text>",
            )
        )
    if not bars:
        rows.append(f'<text x="{LABEL_WIDTH}" y="20" fill="{TEXT}">Nothing to show.</text>')
    description = "; ".join(f"{bar.label}: {_number(bar.value)}{unit}" for bar in bars)
    return _svg(chart_id, title, description or "No data.", height, "".join(rows))


def grouped_bars(
    chart_id: str, title: str, groups: Sequence[Group], *, series: Sequence[str]
) -> str:
    """Horizontal bars grouped by category, one bar per series, with a legend."""
    top = max((value for group in groups for value in group.values), default=0) or 1
    per_group = ROW * len(series) + 8
    legend = 24
    height = legend + per_group * max(len(groups), 1) + 6
    parts = [
        f'<rect x="{LABEL_WIDTH + index * 150}" y="4" width="12" height="12" '
        f'fill="{PALETTE[index]}"/><text x="{LABEL_WIDTH + index * 150 + 18}" y="15" '
        f'fill="{TEXT}">{escape(name)}</text>'
        for index, name in enumerate(series)
    ]
    for position, group in enumerate(groups):
        y0 = legend + position * per_group
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y0 + ROW - 8}" text-anchor="end" fill="{TEXT}">'
            f"{escape(group.label)}</text>"
        )
        for index, value in enumerate(group.values):
            y = y0 + index * ROW
            length = _scale(value, top, WIDTH - LABEL_WIDTH - VALUE_WIDTH)
            href = group.hrefs[index] if index < len(group.hrefs) else None
            name = f"{group.label}, {series[index]}: {_number(value)}"
            parts.append(
                _link(
                    href,
                    f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" '
                    f'height="{ROW - 8}" fill="{PALETTE[index % len(PALETTE)]}">'
                    f"<title>{escape(name)}</title></rect>"
                    f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 17}" fill="{TEXT}">'
                    f"{_number(value)}</text>",
                )
            )
    if not groups:
        parts.append(
            f'<text x="{LABEL_WIDTH}" y="{legend + 16}" fill="{TEXT}">Nothing to show.</text>'
        )
    description = "; ".join(
        f"{group.label}: "
        + ", ".join(f"{name} {_number(v)}" for name, v in zip(series, group.values, strict=False))
        for group in groups
    )
    return _svg(chart_id, title, description or "No data.", height, "".join(parts))


def line_with_band(
    chart_id: str,
    title: str,
    history: Sequence[tuple[str, float]],
    projected: Sequence[Projected],
) -> str:
    """History as a solid line, the projection as a dashed line from its last point, with
    the 95 % (lighter) and 80 % (darker) intervals as bands, every value written below."""
    points = len(history) + len(projected)
    height, left, bottom, plot_top = 260, 50, 200, 20
    top = max([value for _, value in history] + [p.interval_95[1] for p in projected] + [1.0])
    step = (WIDTH - left - 45) / max(points - 1, 1)  # room for the last label

    def x(index: int) -> float:
        return left + index * step

    def y(value: float) -> float:
        return bottom - _scale(value, top, bottom - plot_top)

    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="{TEXT}"/>',
        f'<line x1="{left}" y1="{plot_top}" x2="{left}" y2="{bottom}" stroke="{TEXT}"/>',
        f'<text x="{left - 6}" y="{bottom + 4}" text-anchor="end" fill="{TEXT}">0</text>',
        f'<text x="{left - 6}" y="{plot_top + 4}" text-anchor="end" fill="{TEXT}">'
        f"{_number(top)}</text>",
    ]
    if projected and history:
        start = len(history) - 1
        # The bands and the dashed line start from the last term seen.
        anchor = (start, history[-1][1])
        for intervals, colour in (
            ([p.interval_95 for p in projected], BAND_95),
            ([p.interval_80 for p in projected], BAND_80),
        ):
            upper = [(start + 1 + i, high) for i, (_, high) in enumerate(intervals)]
            lower = [(start + 1 + i, low) for i, (low, _) in enumerate(intervals)][::-1]
            outline = _points([anchor, *upper, *lower, anchor], x, y)
            parts.append(f'<polygon points="{outline}" fill="{colour}"/>')
        mean = [anchor] + [(start + 1 + i, p.mean) for i, p in enumerate(projected)]
        parts.append(
            f'<polyline points="{_points(mean, x, y)}" fill="none" stroke="{PALETTE[1]}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
    if history:
        line = [(i, value) for i, (_, value) in enumerate(history)]
        parts.append(
            f'<polyline points="{_points(line, x, y)}" fill="none" stroke="{PALETTE[0]}" '
            'stroke-width="2"/>'
        )
    labels = [label for label, _ in history] + [p.label for p in projected]
    values = [_number(v) for _, v in history] + [_number(p.mean) for p in projected]
    every = max(1, round(points / 8))
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        if (points - 1 - index) % every:  # evenly spaced, the last (projected) term always
            continue
        parts.append(
            f'<text x="{x(index):.1f}" y="{bottom + 16}" text-anchor="middle" fill="{TEXT}" '
            f'font-size="10">{escape(label)}</text>'
            f'<text x="{x(index):.1f}" y="{bottom + 30}" text-anchor="middle" fill="{TEXT}" '
            f'font-size="10">{value}</text>'
        )
    legend = (
        f'<text x="{left}" y="{height - 8}" fill="{TEXT}">Solid: requests per term; dashed: '
        "projected, with 80 % (dark) and 95 % (light) intervals.</text>"
    )
    description = "; ".join(f"{label}: {value}" for label, value in history) + (
        "; projected: "
        + "; ".join(
            f"{p.label}: {_number(p.mean)} (80 % {_range(p.interval_80)}, "
            f"95 % {_range(p.interval_95)})"
            for p in projected
        )
        if projected
        else ""
    )
    return _svg(chart_id, title, description or "No data.", height, "".join(parts) + legend)


def _svg(chart_id: str, title: str, description: str, height: int, body: str) -> str:
    chart_id = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'class="insights-chart" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>{body}</svg>'
    )


def _link(href: str | None, body: str) -> str:
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def _scale(value: float, top: float, length: float) -> float:
    return max(value, 0) / top * length


def _points(
    points: Sequence[tuple[int, float]],
    x: Callable[[int], float],
    y: Callable[[float], float],
) -> str:
    return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in points)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _range(interval: tuple[float, float]) -> str:
    return f"{_number(interval[0])}–{_number(interval[1])}"
