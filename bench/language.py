"""Language: nomagic's text models next to the usual references, side by side in one run.

Written to bench/results/language.json:

1. **Twitter US airline sentiment** (Tweets.csv, de-duplicated by text, stratified 80/20 split, seed 0,
   scikit-learn ``train_test_split``): macro-F1 and accuracy of nomagic's classifier (TF-IDF n-grams
   and sentence embeddings blended, weights chosen by inner CV on the training part), TF-IDF (word
   1-2 + char 2-5 grams) + logistic regression, and VADER. Target: macro-F1 >= 0.78.
2. **GermEval 2017 dev** (2,369 German Deutsche Bahn texts): 5-fold stratified CV (seed 0), nomagic vs
   TF-IDF + LR vs the textblob-de lexicon. Target: nomagic beats both on macro-F1.
3. **Banking77**: train on train.csv, test accuracy on test.csv; nomagic vs TF-IDF + LinearSVC.
   Target: accuracy >= 0.92.
4. **Out of scope**: Banking77 with 10 intents (chosen with seed 0) removed from training and kept in
   the test set as unknown; the threshold is calibrated on held-out in-scope training texts only.
   Target: oos_recall >= 0.6 at in_scope_accuracy >= 0.9. ``oos_temperature`` (not in the default
   run) shows how the confidence's default temperature was chosen on the training rows alone.
5. **FAQ assistant**: the simulated shop's FAQ (12 German + 12 English entries); answers to paraphrased
   questions, handoffs for unrelated ones, latency per question. Target: p95 < 50 ms.
   ``faq_intents`` (not in the default run): Banking77 as a help desk, one FAQ entry per known intent,
   the training texts as labelled past questions; retrieval alone vs retrieval + intents.

Run: ``nice python bench/language.py [--embedders use,e5] [--only twitter,germeval,banking,oos,faq,oos_temperature,faq_intents]``
(each part keeps the command that measured it; parts not run keep their previous figures).
Embeddings are cached on disk ($NOMAGIC_CACHE or ~/.cache/nomagic/embeddings); the first run embeds
about 30,000 texts (about 10 minutes with ``use`` on 2 busy cores, three times that with ``e5``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
OUT = HERE / "results" / "language.json"
TARGET = {
    "twitter_macro_f1": 0.78,
    "banking77_accuracy": 0.92,
    "oos_recall": 0.6,
    "oos_in_scope_accuracy": 0.9,
    "faq_p95_ms": 50.0,
}
FILER = {
    "twitter": {"tfidf_lr": 0.762, "vader": 0.457, "e5_lr": 0.769},
    "banking77": {"tfidf_linearsvc": 0.912},
}


def _f1(y, p) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(np.asarray(y, str), np.asarray(p, str), average="macro")), 4)


def _acc(y, p) -> float:
    return round(float((np.asarray(y, str) == np.asarray(p, str)).mean()), 4)


def _scores(y, p) -> dict:
    return {"macro_f1": _f1(y, p), "accuracy": _acc(y, p)}


def _diff_ci(y, model, base, metric="macro_f1") -> dict:
    from nomagic.usecases.language import evaluate as ev

    return ev.bootstrap(y, model, base, metrics=(metric,), n_boot=1000, seed=0)["improvement"][metric]


def _log(*a):
    print(*a, flush=True)


def twitter(embedders) -> dict:
    from sklearn.model_selection import train_test_split

    from nomagic.usecases.language.sentiment import LexiconSentiment
    from nomagic.usecases.language.textclf import TextClassifier

    df = pd.read_csv(DATA / "twitter_airline_sentiment" / "Tweets.csv")
    n_raw = len(df)
    df = df.drop_duplicates("text")
    tr, te = train_test_split(df, test_size=0.2, stratify=df["airline_sentiment"], random_state=0)
    Xtr, ytr, Xte, yte = (
        tr["text"].tolist(),
        tr["airline_sentiment"].to_numpy(),
        te["text"].tolist(),
        te["airline_sentiment"].to_numpy(),
    )
    out = {
        "rows": n_raw,
        "rows_deduplicated": len(df),
        "train": len(tr),
        "test": len(te),
        "split": "stratified 80/20, seed 0",
    }
    t = time.perf_counter()
    nm = TextClassifier(features="auto", embedder=embedders).fit(Xtr, ytr)
    p_nm = nm.predict(Xte)
    out["nomagic"] = {**_scores(yte, p_nm), "seconds": round(time.perf_counter() - t, 1), "model": nm.describe()}
    _log("twitter nomagic", out["nomagic"])
    t = time.perf_counter()
    tf = TextClassifier(features="tfidf").fit(Xtr, ytr)
    p_tf = tf.predict(Xte)
    out["tfidf_lr"] = {
        **_scores(yte, p_tf),
        "seconds": round(time.perf_counter() - t, 1),
        "model": tf.describe() + " (C=10, balanced)",
    }
    for name in embedders:
        t = time.perf_counter()
        em = TextClassifier(features="embed", embedder=name).fit(Xtr, ytr)
        out[f"{name}_lr"] = {**_scores(yte, em.predict(Xte)), "seconds": round(time.perf_counter() - t, 1)}
    t = time.perf_counter()
    p_vd = LexiconSentiment().fit(None, ytr).predict(Xte, langs=["en"] * len(Xte))
    out["vader"] = {**_scores(yte, p_vd), "seconds": round(time.perf_counter() - t, 1)}
    out["nomagic_minus_tfidf_lr"] = _diff_ci(yte, p_nm, p_tf)
    out["nomagic_minus_vader"] = _diff_ci(yte, p_nm, p_vd)
    out["filer_measured"] = FILER["twitter"]
    out["target_met"] = out["nomagic"]["macro_f1"] >= TARGET["twitter_macro_f1"]
    _log("twitter", {k: v for k, v in out.items() if k != "nomagic"})
    return out


def germeval(embedders) -> dict:
    from sklearn.model_selection import StratifiedKFold

    from nomagic.usecases.language.sentiment import LexiconSentiment
    from nomagic.usecases.language.textclf import TextClassifier

    root = ET.parse(DATA / "german_sentiment" / "dev-2017-09-15.xml").getroot()
    rows = [(d.findtext("text") or "", d.findtext("sentiment") or "") for d in root]
    X = np.asarray([r[0] for r in rows], dtype=object)
    y = np.asarray([r[1] for r in rows], dtype=object)
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    preds = {k: np.empty(len(y), dtype=object) for k in ("nomagic", "tfidf_lr", "textblob_de")}
    kinds = []
    t0 = time.perf_counter()
    lex = LexiconSentiment()
    for i, (a, b) in enumerate(skf.split(X, y)):
        nm = TextClassifier(features="auto", embedder=embedders).fit(X[a], y[a])
        preds["nomagic"][b] = nm.predict(X[b])
        kinds.append(nm.describe())
        preds["tfidf_lr"][b] = TextClassifier(features="tfidf").fit(X[a], y[a]).predict(X[b])
        preds["textblob_de"][b] = lex.fit(None, y[a]).predict(X[b], langs=["de"] * len(b))
        _log(f"germeval fold {i + 1}: {kinds[-1]}")
    out = {
        "rows": int(len(y)),
        "split": "5-fold stratified CV, seed 0",
        "classes": pd.Series(y).value_counts().to_dict(),
    }
    for k, p in preds.items():
        out[k] = _scores(y, p)
    out["nomagic"]["models"] = kinds
    out["seconds"] = round(time.perf_counter() - t0, 1)
    out["nomagic_minus_tfidf_lr"] = _diff_ci(y, preds["nomagic"], preds["tfidf_lr"])
    out["nomagic_minus_textblob_de"] = _diff_ci(y, preds["nomagic"], preds["textblob_de"])
    out["target_met"] = out["nomagic"]["macro_f1"] > max(out["tfidf_lr"]["macro_f1"], out["textblob_de"]["macro_f1"])
    _log("germeval", out)
    return out


def _banking():
    tr = pd.read_csv(DATA / "banking77" / "train.csv")
    te = pd.read_csv(DATA / "banking77" / "test.csv")
    return tr, te


def banking(embedders) -> dict:
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from nomagic.usecases.language.textclf import TextClassifier, tfidf_features

    tr, te = _banking()
    out = {"train": len(tr), "test": len(te), "intents": int(tr["category"].nunique())}
    t = time.perf_counter()
    nm = TextClassifier(features="auto", embedder=embedders).fit(tr["text"].tolist(), tr["category"].to_numpy())
    p_nm = nm.predict(te["text"].tolist())
    out["nomagic"] = {
        **_scores(te["category"], p_nm),
        "seconds": round(time.perf_counter() - t, 1),
        "model": nm.describe(),
    }
    t = time.perf_counter()
    svc = make_pipeline(tfidf_features(), LinearSVC(C=1.0)).fit(tr["text"], tr["category"])
    p_svc = svc.predict(te["text"])
    out["tfidf_linearsvc"] = {**_scores(te["category"], p_svc), "seconds": round(time.perf_counter() - t, 1)}
    out["nomagic_minus_tfidf_linearsvc"] = _diff_ci(te["category"], p_nm, p_svc, "accuracy")
    out["filer_measured"] = FILER["banking77"]
    out["target_met"] = out["nomagic"]["accuracy"] >= TARGET["banking77_accuracy"]
    _log("banking77", out)
    return out


def _banking_unknown(n_unknown: int = 10):
    """Banking77's train/test with ``n_unknown`` intents (seed 0) that training never sees."""
    tr, te = _banking()
    cats = sorted(tr["category"].unique())
    unknown = sorted(np.random.default_rng(0).choice(cats, n_unknown, replace=False).tolist())
    return tr[~tr["category"].isin(unknown)], te, unknown


