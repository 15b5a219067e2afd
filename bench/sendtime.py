"""Send-time optimisation on the simulated world: model vs global best hour vs the true favourite hour.

For each world and seed: ``nomagic.simulate.simulate`` fills a DuckDB file; the send-time use case
(:class:`nomagic.usecases.sendtime.SendTime`, exactly what ``nomagic train``/the demo run) learns from
the sends before the cutoff (the last 25 % of the period is held out) and is judged on the later
sends. Three policies:

* ``model``: each customer's best hour from the hierarchical favourite-hour model;
* ``baseline``: everyone at the global best hour of the training sends;
* ``oracle``: each customer's *true* preferred hour (``truth_customers.preferred_hour``, clipped to
  the hours tried, 06-21) -- the ceiling; the package itself never reads ``truth_*``.

Two measures of each policy's open rate on the held-out sends:

* ``estimated``: what the package reports -- the human open rate of the held-out sends whose random
  hour matched the policy's (self-normalised IPS; 95 % customer-bootstrap intervals, paired);
* ``true``: the simulator's exact open probability of every held-out send of a non-machine customer,
  had it gone out at the policy's hour (``sigmoid(affinity + subject effect + 0.9 * match(hour) -
  1.6 * dropped_out)``, from truth_customers / truth_email_variants / WorldParams): no sampling noise.

Worlds: the default demo (10,000 customers, 730 days, an e-mail every 14 days: ~9 sends per
customer before the cutoff) and worlds with twice-weekly e-mails (every 3 days: ~40 sends per
customer before the cutoff) of 5,000 and 20,000 customers.

Run: ``python bench/sendtime.py [--quick]`` (about 2 minutes on 2 idle cores; ``--quick``: one seed each).
"""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic import __version__, connect
from nomagic.simulate import simulate
from nomagic.simulate.config import DEFAULT
from nomagic.usecases.sendtime import SendTime
from nomagic.usecases.sendtime.evaluate import bootstrap_policies, hour_shares, match_weights

OUT = Path(__file__).resolve().parent / "results" / "sendtime.json"
WORLDS = {
    "demo_fortnightly": {"customers": 10_000, "days": 730, "email_every_days": 14},
    "twice_weekly": {"customers": 5_000, "days": 730, "email_every_days": 3},
    "twice_weekly_20k": {"customers": 20_000, "days": 730, "email_every_days": 3},
}


def true_open_rates(wh, test: pd.DataFrame, policies: dict[str, np.ndarray], params) -> dict[str, float]:
    tc = wh.table("truth_customers").execute().set_index("customer_id")
    m = wh.table("messages").execute()
    m = m[~m["in_control"]]
    tv = wh.table("truth_email_variants").execute().set_index(["campaign_id", "variant"])["open_effect"]
    key = test[["customer_id", "sent_at"]].merge(
        m[["customer_id", "sent_at", "campaign_id", "variant"]], on=["customer_id", "sent_at"], how="left"
    )
    eff = tv.reindex(pd.MultiIndex.from_frame(key[["campaign_id", "variant"]])).to_numpy()
    t = tc.loc[test["customer_id"].to_numpy()]
    dead = (
        (~t["lead"].to_numpy(bool))
        & t["dropout_at"].notna().to_numpy()
        & (t["dropout_at"].to_numpy() <= test["sent_at"].to_numpy())
    )
    keep = ~t["machine_opener"].to_numpy(bool)
    pref = t["preferred_hour"].to_numpy()
    out = {}
    for name, hour in policies.items():
        d = np.abs(hour - pref)
        d = np.minimum(d, 24 - d)
        logit = (
            t["email_affinity"].to_numpy()
            + eff
            + params.open_hour_effect * np.exp(-(d**2) / (2 * 1.5**2))
            - params.dead_open_penalty * dead
        )
        out[name] = round(float((1 / (1 + np.exp(-logit)))[keep].mean()), 5)
    return out


