"""Settings of the benchmark runs: the project's settings, plus the peer API under /peer/api/.

Plain HTTP on loopback (no TLS redirect), any host name, and a client rate high enough that
the throttle never answers 429 during a load run (both ipplan and the peer go through it).
"""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["*"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "client": "1000000/min"},  # type: ignore[dict-item]
}
# The pages are measured signed in (the test client's force_login): no second factor to enrol.
IPPLAN_2FA_REQUIRED_ROLES = []
