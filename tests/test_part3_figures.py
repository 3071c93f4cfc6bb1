"""Section 3's figures on hand-made data: one factor per axis, error bars where the data have a spread, the legend
outside every panel, and no two tick labels printed over each other."""
import itertools

import matplotlib

matplotlib.use("Agg")
from matplotlib.container import ErrorbarContainer  # noqa: E402

from helpers.part3.synthesis import compute_figure, exchange_figure  # noqa: E402

from test_part3_prose import ablation_facts, grid_points, scaling_facts  # noqa: E402


def tick_label_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    def shown(ax, axis, label):  # tick labels outside the view limits are not drawn
        low, high = sorted(ax.get_xlim() if axis is ax.xaxis else ax.get_ylim())
        where = label.get_position()[0 if axis is ax.xaxis else 1]
        return label.get_visible() and label.get_text() and low <= where <= high

    return [label.get_window_extent(renderer) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
            for label in axis.get_ticklabels() if shown(ax, axis, label)]


def assert_readable(fig):
    boxes = tick_label_boxes(fig)
    assert boxes
    overlapping = [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    assert not overlapping, overlapping
    renderer = fig.canvas.get_renderer()
    assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
    legend = fig.legends[0].get_window_extent(renderer)
    assert not any(legend.overlaps(ax.get_window_extent(renderer)) for ax in fig.axes)


def test_compute_figure_one_factor_per_panel_with_error_bars():
    fig = compute_figure(ablation_facts(), scaling_facts(), "Figure 1. note")
    wd, tf, tokens = fig.axes
    assert "weight decay" in wd.get_xlabel() and "training fraction" in tf.get_xlabel()
    assert [t.get_text() for t in wd.get_xticklabels()] == ["0.5", "1", "2", "4"]
    assert [t.get_text() for t in tf.get_xticklabels()] == ["25%", "30%", "35%", "40%"]
    assert all(any(isinstance(c, ErrorbarContainer) for c in ax.containers) for ax in fig.axes)
    assert len([c for c in tokens.containers if isinstance(c, ErrorbarContainer)]) == 4  # Stop, Wait, maj@m, best-of-m
    assert_readable(fig)


def test_exchange_figure_one_row_per_method_with_bands():
    fig = exchange_figure(grid_points(), "Figure 2. note")
    assert len(fig.axes) == 4  # 2 methods x 2 groups
    assert all(len(ax.collections) == 3 for ax in fig.axes)  # one 95% band per checkpoint
    colours = {tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
               for line in fig.axes[0].get_lines()}
    assert len(colours) == 3  # a distinct colour per checkpoint
    assert_readable(fig)


def test_compute_figure_draws_a_run_where_nothing_generalised():
    from helpers.report.facts import AblationFacts

    from test_part3_prose import summary_row

    rows = {f: {"summary": [summary_row(f, v, 2, 0, 0) for v in values]}
            for f, values in (("weight_decay", (0.5, 1.0)), ("train_frac", (0.3, 0.5)))}
    fig = compute_figure(AblationFacts("r", 10, rows), scaling_facts(), "Figure 1. note")
    assert fig.axes[0].get_ylim()[1] > 10  # the budget's triangles are in view
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["30%", "50%"]
