"""Accounts of the department registry's users: sign-in with a second factor, sessions, password
rules and resets, personal settings and API tokens."""
