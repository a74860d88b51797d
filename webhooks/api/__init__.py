"""``/api/v1/webhooks/``: subscriptions and their delivery logs over the REST API."""
