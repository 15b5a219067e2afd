"""The demo world: a simulated business with recorded ground truth.

``simulate(wh, customers=, days=, seed=)`` fills every canonical table of a warehouse with one
coherent world -- customers, products, orders, events, e-mail campaigns, paid media, KPIs, ad
auctions and texts -- and writes what real data never reveals to ``truth_*`` tables. Nothing
outside this package (and the tests) reads the truth. See docs/simulate.md.
"""

from nomagic.simulate.config import DEFAULT, WorldParams
from nomagic.simulate.truth import TRUTH_TABLES
from nomagic.simulate.world import Simulation, default_start, is_simulated, simulate

__all__ = ["DEFAULT", "TRUTH_TABLES", "Simulation", "WorldParams", "default_start", "is_simulated", "simulate"]
