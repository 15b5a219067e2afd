"""Predicted open rate of subject lines, trained on your own send history, judged on later sends.

The model is a regularised logistic regression (scikit-learn, L2, ``C`` = 0.3) on the text features
of :mod:`.features`, standardised. The baseline is what a marketer assumes without a model: every
line gets the historical average open rate. Both are judged on the later sends (time split: the last
``test_share`` of the period, or of the rows in file order without a time column) by the Brier score
(lower is better) and ROC-AUC; intervals come from 1,000 bootstrap resamples of whole subject lines
(the unit that carries the signal), so a handful of lines cannot look like thousands of rows.

Subject lines explain little of an open: who receives it and when matter more. Expect the model to
be *not better than the baseline* unless you have many different lines; the record says so plainly.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nomagic.errors import InputError
from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.metrics import bootstrap
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.subject_lines.features import FEATURES, features
from nomagic.words import Text, say

Progress = Callable[[float, str], None]
LABELS = {
    "length": say("longer line", "längere Zeile"),
    "words": say("more words", "mehr Wörter"),
    "personalised": say("personalised", "personalisiert"),
    "urgency": say("urgency words", "Dringlichkeitswörter"),
    "number": say("a number", "eine Zahl"),
    "percent": say("a percentage", "eine Prozentangabe"),
    "price": say("a price", "ein Preis"),
    "emoji": say("an emoji", "ein Emoji"),
    "question": say("a question", "eine Frage"),
    "exclamation": say("an exclamation mark", "ein Ausrufezeichen"),
    "caps_words": say("words in capitals", "Wörter in Großbuchstaben"),
    "lang_de": say("German", "Deutsch"),
    "lang_en": say("English", "Englisch"),
}
QUESTION = say("Which subject line will more people open?", "Welche Betreffzeile öffnen mehr Menschen?")
MIN_ROWS = 500
MIN_LINES = 5
_TRUE = {"1", "1.0", "true", "yes", "y", "t", "ja", "x"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", "nein", ""}


class SubjectLineModel:
    """Regularised logistic regression of opens on subject-line features.

    Examples
    --------
    >>> lines = ["Hi {first_name}, news"] * 50 + ["Newsletter"] * 50
    >>> opened = [1] * 30 + [0] * 20 + [1] * 10 + [0] * 40
    >>> m = SubjectLineModel().fit(lines, opened)
    >>> p = m.predict_open_rate(["Hello {first_name}", "Our newsletter"])
    >>> bool(p[0] > p[1])
    True
    """

    def __init__(self, C: float = 0.3):
        self.C = C

    def fit(self, lines, opened) -> SubjectLineModel:
        y = np.asarray(opened, dtype=float)
        X = features(list(lines))[list(FEATURES)].to_numpy(float)
        self.mean_ = float(y.mean())
        self.constant_ = len(np.unique(y)) < 2
        if not self.constant_:
            self.pipe_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=1000))
            self.pipe_.fit(X, y)
        return self

    def predict_open_rate(self, lines) -> np.ndarray:
        """Predicted open rate of each line."""
        lines = [lines] if isinstance(lines, str) else list(lines)
        if self.constant_:
            return np.full(len(lines), self.mean_)
        X = features(lines)[list(FEATURES)].to_numpy(float)
        return self.pipe_.predict_proba(X)[:, 1]

    def save(self, folder) -> list:
        """Write the fitted model as JSON (scaler and coefficients; safe to read back). Returns the path."""
        import json
        from pathlib import Path

        path = Path(folder) / "subject_lines_model.json"
        doc = {"features": list(FEATURES), "mean_open_rate": self.mean_, "C": self.C}
        if not self.constant_:
            sc, lr = self.pipe_[0], self.pipe_[-1]
            doc.update(
                scaler_mean=sc.mean_.tolist(),
                scaler_scale=sc.scale_.tolist(),
                coef=lr.coef_[0].tolist(),
                intercept=float(lr.intercept_[0]),
            )
        path.write_text(json.dumps(doc, indent=1) + "\n")
        return [path]

    @classmethod
    def load(cls, path) -> SubjectLineModel:
        """Read a model written by :meth:`save` (a folder holding ``subject_lines_model.json``, or the file).

        Plain JSON, no pickle: safe to read from anyone. A file with other features than this version's
        is refused, so a model is never applied to features it was not trained on.
        """
        import json
        from pathlib import Path

        from nomagic.errors import InputError

        path = Path(path)
        if path.is_dir():
            path = path / "subject_lines_model.json"
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(
                say(
                    "cannot read the subject-line model {path}: {e}",
                    "Das Betreffzeilen-Modell {path} lässt sich nicht lesen: {e}",
                    path=str(path),
                    e=str(exc),
                )
            ) from exc
        if not isinstance(doc, dict) or doc.get("features") != list(FEATURES) or "mean_open_rate" not in doc:
            raise InputError(
                say(
                    "{path} is not a subject-line model of this nomagic version (its features differ); train it again",
                    "{path} ist kein Betreffzeilen-Modell dieser nomagic-Version (die Merkmale weichen ab); neu "
                    "trainieren",
                    path=str(path),
                )
            )
        m = cls(C=float(doc.get("C", 0.3)))
        m.mean_ = float(doc["mean_open_rate"])
        m.constant_ = "coef" not in doc
        if not m.constant_:
            sc = StandardScaler()
            sc.mean_ = np.asarray(doc["scaler_mean"], float)
            sc.scale_ = np.asarray(doc["scaler_scale"], float)
            sc.var_ = sc.scale_**2
            sc.n_features_in_ = len(FEATURES)
            sc.n_samples_seen_ = 1
            lr = LogisticRegression(C=m.C)
            lr.coef_ = np.asarray([doc["coef"]], float)
            lr.intercept_ = np.asarray([doc["intercept"]], float)
            lr.classes_ = np.array([0.0, 1.0])
            lr.n_features_in_ = len(FEATURES)
            m.pipe_ = make_pipeline(sc, lr)
        return m

    def drivers(self) -> list[dict]:
        """Standardised coefficients, strongest first, in the record's ``drivers`` shape (``feature, label,
        importance, share, direction, summary``) plus ``coefficient``."""
        if self.constant_:
            return []
        coef = self.pipe_[-1].coef_[0]
        total = float(np.abs(coef).sum()) or 1.0
        out = []
        for i in np.argsort(-np.abs(coef)):
            name, c = FEATURES[i], float(coef[i])
            label = LABELS.get(name, Text(name))
            if c > 0:
                summary = say("{label} -> opens up", "{label} -> mehr Öffnungen", label=label)
            else:
                summary = say("{label} -> opens down", "{label} -> weniger Öffnungen", label=label)
            out.append(
                {
                    "feature": name,
                    "label": label,
                    "importance": round(abs(c), 4),
                    "share": round(abs(c) / total, 4),
                    "direction": "higher" if c > 0 else "lower",
                    "summary": summary,
                    "coefficient": round(c, 4),
                }
            )
        return out


def predict_open_rate(lines, history: pd.DataFrame, *, subject: str = "subject", opened: str = "opened") -> np.ndarray:
    """Predicted open rate of candidate ``lines`` from a model trained on ``history`` (one row per send).

    Examples
    --------
    >>> h = pd.DataFrame({"subject": ["Sale!"] * 40 + ["News"] * 40, "opened": [1, 0] * 20 + [0, 0, 0, 1] * 10})
    >>> p = predict_open_rate(["Big sale!", "News"], h)
    >>> bool(p[0] > p[1])
    True
    """
    hist = read_history(history, subject, opened)
    return SubjectLineModel().fit(hist["subject"], hist["opened"]).predict_open_rate(lines)


def _opened(s: pd.Series, column: str, source: str | None) -> np.ndarray:
    where = f"{source}: " if source else ""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        vals = pd.Series(s).fillna(0).astype(float)
        bad = ~vals.isin([0.0, 1.0])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                say(
                    "{where}column {col!r}, data row {row}: {v!r} is not 0/1",
                    "{where}Spalte {col!r}, Datenzeile {row}: {v!r} ist nicht 0/1",
                    where=where,
                    col=column,
                    row=i + 1,
                    v=s.iloc[i],
                )
            )
        return vals.to_numpy() > 0
    text = pd.Series(s).astype("string").str.strip().str.lower().fillna("")
    flag = text.isin(_TRUE | _FALSE)
    if flag.all():
        return text.isin(_TRUE).to_numpy()
    if flag.mean() >= 0.5:  # a yes/no column with a stray value
        i = int(np.flatnonzero(~flag.to_numpy())[0])
        raise InputError(
            say(
                "{where}column {col!r}, data row {row}: {v!r} is not a yes/no value (0/1, true/false, yes/no)",
                "{where}Spalte {col!r}, Datenzeile {row}: {v!r} ist kein Ja/Nein-Wert (0/1, true/false, yes/no)",
                where=where,
                col=column,
                row=i + 1,
                v=s.iloc[i],
            )
        )
    t = pd.to_datetime(text.replace("", pd.NA), errors="coerce", format="mixed")
    bad = t.isna() & (text != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            say(
                "{where}column {col!r}, data row {row}: {v!r} is neither 0/1 nor an open time",
                "{where}Spalte {col!r}, Datenzeile {row}: {v!r} ist weder 0/1 noch ein Öffnungszeitpunkt",
                where=where,
                col=column,
                row=i + 1,
                v=s.iloc[i],
            )
        )
    return t.notna().to_numpy()


def read_history(
    df: pd.DataFrame, subject: str, opened: str, time: str | None = None, *, source: str | None = None
) -> pd.DataFrame:
    """``subject, opened[, time]`` from a user's table, checked (errors name the file, row and column)."""
    where = f"{source}: " if source else ""
    for col in (subject, opened, time):
        if col is not None and col not in df.columns:
            raise InputError(
                say(
                    "{where}no column {col!r}; the table has: {cols}",
                    "{where}keine Spalte {col!r}; die Tabelle hat: {cols}",
                    where=where,
                    col=col,
                    cols=", ".join(map(str, df.columns[:20])),
                )
            )
    out = pd.DataFrame({"subject": df[subject].fillna("").astype(str).to_numpy()})
    blank = out["subject"].str.strip() == ""
    if blank.all():
        raise InputError(
            say(
                "{where}column {col!r} has no subject lines",
                "{where}Die Spalte {col!r} enthält keine Betreffzeilen",
                where=where,
                col=subject,
            )
        )
    out["opened"] = _opened(df[opened], opened, source)
    if time is not None:
        t = pd.to_datetime(df[time].astype("string").str.strip(), errors="coerce", format="mixed")
        bad = t.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                say(
                    "{where}column {col!r}, data row {row}: {v!r} is not a date and time",
                    "{where}Spalte {col!r}, Datenzeile {row}: {v!r} ist kein Datum mit Uhrzeit",
                    where=where,
                    col=time,
                    row=i + 1,
                    v=df[time].iloc[i],
                )
            )
        if getattr(t.dt, "tz", None) is not None:
            t = t.dt.tz_convert("UTC").dt.tz_localize(None)
        out["time"] = t.to_numpy()
    return out[~blank.to_numpy()].reset_index(drop=True)


