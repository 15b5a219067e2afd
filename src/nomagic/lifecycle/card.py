"""The model card: what a version is for, how it was judged, what drives it, whom it may fail.

Written from the evaluation record and the registry's meta data, in Markdown and in a
self-contained HTML page (no external assets).
"""

from __future__ import annotations

import html as _html

from nomagic.lifecycle.gate import metric_name
from nomagic.lifecycle.metrics import METRICS

_LIMITS = [
    "Scores are probabilities for groups of customers, not certainties about one person.",
    "Only customers who allow profiling are scored or used for training.",
    "Sensitive attributes (as configured) are audited for fairness and are not used as features.",
    "The model learned from past behaviour; a change in the business (prices, assortment, channels) can make "
    "it wrong. Monitor it and retrain it on fresh data.",
    "A recommendation to contact a customer passes the guardrails (consent, frequency caps, budget) before "
    "anything is sent.",
]


def fmt(v, metric: str = "") -> str:
    if v is None:
        return "n/a"
    if metric == "profit_at_10":
        return f"{v:,.0f}"
    return f"{v:.3f}"


def metric_rows(record: dict) -> list[tuple[str, str, str, str]]:
    """(metric, model, baseline, improvement) with CIs, as text."""
    m = record.get("metrics", {})
    rows = []
    for name in METRICS:
        if name not in m.get("model", {}):
            continue
        cells = []
        for part in ("model", "baseline", "improvement"):
            x = m.get(part, {}).get(name)
            if x is None:
                cells.append("")
                continue
            lo, hi = x["ci"]
            sign = "+" if part == "improvement" and x["value"] is not None and x["value"] >= 0 else ""
            cells.append(f"{sign}{fmt(x['value'], name)} [{fmt(lo, name)}, {fmt(hi, name)}]")
        rows.append((f"{metric_name(name)} (`{name}`)", *cells))
    return rows


