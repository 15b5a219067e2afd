"""Brand monitoring on real tweets: topic quality and spike alerts, side by side with the usual rules.

Data: Twitter US airline sentiment (../shared/data/twitter_airline_sentiment/Tweets.csv; 14,640
tweets about six airlines over eight days of February 2015). Written to bench/results/monitor.json:

1. **Topics** -- the negative tweets whose complaint reason is known (annotators' ``negativereason``,
   "Can't Tell" left out) are clustered *without* those labels; agreement with them is measured by
   NMI and adjusted Rand index. nomagic (sentence embeddings, k-means, k chosen by silhouette; and at
   k = the number of reasons) next to TF-IDF + k-means and LDA (scikit-learn) at the same k.
   The same on German: GermEval 2017 dev documents about Deutsche Bahn with exactly one aspect
   category other than "Allgemein", categories with >= 20 documents.
2. **Spike alerts** -- real hourly series per airline (American left out: its collection starts on
   Feb 22). Into each series a burst of ``size x`` the series' median hourly volume is injected at a
   random hour after the first two days (200 trials per size, seed 0); recall = share of bursts
   alerted in that hour. Alerts on the *un-injected* real series per airline-day are reported as well
   (an upper bound on false alarms: the real series hold real events). nomagic's rule (past-only
   level, time-of-day pattern, over-dispersion; default z >= 5, also 3 and 4) next to the common
   dashboard rule "more than twice the trailing 24-hour mean" (also 3x and 4x): compare recall at
   equal alert rates.

Run: ``nice python bench/monitor.py``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
OUT = HERE / "results" / "monitor.json"


def _log(*a):
    print(*a, file=sys.stderr, flush=True)


def _agreement(truth, labels) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
    }


def _baselines(texts: list[str], truth, k: int, stop_words) -> dict:
    """TF-IDF + k-means and LDA at the same k, on the same cleaned texts."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    from nomagic.usecases.language.topics import clean

    cleaned = [clean(x) for x in texts]
    out = {}
    t = time.perf_counter()
    X = TfidfVectorizer(stop_words=stop_words, min_df=2, sublinear_tf=True).fit_transform(cleaned)
    lab = KMeans(k, n_init=4, random_state=0).fit_predict(X)
    out["tfidf_kmeans"] = {**_agreement(truth, lab), "k": k, "seconds": round(time.perf_counter() - t, 1)}
    t = time.perf_counter()
    C = CountVectorizer(stop_words=stop_words, min_df=2).fit_transform(cleaned)
    theta = LatentDirichletAllocation(k, random_state=0).fit_transform(C)
    out["lda"] = {**_agreement(truth, theta.argmax(1)), "k": k, "seconds": round(time.perf_counter() - t, 1)}
    _log("baselines", out)
    return out


def topics_german() -> dict:
    """GermEval 2017 dev: documents with exactly one aspect category other than 'Allgemein' (general),
    categories with at least 20 such documents; the category is the truth the topics never see."""
    import xml.etree.ElementTree as ET

    from nomagic.usecases.language.topics import _stop_words, find_topics

    root = ET.parse(HERE.parent.parent / "shared" / "data" / "german_sentiment" / "dev-2017-09-15.xml").getroot()
    rows = []
    for d in root.iter("Document"):
        cats = {o.get("category").split("#")[0] for o in d.iter("Opinion")}
        if len(cats) == 1 and "Allgemein" not in cats:
            rows.append((d.findtext("text") or "", next(iter(cats))))
    df = pd.DataFrame(rows, columns=["text", "aspect"]).drop_duplicates("text")
    df = df[df["aspect"].map(df["aspect"].value_counts()) >= 20]
    texts, truth = df["text"].tolist(), df["aspect"].to_numpy()
    k = int(df["aspect"].nunique())
    out = {"documents": len(texts), "aspects": df["aspect"].value_counts().to_dict()}
    t = time.perf_counter()
    fixed = find_topics(texts, k=k, exclude=["Bahn", "DB", "Deutsche Bahn"])
    out["nomagic_k"] = {
        **_agreement(truth, fixed.labels),
        "k": k,
        "labels": [x["label"] for x in fixed.topics],
        "seconds": round(time.perf_counter() - t, 1),
    }
    _log("german nomagic k", out["nomagic_k"])
    out.update(_baselines(texts, truth, k, _stop_words([])))
    return out


