"""Customer segmentation: RFM scores with named segments, and behavioural clusters.

* :mod:`.rfm`: per-customer recency / frequency / monetary features, 1-5 scores, named segments
  (champions, loyal, at risk, hibernating, ...) each with a plain profile and a suggested action;
* :mod:`.clusters`: behavioural clusters (k-means by silhouette or Gaussian mixture by BIC) with
  plain-language profiles and a re-seed stability check;
* :mod:`.usecase`: the use case on the warehouse (``segments`` table).
"""

from nomagic.usecases.segments.clusters import BehaviourClusters, cluster_matrix
from nomagic.usecases.segments.rfm import SEGMENTS, Segment, customer_features, rfm_scores, rfm_segment, segment_summary
from nomagic.usecases.segments.usecase import Segments

__all__ = [
    "SEGMENTS",
    "BehaviourClusters",
    "Segment",
    "Segments",
    "cluster_matrix",
    "customer_features",
    "rfm_scores",
    "rfm_segment",
    "segment_summary",
]
