"""A self-contained HTML report of a scored run: figures, charts (plotly, its JS inlined), misses.

The file opens from disk with no network: plotly.js is embedded once
(`include_plotlyjs=True`), no CDN, no MathJax, no fonts fetched.
"""

from __future__ import annotations

import html
from typing import Any

from extractor.evaluation.runs import RunScore, run_json

_CONFIG = {"displaylogo": False, "showSendToCloud": False,
           "responsive": True}
_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}
td.l,th.l{text-align:left}
.bad{color:#b00}
h1{font-size:22px} h2{font-size:18px;margin-top:1.6em}
"""


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def _share(s: dict[str, Any] | None) -> str:
    if not s:
        return "n/a"
    return f"{s['share']:.3f} ({s['holding']}/{s['checked']})" if s.get("share") is not None else "–"


def _table(head: list[str], rows: list[list[Any]], left: int = 1) -> str:
    h = "".join(f'<th class="{"l" if i < left else ""}">{html.escape(c)}</th>' for i, c in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{html.escape(str(c))}</td>' for i, c in enumerate(r))
        + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _figures(data: dict[str, Any]) -> list[str]:
    import plotly.graph_objects as go

    charts = []
    tables = data["tables"]
    names = list(tables)
    fig = go.Figure([go.Bar(name=m, x=names, y=[tables[n][m] for n in names]) for m in ("precision", "recall", "f1")])
    gf = [tables[n]["gold_free_cells"]["share"] if tables[n].get("gold_free_cells") else None for n in names]
    if any(v is not None for v in gf):
        fig.add_trace(go.Scatter(name="gold-free cells", x=names, y=gf, mode="markers",
                                 marker={"symbol": "diamond", "size": 10}))
    fig.update_layout(title="Cell precision / recall / F1 per table kind", barmode="group",
                      yaxis={"range": [0, 1.05]}, height=420)
    charts.append(fig)

    fields = data["fields"]
    names = list(fields)[:40]
    fig = go.Figure(go.Bar(x=[fields[n]["f1"] for n in names], y=names, orientation="h",
                           text=[f"{fields[n]['correct']}/{fields[n]['gold']} gold" for n in names],
                           hovertemplate="%{y}: F1 %{x:.4f} (%{text})<extra></extra>"))
    fig.update_layout(title="Cell F1 per field (most-labelled first)", xaxis={"range": [0, 1.05]},
                      yaxis={"autorange": "reversed"}, height=max(320, 22 * len(names) + 120))
    charts.append(fig)

    docs = {k: v for k, v in data["documents"].items() if v.get("f1") is not None}
    if docs:
        names = list(docs)
        fig = go.Figure([go.Bar(name="F1", x=names, y=[docs[n]["f1"] for n in names]),
                         go.Bar(name="row recall", x=names, y=[docs[n]["row_recall"] for n in names])])
        fig.update_layout(title="Per document", barmode="group", yaxis={"range": [0, 1.05]}, height=380)
        charts.append(fig)
    out = []
    for i, fig in enumerate(charts):
        out.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), include_mathjax=False, config=_CONFIG))
    return out


def render_html(rs: RunScore, title: str | None = None, max_misses: int = 500) -> str:
    data = run_json(rs)
    o = data["overall"]
    gf = o.get("gold_free") or {}
    parts = [f"<h1>{html.escape(title or f'Eval: {rs.run_dir}')}</h1>",
             f"<p>run <code>{html.escape(str(rs.run_dir))}</code> against gold "
             f"<code>{html.escape(str(rs.gold_dir))}</code>; {o['documents']} documents scored.</p>",
             _table(["", "precision", "recall", "F1", "correct", "predicted", "gold", "row recall",
                     "gold-free tables", "gold-free cells"],
                    [["overall", _pct(o["precision"]), _pct(o["recall"]), _pct(o["f1"]), o["correct"], o["predicted"],
                      o["gold"], _pct(o["row_recall"]), _share(gf.get("tables")), _share(gf.get("cells"))]])]
    parts += _figures(data)
    parts.append("<h2>Documents</h2>")
    parts.append(_table(["document", "precision", "recall", "F1", "row recall", "cells (✓/pred/gold)",
                         "gold-free tables", "gold-free cells", "note"],
                        [[f, _pct(d.get("precision")), _pct(d.get("recall")), _pct(d.get("f1")),
                          _pct(d.get("row_recall")),
                          f"{d['correct']}/{d['predicted']}/{d['gold']}" if d.get("f1") is not None else "",
                          _share(d["gold_free"].get("tables")), _share(d["gold_free"].get("cells")), d.get("note") or ""]
                         for f, d in data["documents"].items()]))
    parts.append("<h2>Table kinds</h2>")
    parts.append(_table(["table", "precision", "recall", "F1", "row recall", "correct", "predicted", "gold",
                         "gold-free cells"],
                        [[k, _pct(t["precision"]), _pct(t["recall"]), _pct(t["f1"]), _pct(t["row_recall"]),
                          t["correct"], t["predicted"], t["gold"], _share(t["gold_free_cells"])]
                         for k, t in data["tables"].items()]))
    parts.append("<h2>Fields</h2>")
    parts.append(_table(["field", "precision", "recall", "F1", "correct", "predicted", "gold", "gold-free cells"],
                        [[k, _pct(t["precision"]), _pct(t["recall"]), _pct(t["f1"]), t["correct"], t["predicted"],
                          t["gold"], _share(t["gold_free_cells"])] for k, t in data["fields"].items()]))
    misses = [(d.file, c) for d in rs.scored if d.score for c in d.score.cells if not c.correct]
    parts.append(f"<h2>Cells not right ({len(misses)}{f', first {max_misses}' if len(misses) > max_misses else ''})</h2>")
    parts.append(_table(["document", "cell", "gold", "predicted", "page", "printed text"],
                        [[f, c.label, c.gold_text or "—", c.pred_text or "—", c.page or "", c.source or ""]
                         for f, c in misses[:max_misses]], left=6))
    if data["unscored_gold"]:
        parts.append("<p>Gold documents not in this run: " + html.escape(", ".join(data["unscored_gold"])) + "</p>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title or "eval")}'
            f"</title><style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n")

