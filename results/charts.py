"""The exam board's charts, drawn by matplotlib as SVG: pure drawing, no database.

Each function takes plain numbers (lists or numpy arrays) and the words to write, already
translated into the request's language, and returns the SVG document as bytes. The data
comes from ``results.chart_data``; the pages and the SVG addresses are
``frontend.chart_views``.

How they are drawn, and why:

- ``matplotlib.figure.Figure`` with its SVG canvas, never ``pyplot``: no global figure
  registry to leak memory into and no shared state between threads (a figure lives as long
  as the call). The Agg backend is named for any code that asks for one. matplotlib is
  imported on the first drawing (:func:`_mpl`): a process that draws nothing never loads it.
- Text is drawn as outlines of matplotlib's own DejaVu Sans (``svg.fonttype`` ``path``, the
  default): every Vietnamese letter looks the same in every browser, with or without fonts.
  The words are still in the document: a ``<title>`` and a ``<desc>`` with the chart's
  figures, and each text's words in a comment before its outline.
- Numbers on the axes use the language's decimal separator (``Numbers``): ``6,5`` in
  Vietnamese.
- Anything a person typed (a class's name, an item's title) is drawn as it is: a ``$`` is
  escaped so that matplotlib's mathtext never reads it as a formula.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

__all__ = [
    "Numbers",
    "distribution_svg",
    "groups_svg",
    "icc_svg",
    "information_svg",
    "timeline_svg",
]

WIDTH = 8.0  # inches; 576 pt in the SVG's own size, scaled down by the page's CSS
# A phone's picture (``narrow``): half as wide with the same type, so that scaled to a
# 375 px screen its words stay readable.
NARROW_WIDTH = 3.6
FONT_SIZE = 10
ACCENT = "#0b5cad"
MUTED = "#5b6675"
LINE = "#d8dee6"
WARN = "#b3261e"
OK = "#1d7a3a"
SOFT = "#c9daf0"
# More markers than this in a timeline are drawn as one embedded image (a PNG inside the SVG):
# 20,000 answer events as vector marks would weigh megabytes.
RASTER_ABOVE = 3000
MAX_LABEL = 42  # characters of a group's name on the chart (the table has it whole)


@functools.cache
def _mpl() -> SimpleNamespace:
    """matplotlib's parts, imported on the first drawing."""
    import matplotlib

    matplotlib.use("Agg")  # no window, ever; a no-op once chosen
    from matplotlib import colormaps, ticker
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    return SimpleNamespace(Figure=Figure, Canvas=FigureCanvasSVG, ticker=ticker, colormaps=colormaps)


@dataclass(frozen=True)
class Numbers:
    """How the active language writes a number: ``decimal`` is its decimal separator."""

    decimal: str = "."

    def __call__(self, value: float, places: int | None = None) -> str:
        """``value`` with ``places`` decimals, or with as few as it needs (up to 2)."""
        if not math.isfinite(value):
            return "–"
        if places is None:
            text = f"{value:.2f}".rstrip("0").rstrip(".")
        else:
            text = f"{value:.{places}f}"
        if text in ("-0", "-0." + "0" * (places or 0)):
            text = text[1:]
        return text.replace("-", "−").replace(".", self.decimal)

    def formatter(self, places: int | None = None) -> Any:
        """A matplotlib tick formatter writing numbers so."""
        return _mpl().ticker.FuncFormatter(lambda value, _position: self(value, places))


def plain(text: str) -> str:
    """A person's text as matplotlib must be given it to draw it as it is (no mathtext)."""
    return str(text).replace("$", r"\$")


