"""Uplift targeting: whom to contact so that the contact changes the outcome (see :mod:`.usecase`)."""

from nomagic.usecases.uplift.learners import AutoUplift, UpliftModel
from nomagic.usecases.uplift.metrics import qini_auc, uplift_at, uplift_auc
from nomagic.usecases.uplift.usecase import Uplift

__all__ = ["AutoUplift", "Uplift", "UpliftModel", "qini_auc", "uplift_at", "uplift_auc"]
