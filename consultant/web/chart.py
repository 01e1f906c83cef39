"""Questions per day as a stacked bar chart in SVG, drawn on the server (no script, no remote font)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from consultant.usage.monthly import Day

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 36, 24, 12
COLOURS = {"auto": "#2e90fa", "reviewed": "#f79009", "other": "#98a2b3"}


def daily_chart(days: list[Day]) -> str:
    peak = max((d.auto + d.reviewed + d.other for d in days), default=0) or 1
    plot_h = HEIGHT - BOTTOM - TOP
    step = (WIDTH - LEFT) / max(len(days), 1)
    bar = max(step * 0.7, 1)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="questions per day, answered at once and '
             f'reviewed">',
             f'<text x="2" y="{TOP + 8}" font-size="10">{peak}</text>',
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" stroke="#667085"/>']
    for n, day in enumerate(days):
        x = LEFT + n * step
        base = HEIGHT - BOTTOM
        for kind in ("auto", "reviewed", "other"):
            value = getattr(day, kind)
            if not value:
                continue
            h = plot_h * value / peak
            base -= h
            parts.append(f'<rect class="{kind}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[kind]}"><title>{escape(day.day.isoformat())}: {value} {kind}</title></rect>')
        if n % 7 == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" font-size="10">{day.day.strftime("%m-%d")}</text>')
    legend_x = WIDTH - 230
    for i, kind in enumerate(("auto", "reviewed", "other")):
        parts.append(f'<rect x="{legend_x + i * 75}" y="2" width="10" height="10" fill="{COLOURS[kind]}"/>'
                     f'<text x="{legend_x + i * 75 + 14}" y="11" font-size="10">{kind}</text>')
    parts.append("</svg>")
    return "".join(parts)