def short(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _figure(height: float, narrow: bool) -> Any:
    mpl = _mpl()
    figure = mpl.Figure(figsize=(NARROW_WIDTH if narrow else WIDTH, height), dpi=100, layout="constrained")
    mpl.Canvas(figure)
    return figure


def _style(axes, numbers: Numbers) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.spines[["left", "bottom"]].set_color(MUTED)
    axes.tick_params(colors="#1b2430", labelsize=FONT_SIZE - 1)
    axes.grid(True, color=LINE, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.xaxis.set_major_formatter(numbers.formatter())
    axes.yaxis.set_major_formatter(numbers.formatter())


def _svg(figure: Any, title: str, description: str) -> bytes:
    """The figure as an SVG document with a ``<title>`` and a ``<desc>`` a screen reader reads."""
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Title": title, "Description": description, "Date": None})
    document = out.getvalue().decode("utf-8")
    start = document.index("<svg")
    end = document.index(">", start) + 1
    head = document[start:end].replace("<svg", '<svg role="img" aria-labelledby="chart-title chart-desc"', 1)
    accessible = f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>'
    return (document[:start] + head + accessible + document[end:]).encode("utf-8")


def _title(figure: Any, title: str) -> None:
    figure.suptitle(plain(title), fontsize=FONT_SIZE + 2, x=0.01, ha="left", fontweight="bold", color="#1b2430")


def _legend_above(axes, handles: list, names: list, *, columns: int) -> None:
    """The legend in a row above the plot, where it hides no curve."""
    axes.legend(
        handles,
        names,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=max(1, columns),
        frameon=False,
        fontsize=FONT_SIZE - 1,
        borderaxespad=0.4,
    )


def _empty(axes, text: str) -> None:
    axes.text(0.5, 0.5, plain(text), ha="center", va="center", transform=axes.transAxes, color=MUTED)


# --- the score distribution ---------------------------------------------------------------


def distribution_svg(
    *,
    edges: Sequence[float],
    counts: Sequence[int],
    mean: float | None,
    median: float | None,
    title: str,
    x_label: str,
    y_label: str,
    mean_label: str,
    median_label: str,
    empty_label: str,
    description: str,
    numbers: Numbers,
    narrow: bool = False,
) -> bytes:
    """A histogram of 10-point scores: one bar per bin (``len(edges) - 1`` of them, each an
    SVG group ``bar-<i>``), with the mean and the median as vertical lines."""
    edges_array = np.asarray(edges, dtype=float)
    counts_array = np.asarray(counts, dtype=float)
    figure = _figure(3.6, narrow)
    axes = figure.add_subplot()
    _style(axes, numbers)
    widths = np.diff(edges_array)
    bars = axes.bar(edges_array[:-1], counts_array, width=widths, align="edge", color=ACCENT, edgecolor="white")
    for index, bar in enumerate(bars):
        bar.set_gid(f"bar-{index}")
    axes.set_xlim(edges_array[0], edges_array[-1])
    axes.xaxis.set_major_locator(_mpl().ticker.MultipleLocator(2 if narrow else 1))
    axes.yaxis.set_major_locator(_mpl().ticker.MaxNLocator(integer=True))
    axes.set_ylim(0, max(1.0, float(counts_array.max(initial=0)) * 1.12))
    axes.grid(False, axis="x")
    if mean is not None:
        axes.axvline(mean, color=WARN, linewidth=1.6, label=plain(f"{mean_label}: {numbers(mean, 2)}"), gid="mean")
    if median is not None:
        axes.axvline(
            median,
            color=OK,
            linewidth=1.6,
            linestyle="--",
            label=plain(f"{median_label}: {numbers(median, 2)}"),
            gid="median",
        )
    if mean is not None or median is not None:
        axes.legend(loc="upper left", frameon=False, fontsize=FONT_SIZE - 1)
    if not counts_array.sum():
        _empty(axes, empty_label)
    _title(figure, title)
    axes.set_xlabel(plain(x_label), fontsize=FONT_SIZE)
    axes.set_ylabel(plain(y_label), fontsize=FONT_SIZE)
    return _svg(figure, title, description)


# --- classes and schools compared ---------------------------------------------------------


def groups_svg(
    *,
    names: Sequence[str],
    n: Sequence[int],
    mean: Sequence[float],
    ci_low: Sequence[float | None],
    ci_high: Sequence[float | None],
    q1: Sequence[float],
    q3: Sequence[float],
    overall_mean: float | None,
    omitted: int,
    title: str,
    x_label: str,
    mean_label: str,
    interval_label: str,
    quartiles_label: str,
    overall_label: str,
    count_label: str,
    omitted_label: str,
    empty_label: str,
    description: str,
    numbers: Numbers,
    narrow: bool = False,
) -> bytes:
    """Groups one under the other in the order given (the highest mean first): the middle half
    of the scores as a light bar (Q1 to Q3), the mean as a dot with its 95% confidence
    interval, and ``n`` at the right. ``omitted``: groups left out of the middle of the
    list (a line says how many). Each row's label is drawn with the SVG group
    ``group-<i>``; the overall mean is a vertical line."""
    rows = len(names)
    figure = _figure(max(2.6, 1.5 + 0.3 * (rows + (1 if omitted else 0))), narrow)
    axes = figure.add_subplot()
    _style(axes, numbers)
    axes.grid(False, axis="y")
    axes.set_xlim(-0.3, 10.3)  # a mean of 0 or 10 drawn whole
    axes.xaxis.set_major_locator(_mpl().ticker.MultipleLocator(2 if narrow else 1))
    _title(figure, title)
    axes.set_xlabel(plain(x_label), fontsize=FONT_SIZE)
    if not rows:
        axes.set_yticks([])
        _empty(axes, empty_label)
        return _svg(figure, title, description)
    # y positions: the rows top down, a gap where the middle of a long list is left out
    half = rows // 2 if omitted else rows
    ys = np.array([i if i < half else i + 1 for i in range(rows)], dtype=float)
    low = np.asarray(q1, dtype=float)
    high = np.asarray(q3, dtype=float)
    axes.barh(ys, high - low, left=low, height=0.55, color=SOFT, label=plain(quartiles_label))
    means = np.asarray(mean, dtype=float)
    lows = np.array([np.nan if value is None else value for value in ci_low], dtype=float)
    highs = np.array([np.nan if value is None else value for value in ci_high], dtype=float)
    with_interval = ~np.isnan(lows)
    axes.errorbar(
        means[with_interval],
        ys[with_interval],
        xerr=[means[with_interval] - lows[with_interval], highs[with_interval] - means[with_interval]],
        fmt="none",
        ecolor=ACCENT,
        elinewidth=1.4,
        capsize=3,
        label=plain(interval_label),
    )
    axes.plot(means, ys, "o", color=ACCENT, markersize=5, label=plain(mean_label))
    if overall_mean is not None:
        axes.axvline(
            overall_mean,
            color=WARN,
            linewidth=1.2,
            linestyle="--",
            label=plain(f"{overall_label}: {numbers(overall_mean, 2)}"),
            gid="overall-mean",
        )
    axes.set_yticks(ys, [plain(short(name, 22 if narrow else MAX_LABEL)) for name in names], fontsize=FONT_SIZE - 1)
    for index, label in enumerate(axes.get_yticklabels()):
        label.set_gid(f"group-{index}")
    axes.set_ylim(ys.max() + 0.8, -0.8)
    counts = axes.secondary_yaxis("right")
    counts.set_yticks(ys, [plain(f"{count_label} = {count}") for count in n], fontsize=FONT_SIZE - 2, color=MUTED)
    counts.tick_params(length=0)
    counts.spines["right"].set_visible(False)
    if omitted:
        axes.text(
            5,
            half,
            plain(omitted_label),
            ha="center",
            va="center",
            color=MUTED,
            fontsize=FONT_SIZE - 1,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
            zorder=5,
        )
    handles, names = axes.get_legend_handles_labels()
    _legend_above(axes, handles, names, columns=1 if narrow else 2)
    return _svg(figure, title, description)


# --- item curves ---------------------------------------------------------------------------


def _curve_colours(count: int) -> list:
    palette = _mpl().colormaps["viridis"]
    return [palette(0.1 + 0.8 * index / max(1, count - 1)) for index in range(count)]


def icc_svg(
    *,
    theta: Sequence[float],
    labels: Sequence[str],
    curves: Sequence[Sequence[float]],
    selected: int | None,
    empirical_theta: Sequence[float],
    empirical_proportion: Sequence[float],
    title: str,
    x_label: str,
    y_label: str,
    empirical_label: str,
    empty_label: str,
    description: str,
    numbers: Numbers,
    narrow: bool = False,
) -> bytes:
    """Item characteristic curves P(θ) over ``theta``: one line per item (SVG groups
    ``curve-<i>``); with ``selected`` (an index into them) that item stands out and the
    empirical proportions correct by ability group are dots over it (``empirical``)."""
    figure = _figure(3.6 if narrow else 4.2, narrow)
    axes = figure.add_subplot()
    _style(axes, numbers)
    x = np.asarray(theta, dtype=float)
    axes.set_xlim(x.min(initial=-4), x.max(initial=4))
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_locator(_mpl().ticker.MultipleLocator(0.25))
    colours = _curve_colours(len(curves))
    for index, (label, curve) in enumerate(zip(labels, curves, strict=True)):
        if selected is None:
            style = {"color": colours[index], "linewidth": 1.4}
        elif index == selected:
            style = {"color": ACCENT, "linewidth": 2.6, "zorder": 3}
        else:
            style = {"color": LINE, "linewidth": 0.9}
        (line,) = axes.plot(x, curve, label=plain(label), **style)
        line.set_gid(f"curve-{index}")
    if len(empirical_theta):
        axes.plot(
            empirical_theta,
            empirical_proportion,
            "o",
            color=WARN,
            markersize=6,
            label=plain(empirical_label),
            gid="empirical",
            zorder=4,
        )
    if not curves:
        _empty(axes, empty_label)
    elif selected is not None or len(curves) <= 12:
        handles, names = axes.get_legend_handles_labels()
        if selected is not None:
            keep = [i for i, name in enumerate(names) if i == selected or i >= len(curves)]
            handles, names = [handles[i] for i in keep], [names[i] for i in keep]
        _legend_above(axes, handles, names, columns=1 if narrow else min(4, max(1, len(names))))
    _title(figure, title)
    axes.set_xlabel(plain(x_label), fontsize=FONT_SIZE)
    axes.set_ylabel(plain(y_label), fontsize=FONT_SIZE)
    return _svg(figure, title, description)


def information_svg(
    *,
    theta: Sequence[float],
    labels: Sequence[str],
    curves: Sequence[Sequence[float]],
    selected: int | None,
    test_information: Sequence[float],
    standard_error: Sequence[float],
    title: str,
    x_label: str,
    y_label: str,
    test_label: str,
    se_label: str,
    empty_label: str,
    description: str,
    numbers: Numbers,
    narrow: bool = False,
) -> bytes:
    """Item information curves (thin, SVG groups ``information-<i>``), the test information
    (thick, ``test-information``) and its standard error 1/√I on the right axis (dashed,
    ``standard-error``)."""
    figure = _figure(3.6 if narrow else 4.2, narrow)
    axes = figure.add_subplot()
    _style(axes, numbers)
    x = np.asarray(theta, dtype=float)
    axes.set_xlim(x.min(initial=-4), x.max(initial=4))
    colours = _curve_colours(len(curves))
    for index, (label, curve) in enumerate(zip(labels, curves, strict=True)):
        if selected is None:
            style = {"color": colours[index], "linewidth": 0.9, "alpha": 0.8}
        elif index == selected:
            style = {"color": ACCENT, "linewidth": 2.2, "zorder": 3}
        else:
            style = {"color": LINE, "linewidth": 0.8}
        (line,) = axes.plot(x, curve, **style)
        line.set_gid(f"information-{index}")
        if index == selected:
            line.set_label(plain(label))
    handles = []
    if len(test_information):
        (total,) = axes.plot(x, test_information, color="#1b2430", linewidth=2.2, label=plain(test_label))
        total.set_gid("test-information")
        handles.append(total)
        se = np.asarray(standard_error, dtype=float)
        right = axes.twinx()
        right.spines[["top", "left"]].set_visible(False)
        right.spines["right"].set_color(MUTED)
        right.tick_params(colors="#1b2430", labelsize=FONT_SIZE - 1)
        right.yaxis.set_major_formatter(numbers.formatter())
        finite = se[np.isfinite(se)]
        if finite.size:
            right.set_ylim(0, float(min(finite.max(), 4 * finite.min())) * 1.05)
        (error,) = right.plot(x, se, color=WARN, linewidth=1.4, linestyle="--", label=plain(se_label))
        error.set_gid("standard-error")
        right.set_ylabel(plain(se_label), fontsize=FONT_SIZE, color=WARN)
        handles.append(error)
    axes.set_ylim(bottom=0)
    if not curves:
        _empty(axes, empty_label)
    own = [line for line in axes.get_lines() if not line.get_label().startswith("_") and line not in handles]
    if handles or own:
        shown = own + handles
        _legend_above(axes, shown, [line.get_label() for line in shown], columns=1 if narrow else len(shown))
    _title(figure, title)
    axes.set_xlabel(plain(x_label), fontsize=FONT_SIZE)
    axes.set_ylabel(plain(y_label), fontsize=FONT_SIZE)
    return _svg(figure, title, description)


# --- a candidate's timeline ----------------------------------------------------------------

ANSWERED, CLEARED, FLAGGED, UNFLAGGED = "answered", "cleared", "flagged", "unflagged"
MARKS = {
    ANSWERED: {"marker": "o", "color": ACCENT, "s": 22},
    CLEARED: {"marker": "x", "color": WARN, "s": 26},
    FLAGGED: {"marker": "^", "color": "#e0a100", "s": 30},
    UNFLAGGED: {"marker": "v", "color": MUTED, "s": 26},
}


def timeline_svg(
    *,
    minutes: Sequence[float],
    rows: Sequence[int],
    kinds: Sequence[str],
    n_rows: int,
    pauses: Sequence[tuple[float, float]],
    submitted: float | None,
    title: str,
    x_label: str,
    y_label: str,
    kind_labels: dict[str, str],
    pause_label: str,
    submitted_label: str,
    empty_label: str,
    description: str,
    numbers: Numbers,
    narrow: bool = False,
) -> bytes:
    """Every change of a candidate's answers in time: minutes from the start on x, the item
    (its position on the candidate's form, 1 at the top) on y, one mark per change by kind
    (answered, cleared, flagged, unflagged; SVG groups ``events-<kind>``), paused spans
    shaded, the hand-in as a vertical line."""
    figure = _figure(max(2.8, 1.4 + 0.2 * n_rows), narrow)
    axes = figure.add_subplot()
    _style(axes, numbers)
    x = np.asarray(minutes, dtype=float)
    y = np.asarray(rows, dtype=float)
    kind_array = np.asarray(kinds, dtype=object)
    end = max([float(x.max(initial=0)), submitted or 0.0, *[stop for _start, stop in pauses]] + [1.0])
    axes.set_xlim(-end * 0.02, end * 1.03)  # a change in the first second drawn whole
    axes.set_ylim(n_rows + 0.7, 0.3)
    axes.yaxis.set_major_locator(
        _mpl().ticker.MultipleLocator(1) if n_rows <= 30 else _mpl().ticker.MaxNLocator(integer=True, nbins=25)
    )
    raster = x.size > RASTER_ABOVE
    for index, (start, stop) in enumerate(pauses):
        axes.axvspan(start, stop, color="#f4e3b5", alpha=0.7, label=plain(pause_label) if index == 0 else None)
    for kind, style in MARKS.items():
        chosen = kind_array == kind
        if chosen.any():
            axes.scatter(
                x[chosen], y[chosen], label=plain(kind_labels[kind]), rasterized=raster, gid=f"events-{kind}", **style
            )
    if submitted is not None:
        axes.axvline(submitted, color="#1b2430", linewidth=1.2, label=plain(submitted_label), gid="submitted")
    if not x.size:
        _empty(axes, empty_label)
    else:
        handles, names = axes.get_legend_handles_labels()
        _legend_above(axes, handles, names, columns=2 if narrow else 3)
    _title(figure, title)
    axes.set_xlabel(plain(x_label), fontsize=FONT_SIZE)
    axes.set_ylabel(plain(y_label), fontsize=FONT_SIZE)
    return _svg(figure, title, description)
