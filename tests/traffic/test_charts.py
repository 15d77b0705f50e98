"""The SVG chart geometry (panel/web/charts.py)."""

from panel.web.charts import HEIGHT, line_chart, nice_ceiling


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value():
    assert [nice_ceiling(v) for v in (1, 3, 5, 7, 11, 499, 501)] == [1, 5, 5, 10, 20, 500, 1000]


def test_points_span_the_plot_and_zero_sits_on_the_baseline():
    chart = line_chart("t", ["a", "b", "c"], [("received", "Received", [0, 5, 10])], every=1)
    points = [tuple(map(float, p.split(","))) for p in chart.lines[0].points.split()]
    assert points[0][1] == chart.bottom and points[-1][1] < points[1][1] < points[0][1]
    assert points[0][0] == chart.left and points[-1][0] == chart.right
    assert [label for _, label in chart.ticks] == ["0", "2", "4", "6", "8", "10"]
    assert chart.lines[0].total == 15 and chart.labels[-1] == (chart.right, "c", "end")
    assert all(0 <= y <= HEIGHT for _, y in points)


def test_an_empty_chart_has_an_axis_of_one():
    chart = line_chart("t", ["a"], [("sent", "Sent", [0])])
    assert [label for _, label in chart.ticks] == ["0", "1"]