def _sections(record: dict, meta: dict) -> list[tuple[str, list]]:
    """Card content as (heading, blocks); a block is a str (paragraph), a list (bullets) or a dict (table)."""
    data = record.get("data", {})
    split = record.get("split", {})
    model = record.get("model", {})
    scorer = meta.get("scorer", record.get("scorer", "baseline"))
    out: list[tuple[str, list]] = []
    out.append(
        (
            "Verdict",
            [
                f"**{record['verdict']}** — what scores: the **{scorer}**.",
                record.get("explanation", ""),
            ],
        )
    )
    intended = [record.get("question") or f"{record['use_case']} scores"]
    if split.get("horizon_days"):
        intended.append(f"Label window: {split['horizon_days']} days after each cutoff.")
    out.append(("Intended use", intended))
    facts = [
        f"source: {data.get('source')}",
        f"data fingerprint: `{meta.get('data_fingerprint') or data.get('fingerprint')}`",
        f"rows: {data.get('rows', 0):,}" + (f", units: {data['units']:,}" if data.get("units") else ""),
    ]
    if data.get("start"):
        facts.append(f"time span: {data['start'][:10]} to {data['end'][:10]}")
    if split.get("kind") == "rolling-time-cutoffs":
        facts.append("evaluation: rolling time cutoffs " + ", ".join(c[:10] for c in split["test_cutoffs"]))
    else:
        facts.append(f"evaluation: {split.get('kind')}")
    out.append(("Data", [facts]))
    desc = model.get("description")
    mblocks = [desc if isinstance(desc, str) else "; ".join(desc or [])]
    if record.get("baseline", {}).get("description"):
        b = record["baseline"]["description"]
        mblocks.append(f"Baseline: {b if isinstance(b, str) else '; '.join(b)}")
    if model.get("features"):
        mblocks.append(f"Features ({len(model['features'])}): " + ", ".join(model["features"]))
    out.append(("Model", mblocks))
    rows = metric_rows(record)
    if rows:
        out.append(
            (
                "Metrics (95% bootstrap CIs)",
                [
                    {"head": ["metric", "model", "baseline", "improvement"], "rows": rows},
                    "Improvement is positive when the model is better (for Brier score and calibration error: "
                    "baseline minus model).",
                ],
            )
        )
    if record.get("drivers"):
        out.append(
            (
                "Drivers",
                [
                    {
                        "head": ["driver", "share of influence", "direction"],
                        "rows": [(d["label"], f"{d['share']:.0%}", d["summary"]) for d in record["drivers"]],
                    },
                    "Share of influence: the column's mean absolute contribution to the scores. Direction: its "
                    "effect with the other columns as they are.",
                ],
            )
        )
    fair = record.get("fairness")
    if fair:
        blocks: list = [
            f"Decision audited: contact the top {fair['top_share']:.0%} of scores (engine: {fair['engine']})."
        ]
        for name, a in fair["attributes"].items():
            blocks.append(
                {
                    "head": [name, "count", "selection rate", "true-positive rate", "predicted", "observed"],
                    "rows": [
                        (
                            g["group"],
                            f"{g['count']:,}",
                            _pct(g["selection_rate"]),
                            _pct(g["true_positive_rate"]),
                            _pct(g["mean_predicted"]),
                            _pct(g["observed_rate"]),
                        )
                        for g in a["groups"]
                    ],
                }
            )
            blocks.append(a["flags"] or [f"{name}: no ratio below {fair['ratio_flag']:.0%}"])
        out.append(("Fairness", blocks))
    if record.get("backtest"):
        out.append(
            (
                "Backtest per cutoff",
                [
                    {
                        "head": [
                            "cutoff",
                            "train rows",
                            "test rows",
                            "positive rate",
                            "model ROC-AUC",
                            "baseline ROC-AUC",
                        ],
                        "rows": [
                            (
                                b["cutoff"][:10],
                                f"{b['train_rows']:,}",
                                f"{b['test_rows']:,}",
                                _pct(b["positive_rate"]),
                                fmt(b["model"]["roc_auc"]),
                                fmt(b["baseline"]["roc_auc"]),
                            )
                            for b in record["backtest"]
                        ],
                    }
                ],
            )
        )
    out.extend(_shift_sections(record))
    if record.get("warnings"):
        out.append(("Warnings", [list(record["warnings"])]))
    out.append(("Limitations", [_LIMITS]))
    return out


def _ci(m: dict, pct: bool = False) -> str:
    f = _pct if pct else fmt
    lo, hi = m["ci"]
    return f"{f(m['value'])} [{f(lo)}, {f(hi)}]"