def _oos_point(truth, pred, conf, thr) -> dict:
    """In-scope accuracy, out-of-scope recall and accuracy when texts below ``thr`` are rejected, and
    the share of known-intent texts actually rejected (``reject_rate`` promises it on held-out texts)."""
    from nomagic.usecases.language import evaluate as ev

    p = np.where(conf >= thr, pred, ev.OOS)
    m = ev.point(truth, p, ("in_scope_accuracy", "oos_recall", "accuracy"))
    m["in_scope_rejected"] = float((conf[truth != ev.OOS] < thr).mean())
    return {k: round(v, 4) for k, v in m.items()}


def oos(embedders, n_unknown: int = 10, reject_rates=(0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2)) -> dict:
    from nomagic.usecases.language import evaluate as ev
    from nomagic.usecases.language.intents import IntentClassifier, soften

    tr_in, te, unknown = _banking_unknown(n_unknown)
    truth = np.where(te["category"].isin(unknown), ev.OOS, te["category"]).astype(object)
    t = time.perf_counter()
    clf = IntentClassifier(features="auto", embedder=embedders, reject_rate=0.1).fit(
        tr_in["text"].tolist(), tr_in["category"].to_numpy()
    )
    fit_s = round(time.perf_counter() - t, 1)
    proba = clf.clf_.predict_proba(te["text"].tolist())
    pred = clf.classes_[proba.argmax(1)]
    conf, plain = soften(proba, clf.temperature).max(axis=1), proba.max(axis=1)
    # in-scope training texts only, out of fold, at the model's temperature
    heldout = soften(clf.clf_.oof_proba_, clf.temperature).max(axis=1)
    curve = []
    for r in reject_rates:
        thr = float(np.quantile(heldout, r))
        curve.append({"reject_rate": r, "threshold": round(thr, 4), **_oos_point(truth, pred, conf, thr)})
    main = next(c for c in curve if c["reject_rate"] == 0.1)
    # the same rule with the probabilities read as they are (temperature 1), paired on the same rows
    thr1 = float(np.quantile(clf.clf_.oof_proba_.max(axis=1), 0.1))
    intervals = ev.bootstrap(
        truth,
        np.where(conf >= main["threshold"], pred, ev.OOS),
        np.where(plain >= thr1, pred, ev.OOS),
        metrics=("in_scope_accuracy", "oos_recall"),
    )
    ok = lambda c: c["oos_recall"] >= TARGET["oos_recall"] and c["in_scope_accuracy"] >= TARGET["oos_in_scope_accuracy"]  # noqa: E731
    out = {
        "unknown_intents": unknown,
        "train_rows": len(tr_in),
        "test_rows": len(te),
        "test_out_of_scope": int((truth == ev.OOS).sum()),
        "calibration": "threshold = reject_rate quantile of the out-of-fold confidence of in-scope training texts",
        "default_reject_rate": 0.1,
        "temperature": clf.temperature,
        "nomagic": {**main, "seconds": round(fit_s, 1), "model": clf.describe()},
        "curve": curve,
        "temperature_1": _oos_point(truth, pred, plain, thr1),
        "intervals_vs_temperature_1": intervals,
        "target_met": ok(main),
        "target_met_at_some_rate": any(ok(c) for c in curve),
    }
    _log("oos", out)
    return out