def warehouse_history(wh) -> pd.DataFrame:
    """``subject, opened, time`` of every treated message, the subject taken from its campaign's variants
    (``campaigns.subjects`` as ``"A: line | B: line"``) or from a ``subject`` column of ``messages``."""
    m = wh.table("messages")
    m = m.filter(m.in_control.fill_null(False) == False)  # noqa: E712  (Ibis expression)
    if "subject" in m.columns:
        df = m.select("subject", "opened_at", "sent_at").execute()
    else:
        c = wh.table("campaigns").select("campaign_id", "subjects")
        j = m.left_join(c, m.campaign_id == c.campaign_id)
        df = j.select(m.variant, m.opened_at, m.sent_at, c.subjects).execute()
        parsed = {}
        for s in df["subjects"].dropna().unique():
            parsed[s] = dict(p.split(": ", 1) for p in str(s).split(" | ") if ": " in p)
        df["subject"] = [parsed.get(s, {}).get(v, "") for s, v in zip(df["subjects"], df["variant"], strict=True)]
    out = pd.DataFrame({"subject": df["subject"].fillna("").astype(str)})
    out["opened"] = df["opened_at"].notna().to_numpy()
    out["time"] = pd.to_datetime(df["sent_at"]).to_numpy()
    return out[out["subject"] != ""].sort_values("time", kind="mergesort").reset_index(drop=True)


