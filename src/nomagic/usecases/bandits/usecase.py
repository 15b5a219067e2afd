"""The subject-line bandit on the warehouse: would Thompson sampling have sent better subject lines?

* **Data**: the ``messages`` table (campaign_id, sent_at, variant, in_control, opened_at or
  clicked_at, propensity): the sends of randomised A/B/C tests, each with the probability of its
  variant. Control rows (nothing sent) are left out; a variant's propensity is taken *given that
  something was sent* (its propensity divided by one minus the campaign's control share).
* **The new policy**: in every campaign, Thompson sampling learns from the first ``learn_share`` of
  the sends (in time order) and then chooses each later send's subject line with the probability
  that it is the best (2 % exploration share, ``DEFAULT_EXPLORATION``). The stopping rule says for each campaign whether the
  first part already made us 95 % sure that no variant is more than 1 % better.
* **Evaluation**: on the later sends only, off-policy (IPS, self-normalised IPS, direct method and
  doubly robust with a per-campaign-and-variant reward model) against the logged random policy, with
  paired bootstrap 95 % intervals. The verdict rests on the doubly robust estimate.

Examples
--------
>>> Bandits.name, Bandits.primary_metric
('bandits', 'value_dr')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.bandits.ope import POLICY_METRICS, off_policy_value
from nomagic.usecases.bandits.policies import DEFAULT_EXPLORATION, ThompsonSampling
from nomagic.usecases.bandits.stopping import stopping_rule
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

Progress = Callable[[float, str], None]

REWARDS = {"opened": "opened_at", "clicked": "clicked_at"}
REWARD_WORDS = {"opened": say("opens", "Öffnungen"), "clicked": say("clicks", "Klicks")}


def sends(wh, reward: str = "opened") -> pd.DataFrame:
    """The sent messages: message, campaign, time, variant, propensity given that something was sent, reward."""
    if reward not in REWARDS:
        raise NotReadyError(
            say(
                "unknown reward {r!r}; choose {c}",
                "Unbekannte Belohnung {r!r}; zur Wahl stehen {c}",
                r=reward,
                c=", ".join(REWARDS),
            )
        )
    m = wh.table("messages")
    col = REWARDS[reward]
    ctrl = m.filter(m.in_control.fill_null(False)).group_by(m.campaign_id).aggregate(control_p=m.propensity.max())
    sent = m.filter(~m.in_control.fill_null(False) & m.variant.notnull() & m.sent_at.notnull())
    sent = sent.select(
        message_id=sent.message_id,
        campaign_id=sent.campaign_id,
        sent_at=sent.sent_at,
        variant=sent.variant,
        propensity=sent.propensity,
        reward=sent[col].notnull().cast("float64"),
    )
    df = (
        sent.left_join(ctrl, "campaign_id")
        .select("message_id", "campaign_id", "sent_at", "variant", "propensity", "reward", "control_p")
        .execute()
    )
    if df.empty:
        raise NotReadyError(
            say(
                "the messages table holds no sent messages with a variant",
                "Die Tabelle messages enthält keine versendeten Nachrichten mit einer Variante",
            )
        )
    df["control_p"] = df["control_p"].fillna(0.0)
    df["propensity"] = df["propensity"] / (1.0 - df["control_p"])
    return df


class Bandits:
    """E-mail subject lines chosen by Thompson sampling, judged off-policy against the logged A/B/C split.

    Parameters
    ----------
    reward : ``opened`` (subject lines move opens) or ``clicked``.
    learn_share : share of each campaign's sends (the earliest) that the bandit learns from.
    exploration : the bandit's uniform share (propensity floor = exploration / variants).
    min_sends : campaigns with fewer sends are left out.
    threshold, confidence : the stopping rule ("confidence sure that no variant is more than
        threshold better", relative).
    n_boot, seed : the bootstrap.
    settle_days : sends in the last days of the data are left out (their opens may not be in yet).
    """

    name: ClassVar[str] = "bandits"
    title: ClassVar[str] = say("Subject lines (bandit)", "Betreffzeilen (Bandit)")
    question: ClassVar[str] = say(
        "Would a Thompson-sampling bandit have chosen better e-mail subject lines than the random A/B/C split?",
        "Hätte ein Thompson-Sampling-Bandit bessere E-Mail-Betreffzeilen gewählt als die zufällige A/B/C-Aufteilung?",
    )
    primary_metric: ClassVar[str] = "value_dr"
    requires: ClassVar[Requirements] = Requirements(
        tables={
            "messages": ["message_id", "campaign_id", "sent_at", "variant", "in_control", "opened_at", "propensity"]
        },
        min_history_days=0,
        min_units=1,
        units="messages.campaign_id",
        history_tables=("messages",),
        description=say(
            "randomised subject-line tests: sends with their variant and its propensity",
            "randomisierte Betreffzeilen-Tests: Sendungen mit ihrer Variante und deren Propensity",
        ),
    )

    def __init__(
        self,
        *,
        reward: str = "opened",
        learn_share: float = 0.5,
        exploration: float = DEFAULT_EXPLORATION,
        min_sends: int = 100,
        threshold: float = 0.01,
        confidence: float = 0.95,
        n_boot: int = 1000,
        seed: int = 0,
        settle_days: int = 3,
    ):
        self.reward = reward
        self.learn_share = learn_share
        self.exploration = exploration
        self.min_sends = min_sends
        self.threshold = threshold
        self.confidence = confidence
        self.n_boot = n_boot
        self.seed = seed
        self.settle_days = settle_days

    def config(self) -> dict:
        return {"use_case": self.name, **{k: v for k, v in vars(self).items() if not k.startswith("_")}}

    def dataset(self, wh) -> pd.DataFrame:
        df = sends(wh, self.reward)
        end = df["sent_at"].max()
        df = df[df["sent_at"] <= end - pd.Timedelta(days=self.settle_days)]
        n_var = df.groupby("campaign_id")["variant"].transform("nunique")
        size = df.groupby("campaign_id")["variant"].transform("size")
        df = df[(n_var >= 2) & (size >= self.min_sends)]
        return df.sort_values(["campaign_id", "sent_at"], kind="mergesort").reset_index(drop=True)

    def _policy(self, df: pd.DataFrame, tick: Progress):
        """Per campaign: learn on the first part, policy probabilities on the rest."""
        evals, per = [], []
        groups = list(df.groupby("campaign_id", sort=True))
        for j, (cid, g) in enumerate(groups):
            cut = int(round(len(g) * self.learn_share))
            learn, ev = g.iloc[:cut], g.iloc[cut:].copy()
            arms = sorted(g["variant"].unique())
            ts = ThompsonSampling(arms, exploration=self.exploration, n_draws=20_000, seed=self.seed + j)
            ts.fit(learn["variant"], learn["reward"])
            p = ts.probabilities()
            for a, pa in zip(arms, p, strict=True):
                ev[f"pi_{a}"] = pa
            trials = learn.groupby("variant")["reward"].agg(["sum", "size"]).reindex(arms, fill_value=0)
            stop = stopping_rule(
                trials["sum"],
                trials["size"],
                arms=arms,
                threshold=self.threshold,
                confidence=self.confidence,
                seed=self.seed + j,
            )
            per.append(
                {
                    "campaign_id": cid,
                    "variants": arms,
                    "learn_sends": int(cut),
                    "eval_sends": int(len(ev)),
                    "policy": {a: round(float(x), 4) for a, x in zip(arms, p, strict=True)},
                    "leader": stop.best,
                    "stop": stop.stop,
                    "value_remaining": round(stop.value_remaining, 4),
                }
            )
            evals.append(ev)
            tick(0.1 + 0.3 * (j + 1) / len(groups), say("learning per campaign", "Lernen je Kampagne"))
        out = pd.concat(evals, ignore_index=True)
        pi_cols = [c for c in out.columns if c.startswith("pi_")]
        out[pi_cols] = out[pi_cols].fillna(0.0)
        return out, per

    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> dict:
        """The evaluation record."""
        tick = progress or (lambda f, m: None)
        t0 = time.perf_counter()
        data: dict[str, Any] = {
            "source": source or f"{getattr(wh, 'url', 'warehouse')}#messages",
            "fingerprint": None,
            "rows": None,
            "tables": ["messages"],
        }
        tick(0.0, say("reading the sends", "Sendungen lesen"))
        try:
            df = self.dataset(wh)
            if df.empty:
                raise NotReadyError(
                    say(
                        "no campaign has at least two subject-line variants and {k} sends whose outcome is known",
                        "Keine Kampagne hat mindestens zwei Betreffzeilen-Varianten und {k} Sendungen mit bekanntem "
                        "Ergebnis",
                        k=self.min_sends,
                    )
                )
            if df["campaign_id"].nunique() < 1 or len(df) < 200:
                raise NotReadyError(
                    say(
                        "only {n:,} usable sends; the evaluation needs at least 200",
                        "Nur {n:,} verwendbare Sendungen; die Bewertung braucht mindestens 200",
                        n=len(df),
                    )
                )
        except NotReadyError as exc:
            return make_record(
                use_case=self.name,
                data=data,
                split={"kind": "none"},
                primary_metric=self.primary_metric,
                metrics={},
                verdict="not ready",
                explanation=exc.args[0] if exc.args else str(exc),  # the Text, with its German
                question=self.question,
            )
        data.update(
            rows=int(len(df)),
            fingerprint=fingerprint_frame(df[["campaign_id", "variant", "propensity", "reward"]]),
            campaigns=int(df["campaign_id"].nunique()),
            start=df["sent_at"].min().isoformat(),
            end=df["sent_at"].max().isoformat(),
        )
        ev, per = self._policy(df, tick)
        arms = sorted(ev["variant"].unique())
        target = pd.DataFrame({a: ev[f"pi_{a}"].to_numpy() for a in arms})
        tick(
            0.45,
            say("off-policy evaluation with bootstrap intervals", "Off-Policy-Bewertung mit Bootstrap-Intervallen"),
        )
        res = off_policy_value(
            ev["variant"],
            ev["propensity"],
            ev["reward"],
            target,
            strata=ev["campaign_id"],
            reward_model="arm",
            n_boot=self.n_boot,
            seed=self.seed,
            reward_name=REWARD_WORDS[self.reward],
        )
        tick(0.95, say("the verdict", "das Urteil"))
        verdict = "promoted" if res.better else "not better than baseline"
        stops = sum(p["stop"] for p in per)
        what = say(
            "Thompson sampling learning from the first {share:.0%} of each campaign's sends ({n} campaigns)",
            "Thompson Sampling mit Lernen aus den ersten {share:.0%} der Sendungen jeder Kampagne ({n} Kampagnen)",
            share=self.learn_share,
            n=len(per),
        )
        explanation = res.explanation(what=what, per=say("e-mail sent", "versendeter E-Mail")) + say(
            " After the learning part, the stopping rule ({conf:.0%} sure that no variant is more than {thr:.0%} "
            "better) would already have ended {stops} of {n} tests.",
            " Nach dem Lernteil hätte die Stoppregel (mit {conf:.0%} Sicherheit ist keine Variante um mehr als "
            "{thr:.0%} besser) bereits {stops} von {n} Tests beendet.",
            conf=self.confidence,
            thr=self.threshold,
            stops=stops,
            n=len(per),
        )
        split = {
            "kind": "within-campaign-time",
            "learn_share": self.learn_share,
            "campaigns": len(per),
            "learn_rows": int(sum(p["learn_sends"] for p in per)),
            "test_rows": int(len(ev)),
            "description": say(
                "in every campaign the earliest sends teach the bandit; the later sends, logged by the random "
                "A/B/C split, judge it off-policy",
                "In jeder Kampagne lernt der Bandit aus den frühesten Sendungen; die späteren, von der zufälligen "
                "A/B/C-Aufteilung protokollierten Sendungen bewerten ihn off-policy",
            ),
        }
        return make_record(
            use_case=self.name,
            data=data,
            split=split,
            primary_metric=self.primary_metric,
            metrics=res.metrics(),
            verdict=verdict,
            explanation=explanation,
            params={"stopped_campaigns": stops, "campaigns": len(per)},
            question=self.question,
            model={
                "kind": "thompson_sampling",
                "description": [
                    say(
                        "Beta-Bernoulli Thompson sampling per campaign, exploration {e:.0%}, reward {r}",
                        "Beta-Bernoulli-Thompson-Sampling je Kampagne, Exploration {e:.0%}, Belohnung {r}",
                        e=self.exploration,
                        r=REWARD_WORDS.get(self.reward, self.reward),
                    )
                ],
                "campaigns": per,
            },
            baseline={
                "description": [
                    say(
                        "the logged policy: variants drawn at random (the A/B/C split)",
                        "die protokollierte Strategie: zufällig gezogene Varianten (die A/B/C-Aufteilung)",
                    )
                ]
            },
            off_policy=res.to_dict(),
            warnings=res.warnings,
            seconds=round(time.perf_counter() - t0, 2),
        )

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate; returns a lifecycle ``TrainResult`` whose model is the policy's settings.

        A bandit learns afresh in every campaign, so what is promoted is the policy (Thompson sampling
        with its exploration floor and stopping rule), stored as ``policy.json``."""
        from nomagic.lifecycle.usecase import TrainResult

        record = self.evaluate(wh, progress=progress, source=source)
        return TrainResult(
            record=record, model=PolicySettings(self.config()), baseline=None, plan=None, config=self.config()
        )


class PolicySettings:
    """The promoted policy: its settings, saved as JSON (what a campaign starts its bandit with)."""

    def __init__(self, settings: dict):
        self.settings = dict(settings)

    def save(self, folder) -> list:
        import json
        from pathlib import Path

        path = Path(folder) / "policy.json"
        path.write_text(json.dumps({"policy": "thompson_sampling", **self.settings}, indent=1, default=str))
        return [path]


__all__ = ["POLICY_METRICS", "Bandits", "PolicySettings", "sends"]
