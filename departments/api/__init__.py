"""The department registry's REST endpoints: regions, departments and user references."""
