"""The account pages of the registry's users: sign-in with a second factor, sign-out, password
change and reset, personal settings and API tokens. (The session and password rules they apply
are ``departments.sessions`` and ``departments.passwords``.)"""
