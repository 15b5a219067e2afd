"""Privacy and governance, directly above the warehouse: consent and purpose (:mod:`.consent`, the one place
that decides whether a customer may be profiled or put on an e-mail list, asked by every output path),
pseudonymisation, erasure and the audit trail (:mod:`.audit`). This package imports only
``nomagic.warehouse``, ``nomagic.words`` and ``nomagic.errors``; every layer above it (lifecycle, use cases,
monitor, report, serve, cli) may ask it."""
