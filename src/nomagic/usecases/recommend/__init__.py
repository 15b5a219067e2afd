"""Recommendations: next products for the shop and for personalised e-mails.

* :mod:`.data`: interaction tables, id encoding, the temporal split rule;
* :mod:`.models`: popularity (baseline), item-kNN (cosine with shrinkage), EASE (closed form), and the blend
  of either with recent popularity (:class:`RecencyBlend`);
* :mod:`.metrics`: Recall@k, NDCG@k, coverage, novelty, bootstrap intervals over users;
* :mod:`.evaluate`: validation tuning at several cutoffs inside the training period, the test, the record;
* :mod:`.online`: :class:`Recommender`, precomputed top-N with business rules at lookup;
* :mod:`.usecase`: the use case on the warehouse (table ``recommendations``).
"""

from nomagic.usecases.recommend.data import Interactions, read_interactions, temporal_split
from nomagic.usecases.recommend.evaluate import RecommendEvaluation, evaluate, evaluate_split, fit_model, tune
from nomagic.usecases.recommend.metrics import coverage_at_k, ndcg_at_k, novelty_at_k, recall_at_k
from nomagic.usecases.recommend.models import EASE, ItemKNN, Popularity, RecencyBlend, blend_scores, top_n
from nomagic.usecases.recommend.online import Recommender, content_similarity
from nomagic.usecases.recommend.usecase import Recommend, build_recommender, purchases

__all__ = [
    "EASE",
    "Interactions",
    "ItemKNN",
    "Popularity",
    "RecencyBlend",
    "Recommend",
    "RecommendEvaluation",
    "Recommender",
    "blend_scores",
    "build_recommender",
    "content_similarity",
    "coverage_at_k",
    "evaluate",
    "evaluate_split",
    "fit_model",
    "ndcg_at_k",
    "novelty_at_k",
    "purchases",
    "read_interactions",
    "recall_at_k",
    "temporal_split",
    "top_n",
    "tune",
]