def run(world: str, seed: int) -> dict:
    spec = WORLDS[world]
    params = dataclasses.replace(DEFAULT, email_every_days=spec["email_every_days"])
    with tempfile.TemporaryDirectory() as tmp, connect(str(Path(tmp) / "w.duckdb")) as wh:
        t0 = time.perf_counter()
        simulate(wh, customers=spec["customers"], days=spec["days"], seed=seed, params=params)
        t_sim = time.perf_counter() - t0
        uc = SendTime(seed=0)
        t0 = time.perf_counter()
        ev = uc.evaluate(wh)
        t_eval = time.perf_counter() - t0
        rec = ev.record
        test = ev.test
        pref = wh.table("truth_customers").execute().set_index("customer_id")["preferred_hour"]
        hours = np.array(ev.model.hours_)
        p = pref.loc[test["customer_id"].to_numpy()].to_numpy()
        oracle = hours[np.argmin(np.abs(p[:, None] - hours[None, :]), axis=1)]
        policies = {
            "model": test["model_hour"].to_numpy(),
            "baseline": test["baseline_hour"].to_numpy(),
            "oracle": oracle,
        }
        shares = hour_shares(test["sent_at"].dt.hour.to_numpy())
        actual = test["sent_at"].dt.hour.to_numpy()
        w = {k: match_weights(actual, v, shares) for k, v in policies.items()}
        est = bootstrap_policies(
            test["customer_id"].to_numpy(), {"open_rate": test["opened_human"].to_numpy(float)}, w, n_boot=1000
        )
        truth = true_open_rates(wh, test, policies, params)
        sends = ev.train.groupby("customer_id").size()
        return {
            "world": world,
            "seed": seed,
            **spec,
            "messages": rec["data"]["rows"],
            "train_sends_per_customer": round(float(sends.mean()), 1),
            "verdict": rec["verdict"],
            "estimated_open_rate": {k: est[k]["open_rate"] for k in ("model", "baseline", "oracle")},
            "estimated_improvement": est["improvement"]["open_rate"],
            "true_open_rate": truth,
            "true_improvement": round(truth["model"] - truth["baseline"], 5),
            "share_of_oracle_gain": round(
                (truth["model"] - truth["baseline"]) / (truth["oracle"] - truth["baseline"]), 3
            ),
            "global_best_hour": rec["params"]["global_best_hour"],
            "bump": [rec["params"]["bump_amplitude"], rec["params"]["bump_width_hours"]],
            "machine_customers": rec["data"]["machine_customers"],
            "seconds_simulate": round(t_sim, 1),
            "seconds_evaluate": round(t_eval, 1),
            "explanation": rec["explanation"],
        }


def main(argv: list[str]) -> None:
    seeds = [0] if "--quick" in argv else [0, 1, 2]
    runs = []
    for world in WORLDS:
        for seed in seeds:
            r = run(world, seed)
            print(
                f"{world} seed {seed}: verdict {r['verdict']}; true open rate model {r['true_open_rate']['model']:.4f} "
                f"baseline {r['true_open_rate']['baseline']:.4f} oracle {r['true_open_rate']['oracle']:.4f}; "
                f"estimated improvement {r['estimated_improvement']}; {r['seconds_evaluate']} s",
                flush=True,
            )
            runs.append(r)
    out = {
        "benchmark": "sendtime",
        "command": "python bench/sendtime.py" + (" --quick" if "--quick" in argv else ""),
        "versions": {
            "nomagic": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "platform": platform.platform(),
        },
        "runs": runs,
        "summary": {
            world: {
                "seeds": len([r for r in runs if r["world"] == world]),
                "promoted": sum(r["verdict"] == "promoted" for r in runs if r["world"] == world),
                "mean_true_improvement": round(
                    float(np.mean([r["true_improvement"] for r in runs if r["world"] == world])), 5
                ),
                "mean_true_oracle_improvement": round(
                    float(
                        np.mean(
                            [
                                r["true_open_rate"]["oracle"] - r["true_open_rate"]["baseline"]
                                for r in runs
                                if r["world"] == world
                            ]
                        )
                    ),
                    5,
                ),
                "max_seconds_evaluate": max(r["seconds_evaluate"] for r in runs if r["world"] == world),
            }
            for world in WORLDS
        },
    }
    OUT.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
