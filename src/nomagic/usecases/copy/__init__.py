"""Copy: subject-line and ad candidates from a pluggable generator, checked, scored and handed to a bandit.

* :mod:`.brief` -- :class:`Brief` (what to write about) and :class:`Candidate` (one piece of copy);
* :mod:`.templates` -- :class:`TemplateGenerator`, offline German and English templates (labelled
  ``template``; no language model);
* :mod:`.endpoint` -- :class:`OpenAICompatibleGenerator` for a chat-completions endpoint you configure,
  and :class:`FallbackGenerator` (templates when the endpoint fails);
* :mod:`.given` -- :class:`GivenCandidates`, your own lines through the same checks;
* :mod:`.guardrails` -- length, spam-trigger words, banned claims, required terms, duplicates;
* :mod:`.scoring` -- predicted open rates from the subject-line model, with its honesty caveat;
* :mod:`.bandit` -- the passing candidates as the variants of an API bandit experiment;
* :mod:`.suggest` -- :func:`suggest_copy`, the whole job, and :func:`hand_to_bandit`.

Examples
--------
>>> r = suggest_copy(Brief(product="trail shoes", offer="20% off", language="en"), n=3)
>>> [c.source for c in r.candidates]
['template', 'template', 'template']
"""

from nomagic.usecases.copy.bandit import experiments_folder, write_experiment
from nomagic.usecases.copy.brief import KINDS, LANGUAGES, TONES, Brief, Candidate
from nomagic.usecases.copy.endpoint import FallbackGenerator, GeneratorError, OpenAICompatibleGenerator
from nomagic.usecases.copy.given import GivenCandidates
from nomagic.usecases.copy.guardrails import Guardrails
from nomagic.usecases.copy.scoring import SubjectScorer
from nomagic.usecases.copy.suggest import CopyReport, hand_to_bandit, suggest_copy
from nomagic.usecases.copy.templates import TemplateGenerator

__all__ = [
    "KINDS",
    "LANGUAGES",
    "TONES",
    "Brief",
    "Candidate",
    "CopyReport",
    "FallbackGenerator",
    "GeneratorError",
    "GivenCandidates",
    "Guardrails",
    "OpenAICompatibleGenerator",
    "SubjectScorer",
    "TemplateGenerator",
    "experiments_folder",
    "hand_to_bandit",
    "suggest_copy",
    "write_experiment",
]