def oos_temperature(embedders, seeds=(1, 2, 3, 4), temperatures=(1.0, 1.5, 2.0, 3.0), drops=(0.03, 0.04, 0.05)) -> dict:
    """How the default temperature was chosen, on Banking77's *training* rows only.

    Per seed, 10 of the known intents are held out as pseudo-unknown and a stratified quarter of the
    rest as known validation texts; the model is fitted on the remainder. For each temperature: the
    out-of-scope recall reachable while the in-scope accuracy stays within ``d`` of the model's
    accuracy without rejection. The choice is the best mean at d = 0.04 (about the gap between
    Banking77's accuracy and the 0.9 bar); the test set is not used.
    """
    from sklearn.model_selection import train_test_split

    from nomagic.usecases.language import evaluate as ev
    from nomagic.usecases.language.intents import IntentClassifier, soften

    tr_in, _, _ = _banking_unknown()
    known = sorted(tr_in["category"].unique())
    runs = []
    for seed in seeds:
        pseudo = sorted(np.random.default_rng(seed).choice(known, 10, replace=False).tolist())
        rest = tr_in[~tr_in["category"].isin(pseudo)]
        fit, val_in = train_test_split(rest, test_size=0.25, stratify=rest["category"], random_state=0)
        val = pd.concat([val_in, tr_in[tr_in["category"].isin(pseudo)]])
        truth = np.where(val["category"].isin(pseudo), ev.OOS, val["category"]).astype(object)
        clf = IntentClassifier(features="auto", embedder=embedders, temperature=1.0).fit(
            fit["text"].tolist(), fit["category"].to_numpy()
        )
        proba = clf.clf_.predict_proba(val["text"].tolist())
        pred = clf.classes_[proba.argmax(1)].astype(object)
        base = float((pred == truth)[truth != ev.OOS].mean())
        row = {"seed": seed, "pseudo_unknown": pseudo, "accuracy_without_rejection": round(base, 4)}
        for T in temperatures:
            conf = soften(proba, T).max(axis=1)
            pts = [_oos_point(truth, pred, conf, t) for t in np.unique(np.quantile(conf, np.linspace(0, 0.4, 401)))]
            row[f"T{T:g}"] = {
                f"recall_within_{d:g}": max(
                    [p["oos_recall"] for p in pts if p["in_scope_accuracy"] >= base - d], default=0.0
                )
                for d in drops
            }
        runs.append(row)
        _log(f"oos_temperature seed {seed}", row)
    mean = {
        f"T{T:g}": {
            k: round(float(np.mean([r[f"T{T:g}"][k] for r in runs])), 4) for k in runs[0][f"T{temperatures[0]:g}"]
        }
        for T in temperatures
    }
    chosen = max(temperatures, key=lambda T: mean[f"T{T:g}"]["recall_within_0.04"])
    return {"runs": runs, "mean": mean, "chosen_temperature": chosen}


