"""The security audit log (安全审计, GB/T 22239-2019 level 3), apart from the task history.

One append-only model (``SecurityEvent``) written by one service (``security_event``); each record
is chained to the previous one by an HMAC, so that ``manage.py audit_verify`` finds the first
record someone changed, removed or inserted in the database.
"""
