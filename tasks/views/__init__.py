"""Pages of the work-plan domain."""
