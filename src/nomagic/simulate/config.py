"""The true parameters of the simulated world, in one place.

Everything the simulator draws from is set here; :mod:`.truth` writes these values to
``truth_params`` so that a model's estimates can be compared with them. Changing a value here
changes the world (and the truth tables say so); the tests check that the mechanisms stay
recoverable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Customers per chunk. Fixed, so that the same seed and size give identical data whatever the
#: machine; memory per chunk is bounded by it.
CHUNK = 20_000

#: Countries: (code, language, share, effect on the latent dropout score z).
#: A positive effect means customers of that country have, on average, higher dropout.
COUNTRIES: tuple[tuple[str, str, float, float], ...] = (
    ("DE", "de", 0.44, -0.25),
    ("AT", "de", 0.10, -0.15),
    ("CH", "de", 0.08, -0.35),
    ("NL", "en", 0.08, 0.10),
    ("FR", "en", 0.09, 0.45),
    ("GB", "en", 0.12, 0.30),
    ("US", "en", 0.09, 0.60),
)

#: Age bands: (label, share, effect on the purchase-rate quantile). Older customers buy a little more often.
AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("18-24", 0.12, -0.35),
    ("25-34", 0.24, -0.10),
    ("35-44", 0.22, 0.05),
    ("45-54", 0.19, 0.15),
    ("55-64", 0.14, 0.20),
    ("65+", 0.09, 0.25),
)

#: Genders and shares. Gender changes product taste only (never purchase rate, dropout or uplift).
GENDERS: tuple[tuple[str, float], ...] = (("female", 0.51), ("male", 0.48), ("diverse", 0.01))

SIGNUP_CHANNELS: tuple[tuple[str, float], ...] = (
    ("organic", 0.38),
    ("search", 0.24),
    ("social", 0.17),
    ("referral", 0.11),
    ("affiliate", 0.10),
)


@dataclass(frozen=True)
class MediaChannel:
    """One paid channel: how its spend is shaped and how sales respond to it.

    The response is ``beta * hill(adstock(spend))`` per day, with geometric adstock
    ``a_t = (1 - alpha) * spend_t + alpha * a_{t-1}`` and Hill saturation
    ``hill(a) = a**shape / (a**shape + half_sat**shape)``; ``half_sat`` is given relative to the
    channel's mean adstocked spend, and ``beta`` is set so that the channel's ROI over the period
    equals ``roi``.
    """

    name: str
    spend_share: float  # share of the total media budget
    alpha: float  # adstock decay
    shape: float  # Hill shape (>1: S-shaped)
    half_sat: float  # Hill half-saturation point, relative to the mean adstocked spend
    roi: float  # target return on spend over the period
    cpm: float  # cost per thousand impressions
    ctr: float  # clicks per impression
    flighted: bool  # on/off flights rather than always on


CHANNELS: tuple[MediaChannel, ...] = (
    MediaChannel("search", 0.34, 0.10, 1.0, 1.2, 2.6, 9.0, 0.030, False),
    MediaChannel("social", 0.24, 0.35, 1.0, 0.9, 1.6, 6.0, 0.009, False),
    MediaChannel("display", 0.14, 0.25, 1.0, 1.5, 0.7, 3.0, 0.002, False),
    MediaChannel("video", 0.10, 0.50, 1.4, 1.0, 1.2, 14.0, 0.004, True),
    MediaChannel("tv", 0.18, 0.75, 2.0, 1.0, 1.9, 22.0, 0.0, True),
)


@dataclass(frozen=True)
class WorldParams:
    """The true parameters of the world (see docs/simulate.md for what each one does)."""

    # BG/NBD purchase process of the organic orders (time unit: days)
    r: float = 0.55  # shape of the Gamma of the purchase rate lambda
    alpha: float = 30.0  # scale parameter (rate) of that Gamma: mean lambda = r / alpha per day
    a: float = 0.8  # Beta(a, b) of the dropout probability p after each repeat purchase
    b: float = 4.0
    lead_share: float = 0.10  # customers who sign up and never order

    # Gamma-gamma spend: order value ~ Gamma(p, nu), nu ~ Gamma(q, gamma) (shape, rate)
    gg_p: float = 4.0
    gg_q: float = 3.5
    gg_gamma: float = 40.0

    # Signups: density on [start, end] grows linearly by this factor from first to last day
    signup_growth: float = 1.5

    # Churn: a customer with an order on or before the cutoff is churned if they place no order in
    # the `churn_days` after it. The cutoff is `churn_days` before the end of the period.
    churn_days: int = 90

    # Consent
    consent_email: float = 0.72
    consent_profiling: float = 0.88

    # Latent customer traits tied to the dropout score z (z = Phi^-1(BetaCDF(p)); high z = likely to drop)
    email_affinity_base: float = -0.9  # open log-odds
    email_affinity_z: float = -0.7  # effect of z on the open log-odds
    email_affinity_sd: float = 0.8
    dead_open_penalty: float = 1.6  # open log-odds lost once a customer has dropped out
    machine_opener_share: float = 0.12
    ticket_rate_base: float = -2.0  # log support tickets per active year
    ticket_rate_z: float = 0.7
    negative_review_base: float = -2.0  # log-odds that a review is negative
    negative_review_z: float = 1.0
    exit_complaint: float = 0.35  # chance that a customer who drops out writes a ticket after the last order
    review_share: float = 0.08  # orders that get a review

    # Browsing: sessions without an order, per purchase-rate unit, while alive and after dropout
    browse_alive: float = 2.5
    browse_dead: float = 0.5

    # Taste: latent factors of customers and products
    taste_dims: int = 4
    n_products: int = 480
    candidates: int = 30  # products a customer considers (their consideration set)

    # E-mail
    email_every_days: int = 14
    open_hour_effect: float = 0.9  # open log-odds gained when sent at the preferred hour
    click_base: float = -2.2  # click log-odds given a human open
    conversion_window_days: int = 7
    # Uplift types: log-odds of sure thing, persuadable and sleeping dog per message (alive customers)
    sure_base: float = -4.1
    sure_lambda: float = 0.8  # per unit of log(lambda / mean lambda)
    pers_base: float = -3.3
    pers_affinity: float = 0.6  # per unit of the standardised e-mail affinity
    pers_promo: float = 0.5  # promotions persuade more than newsletters
    sd_base: float = -4.4
    sd_z: float = 0.9  # unhappy customers are annoyed by e-mail

    # Paid media and KPIs (per 1,000 customers and day)
    base_revenue_per_1k: float = 2_000.0
    media_share: float = 0.08  # total media spend as a share of base revenue
    trend_per_year: float = 0.10  # baseline growth per year (share of base)
    season_amplitude: float = 0.12
    price_elasticity: float = -1.5
    kpi_noise: float = 0.035  # sd of the daily noise, as a share of base revenue
    aov: float = 64.0  # average order value of the KPI orders

    # Ad auctions
    ad_requests_per_customer_year: float = 2.0

    # Texts
    social_per_customer_year: float = 0.05
    max_social_posts: int = 60_000

    channels: tuple[MediaChannel, ...] = field(default=CHANNELS)

    @property
    def mean_lambda(self) -> float:
        return self.r / self.alpha


DEFAULT = WorldParams()