def faq_intents(embedders) -> dict:
    """The FAQ assistant with and without past questions, on Banking77 as a help desk.

    The FAQ has one entry per known intent (67; its question is the intent's first training text);
    the other training texts are the past questions labelled with their entry. Test questions of the
    10 unknown intents should be handed off. Retrieval alone vs retrieval + the intent classifier.
    """
    from nomagic.usecases.language.faq import FaqAssistant

    tr_in, te, unknown = _banking_unknown()
    first = tr_in.groupby("category", sort=True).head(1)
    entries = [
        {"id": c, "question": q, "answer": f"(the answer for {c})", "lang": "en"}
        for c, q in zip(first["category"], first["text"], strict=True)
    ]
    past = tr_in.drop(first.index)
    truth = np.where(te["category"].isin(unknown), None, te["category"]).astype(object)
    known = truth != None  # noqa: E711
    out = {"entries": len(entries), "past_questions": len(past), "test_questions": len(te), "embedder": "use"}
    t = time.perf_counter()
    bots = {
        "retrieval": FaqAssistant(entries, embedder="use"),
        "retrieval_and_intents": FaqAssistant(
            entries, embedder="use", examples=list(zip(past["text"], past["category"], strict=True))
        ),
    }
    out["build_seconds"] = round(time.perf_counter() - t, 1)
    for name, bot in bots.items():
        answers = [bot.ask(q) for q in te["text"]]
        source = np.array([a.source for a in answers], dtype=object)
        ms = np.array([a.seconds for a in answers]) * 1000
        out[name] = {
            "known_answered_right": round(float((source[known] == truth[known]).mean()), 4),
            "known_answered_wrong": round(float(((source[known] != None) & (source[known] != truth[known])).mean()), 4),  # noqa: E711
            "known_handed_off": round(float((source[known] == None).mean()), 4),  # noqa: E711
            "unknown_handed_off": round(float((source[~known] == None).mean()), 4),  # noqa: E711
            "decided_by_intent": round(float(np.mean([a.method == "intent" for a in answers])), 4),
            "latency_ms": {"p50": round(float(np.median(ms)), 2), "p95": round(float(np.quantile(ms, 0.95)), 2)},
        }
        _log(f"faq_intents {name}", out[name])
    return out


