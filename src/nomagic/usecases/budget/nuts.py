"""Optional NUTS sampling of the marketing-mix model (``pip install 'nomagic[bayes]'``: numpyro + jax).

The same log posterior as the Laplace path (:meth:`.model.MMM._logp_xp`, written once against an array
namespace), sampled by NumPyro's NUTS on the unconstrained scale, 4 chains of 1,000 draws after 1,000
warm-up, started inside the Laplace Gaussian around the MAP. Target acceptance 0.99 (NumPyro's default
is 0.8): a weakly identified channel (small effect, always on) makes a curved, funnel-like ridge
between its effect size, its saturation and the intercept, and smaller steps are what keeps NUTS from
diverging there (on Robyn's simulated data 0.95 left 7-8 divergent transitions, with a diagonal or a
dense mass matrix alike; 0.99 none). Diagnostics: split R-hat, bulk effective sample size, divergent
transitions (counted, never hidden: any divergence makes the verdict "use with care"). Override with
``MMM(..., nuts_options={...})`` (keys of ``NUTS_DEFAULTS``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nomagic.errors import InputError
from nomagic.words import say

NUTS_DEFAULTS = {
    "chains": 4,
    "warmup": 1000,
    "samples": 1000,
    "target_accept": 0.99,
    "dense_mass": False,
    "max_tree_depth": 10,
}


def fit_nuts(m, d) -> None:
    """``m``: the :class:`~.model.MMM` being fitted; ``d``: its design (a dataclass). Fill ``m.draws_u_``, ``m.map_`` (the MAP, as a start and for point values) and ``m.nuts_diag_``."""
    try:
        import jax
        import jax.numpy as jnp
        from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
        from numpyro.infer import MCMC, NUTS
    except ImportError as exc:
        raise InputError(
            say(
                "inference 'nuts' needs numpyro and jax: pip install 'nomagic[bayes]' (or use the default laplace)",
                "Inferenz 'nuts' braucht numpyro und jax: pip install 'nomagic[bayes]' (oder die Vorgabe laplace "
                "verwenden)",
            )
        ) from exc
    jax.config.update("jax_enable_x64", True)
    opts = {**NUTS_DEFAULTS, **m.nuts_options}
    m._fit_laplace(d, importance=False)  # the MAP and its Gaussian: the chains start inside it
    # the same design with jax arrays; ``replace`` keeps its class without importing the model module
    # (which imports this one to sample: no import circle)
    dj = replace(d, y=jnp.asarray(d.y), lags=[jnp.asarray(x) for x in d.lags], lin=jnp.asarray(d.lin))

    def potential(u):
        return -m._logp_xp(u, dj, jnp)

    rng = np.random.default_rng(m.seed)
    k = opts["chains"]
    sd = np.sqrt(np.clip(np.diag(m.cov_), 1e-8, None))
    init = m.map_.u[None, :] + rng.normal(size=(k, len(m.map_.u))) * sd[None, :] * 0.5
    mcmc = MCMC(
        NUTS(
            potential_fn=potential,
            target_accept_prob=opts["target_accept"],
            dense_mass=opts["dense_mass"],
            max_tree_depth=opts["max_tree_depth"],
        ),
        num_warmup=opts["warmup"],
        num_samples=opts["samples"],
        num_chains=k,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(m.seed), init_params=jnp.asarray(init), extra_fields=("diverging",))
    s = np.asarray(mcmc.get_samples(group_by_chain=True))  # (chains, draws, p)
    divmask = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])
    div = int(divmask.sum())
    m.nuts_divergent_u_ = s[divmask.astype(bool)]
    rhat = np.asarray(split_gelman_rubin(s))
    ess = np.asarray(effective_sample_size(s))
    flat = s.reshape(-1, s.shape[-1])
    take = np.linspace(0, len(flat) - 1, min(m.n_draws, len(flat))).astype(int)
    m.draws_u_ = flat[take]
    m.nuts_diag_ = {
        "chains": k,
        "warmup": opts["warmup"],
        "samples": opts["samples"],
        "r_hat_max": float(np.nanmax(rhat)),
        "ess_bulk_min": float(np.nanmin(ess)),
        "divergences": div,
        "target_accept": opts["target_accept"],
        "dense_mass": bool(opts["dense_mass"]),
    }


__all__ = ["NUTS_DEFAULTS", "fit_nuts"]
