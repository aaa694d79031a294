"""What the fake X's endpoints share: the app's credentials and X's problem body.

Its own module so that the user-context endpoints (`x`) and the app-only ones (`x_app`) use
one copy of each.
"""

from __future__ import annotations

from .server import Reply

__all__ = ["APP_BEARER", "CREDENTIALS", "problem"]

CREDENTIALS = {
    "consumer_key": "fake-consumer-key",
    "consumer_secret": "fake-consumer-secret",
    "access_token": "1500000000000000000-faketoken",
    "access_token_secret": "fake-token-secret",
}
# The bearer token `POST /oauth2/token` gives for the consumer key and secret.
APP_BEARER = "AAAAAAAAAAAAAAAAAAAAAfake-app-only-bearer"


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> Reply:
    """An error in X's problem format: `{"title", "detail", "type", "status"}`."""
    return Reply(status, {"title": title, "detail": detail, "type": type_, "status": status})
