"""The word lists the guardrails ship with: spam-trigger words (German and English), default banned
claims, and the length limits per channel.

The spam list holds phrases that spam filters and mailbox providers have long treated as warning signs
("click here", "you have won", "Geld verdienen"); ordinary marketing words that legitimate mail uses all
the time ("free shipping", "neu", "Rabatt") are deliberately *not* on it. The banned claims are the
promises that need proof or are unlawful without it in the EU (guarantees, "100 % free", unqualified
superlatives, health and climate claims); add your own with ``--banned``.
"""

from __future__ import annotations

#: Default maximum length in characters per field: a subject line that still shows in most inboxes, and
#: the headline and description limits of a responsive search ad.
LIMITS = {"subject": 60, "headline": 30, "description": 90}

SPAM_WORDS_EN = (
    "act now",
    "apply now",
    "as seen on",
    "be your own boss",
    "buy now",
    "call now",
    "cash bonus",
    "click below",
    "click here",
    "congratulations",
    "dear friend",
    "double your",
    "earn money",
    "extra cash",
    "free money",
    "get paid",
    "increase your sales",
    "lowest price",
    "make money",
    "miracle",
    "no catch",
    "no credit check",
    "no strings attached",
    "once in a lifetime",
    "order now",
    "prize",
    "this is not spam",
    "urgent",
    "winner",
    "you are a winner",
    "you have been selected",
    "you have won",
    "you've won",
)

SPAM_WORDS_DE = (
    "bargeld",
    "dringend",
    "du hast gewonnen",
    "gewinner",
    "geld verdienen",
    "glückwunsch",
    "herzlichen glückwunsch",
    "hier klicken",
    "jetzt bestellen",
    "jetzt kaufen",
    "jetzt zugreifen",
    "klicken sie hier",
    "kein spam",
    "liebe freundin",
    "lieber freund",
    "nebenverdienst",
    "reich werden",
    "schnell reich",
    "sie haben gewonnen",
    "sofort handeln",
    "verdoppeln sie",
    "wunder",
)

#: Claims that need proof (or are not allowed): refused unless you switch the defaults off.
BANNED_CLAIMS = (
    "guaranteed",
    "100% free",
    "100% kostenlos",
    "100% gratis",
    "risk-free",
    "risk free",
    "no risk",
    "garantiert",
    "risikofrei",
    "ohne risiko",
    "best in the world",
    "world's best",
    "number one",
    "no. 1",
    "#1",
    "nr. 1",
    "nummer 1",
    "weltbeste",
    "clinically proven",
    "klinisch bewiesen",
    "klinisch erwiesen",
    "cures",
    "heilt",
    "no side effects",
    "keine nebenwirkungen",
    "climate neutral",
    "climate-neutral",
    "carbon neutral",
    "klimaneutral",
    "co2-neutral",
)
