"""Charts drawn on the server as SVG: they print, work without JavaScript, and carry a title and description.

The numbers are always in a table beside the chart as well; the SVG is a picture of that table.
"""
from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 44, 28, 12


def _nice_max(value):
    if value <= 0:
        return 1
    step = 1
    while step * 10 < value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def stacked_bars(chart_id, title, desc, labels, series):
    """`series`: [(name, css_class, values)], stacked per label. Returns an <svg> as Markup."""
    count = max(len(labels), 1)
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / count
    bar = max(1.0, slot * 0.8)
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_short(top * fraction)}</text>')
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - bar) / 2
        base = TOP + plot_h
        for name, css_class, values in series:
            value = values[index]
            if value <= 0:
                continue
            height = plot_h * value / top
            base -= height
            parts.append(f'<rect class="{css_class}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" '
                         f'height="{height:.1f}"><title>{escape(label)}: {value} {escape(name)}</title></rect>')
    for index in _label_positions(len(labels)):
        x = LEFT + index * slot + slot / 2
        parts.append(f'<text class="chart-axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                     f'{escape(labels[index])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(chart_id, title, desc, labels, values, css_class="chart-bar-1"):
    return stacked_bars(chart_id, title, desc, labels, [(title, css_class, values)])


def _label_positions(count, most=6):
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(step * n) for n in range(most)})


def _short(value):
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"
