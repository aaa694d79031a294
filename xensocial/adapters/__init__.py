"""Adapters: one module per network, all behind the interface in `base`, found via `registry`."""

from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    RateLimited,
    Rejected,
    TextLimits,
    TransientError,
)

__all__ = [
    "AccountInfo",
    "Adapter",
    "AdapterError",
    "AuthError",
    "ChannelContext",
    "Engagement",
    "Post",
    "PublishResult",
    "RateLimited",
    "Rejected",
    "TextLimits",
    "TransientError",
]
