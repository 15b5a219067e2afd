"""Uplift targeting on the warehouse: whom to contact, from past randomised campaigns.

* **Units**: messages (customer x campaign) with a randomised control group (``in_control``);
  treatment = the customer was sent the message, outcome = a conversion within
  ``window_days`` of sending.
* **Features**: the shared customer features (:mod:`nomagic.usecases.features`) computed at the
  first day of the month of sending -- strictly before the send, so nothing leaks from the
  campaign itself -- plus the campaign's type when the campaigns table has one. Sensitive
  attributes (gender, age band) are not used for targeting.
* **Split**: by time. Test = the messages of the last ``test_days`` whose conversion window has
  closed; train = the ``train_days`` before them.
* **Scores** (table ``uplift_scores``): every customer who allows profiling and e-mail, with the
  predicted effect of a message, the rank, whether the budget share would contact them, and the
  sleeping-dog flag (a negative predicted effect).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle.record import fingerprint_frame
from nomagic.privacy import consent
from nomagic.usecases import features as F
from nomagic.usecases.uplift.evaluate import UpliftEvaluation, evaluate_frames, not_ready_record
from nomagic.usecases.uplift.learners import AutoUplift
from nomagic.warehouse.readiness import Requirements
from nomagic.words import Text, say

Progress = Callable[[float, str], None]
SCORES_TABLE = "uplift_scores"
SENSITIVE = ("gender", "age_band")


def _month_start(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.normalize().replace(day=1)


def email_history(wh, as_of: pd.Timestamp, machine_seconds: float = F.MACHINE_OPEN_SECONDS) -> pd.DataFrame:
    """Per customer, every e-mail before ``as_of``: sends, human opens and clicks, and their rates.

    An e-mail's effect depends on whether the customer reads e-mail at all, which three months of
    sends cannot tell; the whole history can. Opens within ``machine_seconds`` of sending are
    mail-privacy proxies or scanners, not people, and are not counted.
    """
    import ibis

    m = wh.table("messages")
    cut = ibis.literal(as_of.to_pydatetime(), type="timestamp")
    m = m.filter((m.sent_at < cut) & m.customer_id.notnull() & ~m.in_control.fill_null(False))
    seen_open = m.opened_at.notnull() & (m.opened_at < cut)
    human = seen_open & ((m.opened_at.epoch_seconds() - m.sent_at.epoch_seconds()) > machine_seconds)
    clicked = m.clicked_at.notnull() & (m.clicked_at < cut)
    agg = m.group_by(m.customer_id).aggregate(
        sends_ever=m.count(),
        human_opens_ever=human.cast("int64").sum(),
        clicks_ever=clicked.cast("int64").sum(),
    )
    df = agg.execute().rename(columns={"customer_id": F.UNIT})
    # shrunk towards the population's rates, so that one send is not a 0 % or 100 % reader
    sends = df["sends_ever"].astype(float)
    for col, out in (("human_opens_ever", "human_open_rate"), ("clicks_ever", "click_rate")):
        prior = df[col].sum() / max(sends.sum(), 1.0)
        df[out] = (df[col] + 2.0 * prior) / (sends + 2.0)
    return df


class Uplift:
    """Uplift targeting: the effect of an e-mail on each customer's conversion, learned from control groups."""

    name: ClassVar[str] = "uplift"
    title: ClassVar[str] = say("Uplift targeting", "Uplift-Targeting")
    question: ClassVar[str] = say(
        "Whom should the next campaign contact, so that the contact changes what they do?",
        "Wen soll die nächste Kampagne ansprechen, damit der Kontakt ihr Verhalten ändert?",
    )
    primary_metric: ClassVar[str] = "qini_auc"
    requires: ClassVar[Requirements] = Requirements(
        tables={
            "messages": ["customer_id", "campaign_id", "sent_at", "in_control", "converted_at"],
            "customers": ["customer_id", "created_at"],
            "orders": ["customer_id", "ordered_at", "revenue"],
        },
        min_history_days=120,
        min_units=200,
        units="messages.customer_id",
        history_tables=("messages",),
        description=say(
            "messages with randomised control groups over at least 120 days",
            "Nachrichten mit randomisierten Kontrollgruppen über mindestens 120 Tage",
        ),
    )

    def __init__(
        self,
        *,
        window_days: int = 7,
        test_days: int = 90,
        train_days: int = 180,
        n_boot: int = 500,
        seed: int = 0,
        budget_share: float = 0.3,
    ):
        self.window_days = window_days
        self.test_days = test_days
        self.train_days = train_days
        self.n_boot = n_boot
        self.seed = seed
        self.budget_share = budget_share

    def config(self) -> dict:
        return {
            k: getattr(self, k) for k in ("window_days", "test_days", "train_days", "n_boot", "seed", "budget_share")
        }

    # ------------------------------------------------------------------ data
    def messages(self, wh, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Messages sent in [start, end): customer, campaign, time, treatment, 0/1 conversion in the window."""
        m = wh.table("messages")
        lo, hi = start.to_pydatetime(), end.to_pydatetime()
        m = m.filter((m.sent_at >= lo) & (m.sent_at < hi) & m.customer_id.notnull())
        import ibis

        window = ibis.interval(days=self.window_days)
        conv = m.converted_at.notnull() & (m.converted_at >= m.sent_at) & (m.converted_at < m.sent_at + window)
        cols = {
            "customer_id": m.customer_id,
            "campaign_id": m.campaign_id,
            "sent_at": m.sent_at,
            "treatment": (~m.in_control.fill_null(False)).cast("int64"),
            "label": conv.cast("int64"),
        }
        t = m.select(**cols)
        if "campaigns" in wh.tables() and "type" in wh.table("campaigns").columns:
            c = wh.table("campaigns")
            t = t.left_join(c.select(c.campaign_id, campaign_type=c.type), "campaign_id").drop("campaign_id_right")
        return t.execute()

    def frame(self, wh, start: pd.Timestamp, end: pd.Timestamp, progress: Progress | None = None) -> pd.DataFrame:
        """Messages in [start, end) with the customer features at the first day of their month."""
        msgs = self.messages(wh, start, end)
        if msgs.empty:
            return msgs
        msgs["sent_at"] = pd.to_datetime(msgs["sent_at"])
        msgs["_month"] = msgs["sent_at"].map(_month_start)
        msgs["_row"] = range(len(msgs))
        parts = []
        months = sorted(msgs["_month"].unique())
        for i, month in enumerate(months):
            if progress:
                progress(
                    i / len(months), say("customer features at {m}", "Kundenmerkmale zum {m}", m=pd.Timestamp(month))
                )
            feats = self.customer_frame(wh, pd.Timestamp(month))
            sub = msgs[msgs["_month"] == month].merge(feats, left_on="customer_id", right_on=F.UNIT, how="inner")
            parts.append(sub.drop(columns=[F.UNIT, "_month"]))
        out = pd.concat(parts, ignore_index=True)
        # messages without features: customers without profiling consent (never profiled, by design) or
        # customers who signed up after the first of the month (not yet customers at the feature date)
        missing = msgs[~msgs["_row"].isin(out["_row"])]
        out = out.drop(columns="_row")
        c = wh.table("customers")
        created = c.select(c.customer_id, c.created_at).execute().set_index("customer_id")["created_at"]
        new = pd.to_datetime(created.reindex(missing["customer_id"]).to_numpy()) >= missing["_month"].to_numpy()
        out.attrs["left_out"] = {"new": int(new.sum()), "no_consent": int((~new).sum())}
        return out

    @staticmethod
    def _left_out_words(*frames: pd.DataFrame) -> list[Text]:
        new = sum(f.attrs.get("left_out", {}).get("new", 0) for f in frames)
        no_consent = sum(f.attrs.get("left_out", {}).get("no_consent", 0) for f in frames)
        out = []
        if no_consent:
            out.append(
                say(
                    "{n:,} messages to customers without profiling consent (or missing from the customers table) were "
                    "left out: they are never profiled",
                    "{n:,} Nachrichten an Kunden ohne Einwilligung ins Profiling (oder ohne Eintrag in der Tabelle "
                    "customers) wurden ausgelassen: Sie werden nie profiliert",
                    n=no_consent,
                )
            )
        if new:
            out.append(
                say(
                    "{n:,} messages to customers who signed up after the first day of the month of sending were left "
                    "out: the features are taken at that day, when they were not yet customers",
                    "{n:,} Nachrichten an Kunden, die sich nach dem Ersten des Versandmonats angemeldet haben, wurden "
                    "ausgelassen: Die Merkmale werden an diesem Tag erhoben, als sie noch keine Kunden waren",
                    n=new,
                )
            )
        return out

    def customer_frame(self, wh, as_of: pd.Timestamp) -> pd.DataFrame:
        """The shared customer features at ``as_of`` plus the customer's whole e-mail history."""
        feats = F.customer_features(wh, as_of.to_pydatetime(), sensitive=SENSITIVE).execute()
        return feats.merge(email_history(wh, as_of), on=F.UNIT, how="left").fillna(
            {"sends_ever": 0, "human_opens_ever": 0, "clicks_ever": 0}
        )

    @staticmethod
    def feature_columns(df: pd.DataFrame) -> list[str]:
        return [c for c in df.columns if c not in ("customer_id", "campaign_id", "sent_at", "treatment", "label")]

    def _range(self, wh) -> tuple[pd.Timestamp, pd.Timestamp]:
        m = wh.table("messages")
        row = m.aggregate(a=m.sent_at.min(), b=m.sent_at.max()).execute().iloc[0]
        if pd.isna(row["a"]):
            raise NotReadyError(say("the messages table is empty", "Die Tabelle messages ist leer"))
        return pd.Timestamp(row["a"]), pd.Timestamp(row["b"])

    def split_dates(self, wh) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
        first, last = self._range(wh)
        test_end = (last - pd.Timedelta(days=self.window_days)).normalize()
        test_start = test_end - pd.Timedelta(days=self.test_days)
        train_start = max(first.normalize(), test_start - pd.Timedelta(days=self.train_days))
        if (test_start - train_start).days < 30:
            raise NotReadyError(
                say(
                    "the messages span {a} to {b}; uplift needs at least {d} days of sends for a time split",
                    "Die Nachrichten reichen vom {a} bis {b}; Uplift braucht für eine zeitliche Aufteilung mindestens "
                    "{d} Tage mit Sendungen",
                    a=first,
                    b=last,
                    d=self.test_days + self.window_days + 30,
                )
            )
        return train_start, test_start, test_end

    # ------------------------------------------------------------------ lifecycle
    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> UpliftEvaluation:
        tick = progress or (lambda f, m: None)
        data = {"source": source or f"{getattr(wh, 'url', 'warehouse')}#messages", "fingerprint": None, "rows": None}
        split = {"kind": "time", "window_days": self.window_days}
        try:
            train_start, test_start, test_end = self.split_dates(wh)
            split.update(
                train_from=f"{train_start:%Y-%m-%d}", test_from=f"{test_start:%Y-%m-%d}", test_to=f"{test_end:%Y-%m-%d}"
            )
            train = self.frame(wh, train_start, test_start, lambda f, m: tick(0.25 * f, m))
            test = self.frame(wh, test_start, test_end, lambda f, m: tick(0.25 + 0.1 * f, m))
            if train.empty or test.empty:
                raise NotReadyError(
                    say(
                        "no messages to learn from or to test on in the split's periods",
                        "In den Zeiträumen der Aufteilung gibt es keine Nachrichten zum Lernen oder Testen",
                    )
                )
            data["rows"] = int(len(train) + len(test))
            data["fingerprint"] = fingerprint_frame(pd.concat([train, test])[["customer_id", "treatment", "label"]])
            split.update(train_rows=int(len(train)), test_rows=int(len(test)))
            cols = self.feature_columns(train)
            ev = evaluate_frames(
                train[cols],
                train["treatment"],
                train["label"],
                test[cols],
                test["treatment"],
                test["label"],
                data=data,
                split=split,
                n_boot=self.n_boot,
                seed=self.seed,
                budget_share=self.budget_share,
                progress=lambda f, m: tick(0.35 + 0.65 * f, m),
            )
            ev.test = pd.concat([test[["customer_id", "campaign_id", "sent_at"]], ev.test], axis=1)
            ev.record["warnings"] = [*(ev.record.get("warnings") or []), *self._left_out_words(train, test)]
            return ev
        except NotReadyError as exc:
            return UpliftEvaluation(record=not_ready_record(exc.args[0] if exc.args else str(exc), data, split))

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate on the time split; the record, and the model fitted on the training period."""
        from nomagic.lifecycle.usecase import TrainResult

        ev = self.evaluate(wh, progress=progress, source=source)
        return TrainResult(
            record=ev.record,
            model=ev.model.chosen_ if ev.model is not None else None,
            baseline=ev.baseline,
            plan=None,
            predictions=ev.test,
            config=self.config(),
        )

    def score(self, wh, as_of=None, *, progress: Progress | None = None) -> pd.DataFrame:
        """Predicted effect of a message for every customer at ``as_of`` (default: the last send)."""
        tick = progress or (lambda f, m: None)
        first, last = self._range(wh)
        end = pd.Timestamp(as_of) if as_of is not None else last
        learn_end = (end - pd.Timedelta(days=self.window_days)).normalize()
        learn_start = max(first.normalize(), learn_end - pd.Timedelta(days=self.train_days + self.test_days))
        train = self.frame(wh, learn_start, learn_end, lambda f, m: tick(0.5 * f, m))
        if train.empty:
            raise NotReadyError(
                say(
                    "no messages with a closed conversion window to learn from",
                    "Keine Nachrichten mit abgeschlossenem Conversion-Fenster zum Lernen",
                )
            )
        cols = self.feature_columns(train)
        tick(0.5, say("choosing and fitting the uplift learner", "Uplift-Verfahren wählen und anpassen"))
        auto = AutoUplift(seed=self.seed).fit(train[cols], train["treatment"], train["label"])
        tick(0.85, say("scoring customers", "Kunden bewerten"))
        feats = self.customer_frame(wh, end)
        # a target list is a profile used for e-mail: the consent policy decides who may be on it
        feats, _left = consent.keep_allowed(wh, feats, (consent.PROFILING, consent.EMAIL), id_col=F.UNIT)
        if "campaign_type" in cols:
            feats["campaign_type"] = train["campaign_type"].mode().iloc[0]
        u = auto.predict_uplift(feats[cols])
        out = pd.DataFrame({"customer_id": feats[F.UNIT].astype(str).to_numpy(), "as_of": end, "uplift": u})
        out["rank"] = out["uplift"].rank(ascending=False, method="first").astype(int)
        out["contact"] = (out["rank"] <= round(self.budget_share * len(out))) & (out["uplift"] > 0)
        out["sleeping_dog"] = out["uplift"] < 0
        out["model"] = str(auto.chosen_.words)  # a table column: plain English
        tick(1.0, say("done", "fertig"))
        out = out.sort_values("rank").reset_index(drop=True)
        out.attrs["model_words"] = auto.chosen_.words  # the Text, for people (the column is plain English)
        return out