FAQ_QUESTIONS = [
    ("When will my order arrive?", "delivery", "en"),
    ("How many days does shipping take?", "delivery", "en"),
    ("Where can I follow my package?", "delivery", "en"),
    ("Wie lange braucht die Lieferung?", "delivery", "de"),
    ("Kann ich die Sendung verfolgen?", "delivery", "de"),
    ("I want to send a jacket back", "return", "en"),
    ("Wie kann ich etwas zurückschicken?", "return", "de"),
    ("Can I swap for a bigger size?", "return", "en"),
    ("Can I pay with PayPal?", "payment", "en"),
    ("Welche Zahlungsmethoden akzeptiert ihr?", "payment", "de"),
    ("When is my money refunded?", "payment", "en"),
    ("Wann erhalte ich meine Erstattung?", "payment", "de"),
    ("I forgot my password", "account", "en"),
    ("Wie kann ich mein Passwort ändern?", "account", "de"),
    ("How do I stop the newsletter?", "account", "en"),
    ("Newsletter abbestellen", "account", "de"),
    ("What size should I order?", "product", "en"),
    ("Wie wasche ich meinen Wollpullover?", "product", "de"),
    ("My parcel arrived broken", "complaint", "en"),
    ("Wie erreiche ich euren Kundendienst?", "complaint", "de"),
]
UNRELATED = [
    "What is the capital of France?",
    "Do you sell bicycles?",
    "Can you recommend a good restaurant in Berlin?",
    "Wie wird das Wetter morgen?",
    "Ich möchte einen Tisch reservieren",
    "Wer hat die Fußball-WM 2014 gewonnen?",
    "How do I cook pasta?",
    "Was kostet ein Bahnticket nach Hamburg?",
]