def _shift_sections(record: dict) -> list[tuple[str, list]]:
    """The references the gate chose between, the test file against the data, and prior correction."""
    out: list[tuple[str, list]] = []
    refs = (record.get("baseline") or {}).get("references")
    if refs:
        rows = [
            (
                name,
                r["description"],
                _ci(r["roc_auc"]),
                _ci(r["improvement"]),
                "yes" if record["baseline"]["decisive"] == key else "",
            )
            for key, name in (("rule", "best single column"), ("plain_logistic", "plain logistic regression"))
            if (r := refs.get(key))
        ]
        out.append(
            (
                "References",
                [
                    {"head": ["reference", "what", "ROC-AUC [95% CI]", "model minus it", "the gate's"], "rows": rows},
                    f"The gate decides against the stronger of the two: {record['baseline']['why']}.",
                ],
            )
        )
    shift = record.get("shift")
    if shift:
        prior, dom = shift["prior"], shift["domain_classifier"]
        cols = ", ".join(f"{c['column']} ({c['share']:.0%})" for c in dom["columns"][:5])
        out.append(
            (
                "Same world? The test file against the training data",
                [
                    f"Positive rate: {_ci(prior['train_rate'], True)} in the training data, "
                    f"{_ci(prior['test_rate'], True)} in the test file"
                    + (" (shifted)." if prior["shifted"] else " (no material shift)."),
                    f"A classifier tells the test rows from the training rows with ROC-AUC {_ci(dom['roc_auc'])} "
                    "(0.5: indistinguishable, 1: always told apart)"
                    + (f"; the columns that separate them most (share of its splits): {cols}." if cols else "."),
                    {
                        "head": ["column", "training data", "test file", "PSI", "test rows beyond the training range"],
                        "rows": [
                            (
                                c["column"],
                                c["train"],
                                c["test"],
                                f"{c['psi']:.2f}",
                                _pct(c["outside_range"]) if "outside_range" in c else "",
                            )
                            for c in shift["columns"][:10]
                        ],
                    },
                    "PSI (population stability index): below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 large.",
                ],
            )
        )
    pc = record.get("prior_correction")
    if pc and pc.get("used_rate") is None:
        out.append(
            (
                "Prior correction",
                [
                    f"The probabilities assume a positive rate of {_pct(pc['assumed_rate'])}; the test file's is "
                    f"{_pct(pc['actual_rate'])}. Calibration error as given: {_ci(pc['raw']['ece'])}; {pc['how']}."
                ],
            )
        )
    elif pc:
        rows = [
            (metric_name(m), _ci(pc["raw"][m]), _ci(pc["corrected"][m]), _ci(pc["improvement"][m]))
            for m in ("ece", "brier")
        ]
        out.append(
            (
                "Prior correction",
                [
                    f"The probabilities assume a positive rate of {_pct(pc['assumed_rate'])}; moved to "
                    f"{_pct(pc['used_rate'])} ({pc['how']}; the actual rate of the test file is "
                    f"{_pct(pc['actual_rate'])}).",
                    {"head": ["metric", "as given", "moved to that rate", "improvement"], "rows": rows},
                    "The ranking (ROC-AUC, lift) does not change; only the probabilities do.",
                ],
            )
        )
    return out


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def markdown(record: dict, meta: dict) -> str:
    """The card as Markdown."""
    lines = [f"# Model card: {record['use_case']} {meta.get('version', '')}".rstrip(), ""]
    lines.append(
        f"Created {meta.get('created_at', record.get('created_at'))} · nomagic {record.get('nomagic_version')}"
    )
    lines.append("")
    for head, blocks in _sections(record, meta):
        lines += [f"## {head}", ""]
        for b in blocks:
            if isinstance(b, str):
                lines += [b, ""]
            elif isinstance(b, list):
                lines += [f"- {x}" for x in b] + [""]
            else:
                lines.append("| " + " | ".join(b["head"]) + " |")
                lines.append("|" + "---|" * len(b["head"]))
                lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in b["rows"]]
                lines.append("")
    return "\n".join(lines)


_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.6rem}h2{font-size:1.15rem;border-bottom:1px solid #dde2ea;padding-bottom:.2rem;margin-top:1.8rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border-bottom:1px solid #eceff4;padding:.3rem .5rem;
text-align:left}th{background:#f5f7fa}code{background:#f1f3f6;padding:0 .2rem;border-radius:3px}.meta{color:#5b6578}"""


def _inline(text: str) -> str:
    """Escape, then the two bits of Markdown the card uses: **bold** and `code`."""
    import re

    t = _html.escape(str(text))
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def html_body(record: dict, meta: dict, level: int = 2) -> str:
    """The card's sections as HTML (for the card page and the report)."""
    parts = []
    for head, blocks in _sections(record, meta):
        parts.append(f"<h{level}>{_html.escape(head)}</h{level}>")
        for b in blocks:
            if isinstance(b, str):
                parts.append(f"<p>{_inline(b)}</p>")
            elif isinstance(b, list):
                parts.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in b) + "</ul>")
            else:
                head_html = "".join(f"<th>{_inline(h)}</th>" for h in b["head"])
                rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in b["rows"])
                parts.append(f"<table><thead><tr>{head_html}</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


def html(record: dict, meta: dict) -> str:
    """The card as one self-contained HTML page."""
    title = f"Model card: {record['use_case']} {meta.get('version', '')}".strip()
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_html.escape(title)}</h1>"
        f"<p class='meta'>Created {_html.escape(str(meta.get('created_at', record.get('created_at'))))} · "
        f"nomagic {_html.escape(str(record.get('nomagic_version')))}</p>"
        f"{html_body(record, meta)}</body></html>\n"
    )