@dataclass
class SubjectEvaluation:
    record: dict
    model: SubjectLineModel | None = None

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


def evaluate_subjects(
    hist: pd.DataFrame,
    *,
    test_share: float = 0.25,
    n_boot: int = 1000,
    seed: int = 0,
    source: str = "send log",
    fingerprint: str | None = None,
    progress: Progress | None = None,
) -> SubjectEvaluation:
    """Time-split evaluation of :class:`SubjectLineModel` against the historical average open rate."""
    t0 = _time.perf_counter()
    tick = progress or (lambda f, m: None)
    data = {
        "source": source,
        "fingerprint": fingerprint or fingerprint_frame(hist[["subject", "opened"]]),
        "rows": int(len(hist)),
        "subject_lines": int(hist["subject"].nunique()),
    }
    if "time" in hist:
        hist = hist.sort_values("time", kind="mergesort").reset_index(drop=True)
        start, end = hist["time"].min(), hist["time"].max()
        cut = start + (end - start) * (1 - test_share)
        is_test = (hist["time"] >= cut).to_numpy()
        split = {"kind": "time-split", "time_column": "time", "cutoff": str(cut), "test_share": test_share}
    else:
        is_test = np.arange(len(hist)) >= int(round(len(hist) * (1 - test_share)))
        split = {"kind": "row-order-split", "test_share": test_share}
    train, test = hist[~is_test], hist[is_test]
    split.update(train_rows=int(len(train)), test_rows=int(len(test)), seed=seed)

    def not_ready(reason: Text) -> SubjectEvaluation:
        return SubjectEvaluation(
            make_record(
                use_case="subject_lines",
                data=data,
                split={"kind": "none"},
                primary_metric="brier",
                metrics={},
                verdict=NOT_READY,
                explanation=say("Not ready: {r}", "Nicht bereit: {r}", r=reason),
            )
        )

    if len(train) < MIN_ROWS or len(test) < MIN_ROWS // 4:
        return not_ready(
            say(
                "{n:,} sends to learn from and {k:,} to judge on; at least {m:,} are needed",
                "{n:,} Sendungen zum Lernen und {k:,} zum Beurteilen; mindestens {m:,} sind nötig",
                n=len(train),
                k=len(test),
                m=MIN_ROWS,
            )
        )
    if train["subject"].nunique() < MIN_LINES:
        return not_ready(
            say(
                "only {n} different subject lines to learn from; at least {m} are needed",
                "nur {n} verschiedene Betreffzeilen zum Lernen; mindestens {m} sind nötig",
                n=train["subject"].nunique(),
                m=MIN_LINES,
            )
        )
    if train["opened"].nunique() < 2 or test["opened"].nunique() < 2:
        return not_ready(
            say(
                "the opens are all yes or all no, so there is nothing to predict",
                "die Öffnungen sind alle ja oder alle nein, es gibt also nichts vorherzusagen",
            )
        )
    tick(0.3, say("fitting the subject-line model", "das Betreffzeilen-Modell anpassen"))
    model = SubjectLineModel().fit(train["subject"], train["opened"])
    p_model = model.predict_open_rate(test["subject"].tolist())
    p_base = np.full(len(test), model.mean_)
    tick(0.6, say("bootstrap intervals", "Bootstrap-Intervalle"))
    metrics = bootstrap(
        test["opened"].to_numpy(float),
        p_model,
        p_base,
        metrics=("brier", "roc_auc"),
        n_boot=n_boot,
        seed=seed,
        clusters=test["subject"].to_numpy(),
    )
    g = gate(
        metrics,
        "brier",
        model_words=say("the subject-line model", "das Betreffzeilen-Modell"),
        baseline_words=say(
            "the historical average open rate ({m:.3f})",
            "die historische durchschnittliche Öffnungsrate ({m:.3f})",
            m=model.mean_,
        ),
        compared_on=say(
            "{n:,} later sends with {k} subject lines",
            "{n:,} späteren Sendungen mit {k} Betreffzeilen",
            n=len(test),
            k=test["subject"].nunique(),
        ),
    )
    langs = features(train["subject"].unique())["lang"].value_counts().to_dict()
    record = make_record(
        use_case="subject_lines",
        data=data,
        split=split,
        primary_metric="brier",
        metrics=metrics,
        verdict=g.verdict,
        explanation=g.explanation,
        question=QUESTION,
        model={
            "description": [
                say(
                    "L2 logistic regression (C={c}) on {k} text features",
                    "L2-regularisierte logistische Regression (C={c}) auf {k} Textmerkmalen",
                    c=model.C,
                    k=len(FEATURES),
                )
            ],
            "kind": "logistic",
            "features": list(FEATURES),
            "languages": {str(k): int(v) for k, v in langs.items()},
        },
        baseline={
            "description": [
                say(
                    "every line gets the historical average open rate",
                    "jede Zeile bekommt die historische durchschnittliche Öffnungsrate",
                )
            ]
        },
        drivers=model.drivers(),
        scorer="model" if g.promoted else "baseline",
        seconds=round(_time.perf_counter() - t0, 2),
    )
    tick(1.0, say("done", "fertig"))
    return SubjectEvaluation(record=record, model=model)
