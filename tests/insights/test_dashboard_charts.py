"""insights.charts: SVG a screen reader and a strict CSP accept, with the numbers in text."""

import re
import xml.etree.ElementTree as ET

from insights import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output: well-formed XML is the test


def test_a_bar_chart_is_an_accessible_image_with_every_value_in_text():
    svg = charts.bar_chart(
        "unmet", "Unmet demand", [charts.Bar("ASD", 12, "/admin/x?a=1&b=2"), charts.Bar("HI", 3)]
    )

    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "unmet-title unmet-desc"
    assert root.find(f"{SVG}title").text == "Unmet demand"
    assert root.find(f"{SVG}desc").text == "ASD: 12; HI: 3"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["ASD", "12", "HI", "3"]
    # Only the bar with a link is one, and its URL is escaped in the markup.
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/admin/x?a=1&b=2"]
    assert "&amp;b=2" in svg


def test_bar_lengths_are_proportional_to_values():
    root = parse(charts.bar_chart("c", "t", [charts.Bar("a", 10), charts.Bar("b", 5)]))

    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] > 0


def test_labels_are_escaped_and_there_is_no_script_or_style():
    hostile = '<script>alert(1)</script>" onload="x'
    svgs = [
        charts.bar_chart("a", hostile, [charts.Bar(hostile, 1, hostile)]),
        charts.grouped_bars("b", hostile, [charts.Group(hostile, (1, 2))], series=(hostile, "x")),
        charts.line_with_band(
            "c", hostile, [(hostile, 1)], [charts.Projected(hostile, 2, (1, 3), (0, 4))]
        ),
    ]

    for svg in svgs:
        parse(svg)  # still well-formed
        assert "<script" not in svg
        assert "style=" not in svg
        assert 'onload="' not in svg


def test_empty_charts_say_so():
    assert "Nothing to show." in charts.bar_chart("a", "t", [])
    assert "Nothing to show." in charts.grouped_bars("b", "t", [], series=("x",))
    parse(charts.line_with_band("c", "t", [], []))


def test_grouped_bars_draw_one_bar_per_series_with_a_legend():
    root = parse(
        charts.grouped_bars(
            "g",
            "Demand and capacity",
            [charts.Group("East", (40, 50), ("/d", "/c")), charts.Group("West", (8, 0))],
            series=("Demand", "Capacity"),
        )
    )

    titles = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert titles == [
        "East, Demand: 40",
        "East, Capacity: 50",
        "West, Demand: 8",
        "West, Capacity: 0",
    ]
    assert {"Demand", "Capacity"} <= {t.text for t in root.iter(f"{SVG}text")}
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/d", "/c"]


def test_the_interval_bands_enclose_the_projected_mean():
    svg = charts.line_with_band(
        "p",
        "Projection",
        [("Autumn 2025", 20), ("Spring 2026", 14)],
        [charts.Projected("Summer 2026", 10, (8, 12), (6, 15))],
    )

    root = parse(svg)
    outer, inner = (
        [tuple(map(float, pair.split(","))) for pair in polygon.get("points").split()]
        for polygon in root.iter(f"{SVG}polygon")
    )
    mean_line = next(p for p in root.iter(f"{SVG}polyline") if p.get("stroke-dasharray")).get(
        "points"
    )
    mean_y = float(mean_line.split()[-1].split(",")[1])
    # SVG's y grows downwards: the 95 % band reaches above and below the 80 % band.
    last_x = max(x for x, _ in outer)
    outer_ys = sorted(y for x, y in outer if x == last_x)
    inner_ys = sorted(y for x, y in inner if x == last_x)
    assert outer_ys[0] < inner_ys[0] < mean_y < inner_ys[1] < outer_ys[1]
    assert re.search(r"Summer 2026: 10 \(80 % 8–12, 95 % 6–15\)", svg)
