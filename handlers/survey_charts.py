"""Horizontal bar charts of survey answers, drawn as one PNG with matplotlib's Agg canvas.

No pyplot: figures are built and drawn directly, so nothing global changes and a chart can be
drawn in a worker thread. DejaVu Sans ships with matplotlib and has every Vietnamese letter.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

FONT = "DejaVu Sans"
WIDTH_INCHES = 8.0
DPI = 110
BAR_COLOR = "#2f6f9f"
LABEL_CHARS = 34  # per line of a bar's label
LABEL_LINES = 2
TITLE_CHARS = 60  # bold, over the bars (the labels take the left third)
TITLE_LINES = 3
HEADING_CHARS = 70


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[tuple[str, int], ...]  # label, count; drawn top to bottom
    value_labels: tuple[str, ...]  # written at the end of each bar


def render_bar_charts(heading: str, charts: Sequence[BarChart]) -> bytes:
    """One PNG: the heading, then a chart under another (height follows their bars)."""
    titles = [_wrap(chart.title, TITLE_CHARS, TITLE_LINES) for chart in charts]
    heights = [0.45 + 0.22 * title.count("\n") + 0.42 * max(len(chart.bars), 1)
               for chart, title in zip(charts, titles, strict=True)]
    figure = Figure(figsize=(WIDTH_INCHES, sum(heights) + 0.8), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(_wrap(heading, HEADING_CHARS, TITLE_LINES), fontfamily=FONT,
                    fontsize=13, fontweight="bold")
    axes = figure.subplots(len(charts), 1, squeeze=False,
                           gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, chart, title in zip(axes, charts, titles, strict=True):
        _draw(ax, chart, title)
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def _draw(ax: Axes, chart: BarChart, title: str) -> None:
    labels = [_wrap(label, LABEL_CHARS, LABEL_LINES) for label, _count in chart.bars]
    counts = [count for _label, count in chart.bars]
    positions = range(len(counts))
    bars = ax.barh(positions, counts, color=BAR_COLOR, height=0.7)
    ax.set_yticks(positions, labels=labels, fontfamily=FONT, fontsize=9)
    ax.invert_yaxis()  # the first choice on top, as in the form
    ax.bar_label(bars, labels=list(chart.value_labels), padding=3, fontfamily=FONT,
                 fontsize=9)
    # Room on the right for the value labels.
    ax.set_xlim(0, max([*counts, 1]) * 1.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(title, loc="left", fontfamily=FONT, fontsize=10, fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _wrap(text: str, width: int, lines: int) -> str:
    """At most `lines` lines of `width` characters, cut with an ellipsis."""
    return "\n".join(textwrap.wrap(" ".join(text.split()), width, max_lines=lines,
                                   placeholder=" …") or [""])
