"""ipplan: the shared kernel every app builds on (permission policy, API and view bases, outbox,
outbound HTTP, audit, security, crypto, health). It imports no domain app."""
