"""What the LinkedIn adapter tests share: the fake page, the adapter against it, posts.

Used by `test_linkedin.py` (posting, lookup, errors, versions), `test_linkedin_cards.py` (the
article card and its uploaded thumbnail) and `test_linkedin_tokens.py` (renewal and expiry
warnings). The adapter reads no page for a card unless a test asks (`link_cards=True`): the
posts link to xenproject.org, which a test must never try to reach.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.server import FakeServer
from tests.network.adapters.conftest import TIMEOUT
from xensocial.adapters.base import ChannelContext, Post
from xensocial.adapters.linkedin import LinkedInAdapter

__all__ = ["adapter", "creates", "li", "make", "post"]


@pytest.fixture
def li(server: FakeServer, clock: FakeClock) -> FakeLinkedIn:
    return FakeLinkedIn(server, clock=clock)


def make(
    url: str,
    token: str,
    clock: FakeClock,
    *,
    secrets: dict[str, str] | None = None,
    data_dir: Path | None = None,
    private: bool = False,
    **options: Any,
) -> LinkedInAdapter:
    """The adapter against the fake at `url`; `private`: card pages on 127.0.0.1 may be read;
    `data_dir`: where its state file goes (tests that renew or introspect tokens give one)."""
    options.setdefault("organization_id", "2414183")
    options.setdefault("link_cards", False)
    return LinkedInAdapter(
        ChannelContext(
            name="li",
            options={"api_base_url": url, **options},
            secrets={"access_token": token, **(secrets or {})},
            data_dir=data_dir if data_dir is not None else Path("/nonexistent/xensocial-test"),
            timeout_seconds=TIMEOUT,
            clock=clock,
            allow_private_addresses=private,
        )
    )


@pytest.fixture
def adapter(server: FakeServer, li: FakeLinkedIn, clock: FakeClock) -> Iterator[LinkedInAdapter]:
    a = make(server.url, li.token, clock)
    yield a
    a.close()


def post(n: int = 1, text: str | None = None, url: str | None = None, title: str = "") -> Post:
    link = url if url is not None else f"https://xenproject.org/blog/{n}"
    return Post(
        key=f"delivery-{n}-key",
        channel="li",
        item_id=n,
        text=text if text is not None else f"Release {n} is out\n\n{link} #xen",
        url=link,
        title=title or f"Release {n}",
    )


def creates(server: FakeServer) -> int:
    return len(server.requests("POST", FakeLinkedIn.POSTS))