def faq(embedders) -> dict:
    from nomagic.simulate.texts import FAQ
    from nomagic.usecases.language.faq import FaqAssistant

    recs = [
        {"id": f"{lg}-{i + 1}", "question": q, "answer": a, "lang": lg, "topic": topic}
        for lg in FAQ
        for i, (topic, q, a) in enumerate(FAQ[lg])
    ]
    topic_of = {r["id"]: r["topic"] for r in recs}
    t = time.perf_counter()
    bot = FaqAssistant(recs, embedder=embedders[0])
    build_s = time.perf_counter() - t
    rows, lat = [], []
    for rep in range(5):  # five passes for stable latency figures
        lat_pass = []
        for q, topic, _lang in FAQ_QUESTIONS + [(u, None, None) for u in UNRELATED]:
            a = bot.ask(q)
            lat_pass.append(a.seconds * 1000)
            if rep == 0:
                rows.append(
                    {
                        "question": q,
                        "expected_topic": topic,
                        "answered_topic": topic_of.get(a.source),
                        "source": a.source,
                        "handoff": a.handoff,
                        "same_language": (a.source or "").split("-")[0] == a.lang if a.source else None,
                        "score": round(a.confidence, 3),
                    }
                )
        lat += lat_pass
    known = [r for r in rows if r["expected_topic"]]
    unrel = [r for r in rows if not r["expected_topic"]]
    out = {
        "entries": len(recs),
        "embedder": bot.embedder.name if bot.embedder else None,
        "threshold": bot.threshold,
        "answered_right_topic": sum(r["answered_topic"] == r["expected_topic"] for r in known),
        "answered_wrong_topic": sum((not r["handoff"]) and r["answered_topic"] != r["expected_topic"] for r in known),
        "handed_off_known": sum(r["handoff"] for r in known),
        "known_questions": len(known),
        "handed_off_unrelated": sum(r["handoff"] for r in unrel),
        "unrelated_questions": len(unrel),
        "latency_ms": {
            "p50": round(float(np.percentile(lat, 50)), 2),
            "p95": round(float(np.percentile(lat, 95)), 2),
            "max": round(float(np.max(lat)), 2),
            "questions": len(lat),
        },
        "build_seconds": round(build_s, 2),
        "answers": rows,
    }
    out["target_met"] = out["latency_ms"]["p95"] < TARGET["faq_p95_ms"]
    _log("faq", {k: v for k, v in out.items() if k != "answers"})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedders", default="use", help="comma-separated: use, e5")
    ap.add_argument("--only", default="twitter,germeval,banking,oos,faq")
    args = ap.parse_args(argv)
    embedders = [e.strip() for e in args.embedders.split(",") if e.strip()]
    warnings.filterwarnings("ignore")
    parts = [p.strip() for p in args.only.split(",")]
    prev = json.loads(OUT.read_text()) if OUT.exists() else {}
    res = {
        "bench": "language",
        "command": "nice python bench/language.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "embedders": embedders,
        "targets": TARGET,
    }
    fns = {
        "twitter": twitter,
        "germeval": germeval,
        "banking": banking,
        "oos": oos,
        "oos_temperature": oos_temperature,
        "faq": faq,
        "faq_intents": faq_intents,
    }
    for p in fns:
        if p in prev:
            res[p] = prev[p]
    t0 = time.perf_counter()
    for p in parts:
        res[p] = fns[p](embedders)
        res[p]["embedders"] = embedders
        res[p]["command"] = res["command"]
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text(json.dumps(res, indent=2, default=str) + "\n")
    res["seconds"] = round(time.perf_counter() - t0, 1)
    OUT.write_text(json.dumps(res, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
