"""API base classes shared by every app: authentication, errors, ETags, pagination, throttling."""
