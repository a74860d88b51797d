"""Outbound webhooks: other systems subscribe to events of a region and receive them signed."""