def topics(df: pd.DataFrame) -> dict:
    from nomagic.usecases.language.topics import find_topics

    neg = df[(df["airline_sentiment"] == "negative") & df["negativereason"].notna()]
    neg = neg[neg["negativereason"] != "Can't Tell"].drop_duplicates("text")
    texts, truth = neg["text"].tolist(), neg["negativereason"].to_numpy()
    k = int(pd.Series(truth).nunique())
    exclude = df["airline"].unique().tolist()
    out = {"tweets": len(texts), "reasons": k, "reason_counts": pd.Series(truth).value_counts().to_dict()}
    t = time.perf_counter()
    auto = find_topics(texts, exclude=exclude)
    out["nomagic_auto"] = {
        **_agreement(truth, auto.labels),
        "k": len(auto.topics),
        "k_choice": auto.k_choice,
        "labels": [x["label"] for x in auto.topics],
        "seconds": round(time.perf_counter() - t, 1),
    }
    _log("nomagic auto", out["nomagic_auto"])
    t = time.perf_counter()
    fixed = find_topics(texts, k=k, exclude=exclude)
    out["nomagic_k"] = {
        **_agreement(truth, fixed.labels),
        "k": k,
        "labels": [x["label"] for x in fixed.topics],
        "seconds": round(time.perf_counter() - t, 1),
    }
    _log("nomagic k", out["nomagic_k"])
    out.update(_baselines(texts, truth, k, "english"))
    return out


def _hourly(df: pd.DataFrame) -> dict[str, np.ndarray]:
    t = pd.to_datetime(df["tweet_created"], utc=True).dt.tz_convert(None).dt.floor("h")
    idx = pd.date_range(t.min(), t.max(), freq="h")
    return {
        a: df.assign(h=t)[df["airline"] == a].groupby("h").size().reindex(idx, fill_value=0).to_numpy()
        for a in sorted(df["airline"].unique())
        if a != "American"
    }


def _naive(times: float):
    def rule(c: np.ndarray) -> set[int]:
        """The usual dashboard rule: more than ``times`` the trailing 24-hour mean (and at least 10)."""
        return {t for t in range(24, c.size) if c[t] >= 10 and c[t] > times * c[t - 24 : t].mean()}

    return rule


def _nomagic(z: float):
    from nomagic.usecases.language.spikes import count_spikes

    return lambda c: {a["index"] for a in count_spikes(c, window=168, cycle=24, z=z)}


def spikes(df: pd.DataFrame, sizes=(0.5, 1.0, 2.0, 3.0), trials: int = 200) -> dict:
    series = _hourly(df)
    rng = np.random.default_rng(0)
    # the defaults (nomagic z = 5, naive 2x) and neighbours, to compare recall at equal alert rates
    rules = {f"nomagic_z{z:g}": _nomagic(z) for z in (3, 4, 5)} | {f"naive_{m:g}x_24h": _naive(m) for m in (2, 3, 4)}
    days = sum(c.size for c in series.values()) / 24
    out = {
        "airlines": list(series),
        "hours_per_airline": int(next(iter(series.values())).size),
        "alerts_on_real_series_per_airline_day": {
            name: round(sum(len(rule(c)) for c in series.values()) / days, 3) for name, rule in rules.items()
        },
        "recall": {},
    }
    for size in sizes:
        hits = dict.fromkeys(rules, 0)
        for _ in range(trials):
            a = list(series)[rng.integers(len(series))]
            c = series[a].copy()
            t = int(rng.integers(48, c.size))
            c[t] += max(1, int(round(size * np.median(series[a]))))
            for name, rule in rules.items():
                hits[name] += t in rule(c)
        out["recall"][f"{size:g}x_median_hour"] = {k: round(v / trials, 3) for k, v in hits.items()}
        _log("size", size, out["recall"][f"{size:g}x_median_hour"])
    return out


def main() -> int:
    warnings.filterwarnings("ignore")
    df = pd.read_csv(DATA)
    t0 = time.perf_counter()
    res = {
        "bench": "monitor",
        "command": "nice python bench/monitor.py",
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "spikes": spikes(df),
        "topics": topics(df),
        "topics_german": topics_german(),
    }
    res["seconds"] = round(time.perf_counter() - t0, 1)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2, default=str) + "\n")
    _log(json.dumps({k: v for k, v in res.items() if k != "topics"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
