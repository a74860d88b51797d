"""REST API of the work-plan domain (under /api/v1/)."""
