"""Language: sentiment, intents with out-of-scope rejection, an FAQ assistant, PII masking.

Heavy dependencies (the sentence encoders, VADER, textblob-de, py3langid) are imported only when
used; without them the functions raise an :class:`~nomagic.errors.InputError` that says
``pip install 'nomagic[nlp]'``. See docs/language.md.

Public API: :func:`mask_pii`, :func:`detect`, :func:`get_embedder` / :class:`Embedder`,
:class:`TextClassifier`, :class:`LexiconSentiment`, :func:`evaluate_sentiment`,
:class:`IntentClassifier`, :func:`evaluate_intent`, :class:`FaqAssistant` and the warehouse use
case :class:`Sentiment`.
"""

from nomagic.privacy.pii import mask_pii
from nomagic.usecases.language.embeddings import CachedEmbedder, Embedder, get_embedder
from nomagic.usecases.language.faq import Answer, FaqAssistant
from nomagic.usecases.language.intents import IntentClassifier, evaluate_intent
from nomagic.usecases.language.langdetect import detect
from nomagic.usecases.language.sentiment import LexiconSentiment, SentimentClassifier, evaluate_sentiment
from nomagic.usecases.language.textclf import TextClassifier
from nomagic.usecases.language.usecase import Sentiment

__all__ = [
    "Answer",
    "CachedEmbedder",
    "Embedder",
    "FaqAssistant",
    "IntentClassifier",
    "LexiconSentiment",
    "Sentiment",
    "SentimentClassifier",
    "TextClassifier",
    "detect",
    "evaluate_intent",
    "evaluate_sentiment",
    "get_embedder",
    "mask_pii",
]
