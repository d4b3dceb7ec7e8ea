"""The report page: its style, the helpers every section writes with (tables, "no data" lines,
numbers), the header (when, on what commit and machine the data was taken) and the whole page.
One static HTML file: inline style, no script, images only from the report folder."""

import html

STYLE = """
body { font: 14px/1.45 'DejaVu Sans', Arial, sans-serif; margin: 0; color: #1d2327;
  background: #f6f7f9; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 12px 0 4px; }
h2 { font-size: 19px; margin: 30px 0 8px; padding-top: 8px; border-top: 2px solid #c9ced6; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; margin: 6px 0 12px; background: #fff; font-size: 13px; }
th, td { border: 1px solid #d5d9e0; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eceff3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfc; }
code { font: 12px 'DejaVu Sans Mono', monospace; background: #eef0f3; padding: 0 3px;
  overflow-wrap: anywhere; }
.nodata { color: #6b4e00; background: #fff6d8; border: 1px solid #ecd58a; padding: 6px 10px; }
.ok { color: #fff; background: #2e7d32; padding: 0 6px; border-radius: 3px; }
.bad { color: #fff; background: #c62828; padding: 0 6px; border-radius: 3px; }
.note { color: #555; }
.plots { display: flex; flex-wrap: wrap; gap: 10px; }
.plots img { border: 1px solid #d5d9e0; background: #fff; }
details { margin: 4px 0 10px; }
"""

SECTIONS = [
    ("data", "Data: when, commit, machine"),
    ("fuzzing", "Fuzzing"),
    ("findings", "Findings"),
    ("stress", "Stress"),
    ("bench", "Bench"),
    ("coverage", "Coverage"),
    ("bugs", "Injected bugs"),
    ("e2e", "End to end"),
]


def esc(value):
    return html.escape("" if value is None else str(value))


def code(value):
    return f"<code>{esc(value)}</code>"


def num(value, digits=0):
    """A number with thousands separators; "-" when there is none."""
    if value is None or value == "":
        return "-"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return esc(value)
    return f"{value:,.{digits}f}"


def secs(value):
    """A duration in s, min or h."""
    if value is None:
        return "-"
    value = float(value)
    if value >= 7200:
        return f"{value / 3600:.1f} h"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def figure(value):
    """A measured figure: whole above 100, three significant digits below."""
    if value is None:
        return "-"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def day_time(value):
    """2026-12-06T17:32:03Z as 2026-12-06 17:32."""
    value = str(value or "")
    return value[:16].replace("T", " ") if len(value) >= 16 else (value or "-")


def short_date(value):
    """2026-12-06T17:32:03Z as 12-06 17:32 (UTC)."""
    value = str(value or "")
    return value[5:16].replace("T", " ") if len(value) >= 16 else value


def badge(text, good):
    return f'<span class="{"ok" if good else "bad"}">{esc(text)}</span>'


def nodata(what, command):
    """The line a section without data shows: which command fills it."""
    return f'<p class="nodata">No data yet: {what}. {command} fills this section.</p>'


def table(headers, rows, numeric=()):
    """headers are text; cells are HTML already; columns named in numeric align right."""
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for header, cell in zip(headers, row):
            cls = ' class="n"' if header in numeric else ""
            cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def folded(rows, shown, render, what):
    """The first `shown` rows as they are, the rest inside a <details> (no script needed)."""
    out = render(rows[:shown])
    if len(rows) > shown:
        out += f"<details><summary>{len(rows) - shown} older {esc(what)}</summary>"
        out += render(rows[shown:]) + "</details>"
    return out


def img(path, alt):
    return f'<img src="{esc(path)}" alt="{esc(alt)}">'


def plots(paths):
    """A row of plots (those drawn)."""
    shown = [img(p, a) for p, a in paths if p]
    return f'<div class="plots">{"".join(shown)}</div>' if shown else ""


def machine(record):
    """host, CPUs and load of a record's stamp."""
    if not record or not record.get("host"):
        return "-"
    parts = [esc(record["host"])]
    if record.get("cpus"):
        parts.append(f"{esc(record['cpus'])} CPUs")
    if record.get("load"):
        parts.append(f"load {esc(record['load'])}")
    return ", ".join(parts)


def commits(records):
    """The latest commit, and how many others the records were taken on."""
    seen = []
    for r in reversed(records):
        c = r.get("commit") or "unknown"
        if c not in seen:
            seen.append(c)
    if not seen:
        return "-"
    more = f" (and {len(seen) - 1} other{'s' if len(seen) > 2 else ''})" if len(seen) > 1 else ""
    return code(seen[0]) + more


def header(generated, rows):
    """Section 7 of the issue, first on the page: when the report was made and, per source, how
    many runs it holds, when they were taken, on what commit and machine."""
    made = (f"<p>Made {esc(generated['date'])} from {code(generated['root'])} at commit "
            f"{code(generated['commit'])} on {machine(generated)}.</p>")
    body = table(["section", "source", "runs", "first", "latest", "commit", "machine (latest)"],
                 rows, numeric=("runs",))
    return made + body


def page(generated, bodies):
    """The whole page: title, navigation, every section in SECTIONS order."""
    nav = " ".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title in SECTIONS)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>haiku-tuntap suite report</title>", f"<style>{STYLE}</style></head>",
             "<body><main>", "<h1>haiku-tuntap: the suite's report</h1>",
             f'<p class="note">Generated {esc(generated["date"])} by <code>make report</code>; '
             "every plot is an SVG file beside this page, drawn by gnuplot.</p>",
             f"<nav>{nav}</nav>"]
    for sid, title in SECTIONS:
        parts.append(f'<section id="{sid}"><h2>{esc(title)}</h2>')
        parts.append(bodies[sid])
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
