"""A timeout for every HTTP call deep-translator makes (it sets none), per engine, and the
servers' answers kept for an engine that needs them after deep-translator dropped them."""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, Final

import requests

_default_http_timeout: float | None = None
# Set by an engine for the duration of its call, so each engine keeps its own timeout.
_engine_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "townhall_engine_timeout", default=None
)
# Set by an engine that needs the server's answer after deep-translator dropped it (the error
# message of a 400): every response of the call is appended there.
_responses: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "townhall_engine_responses", default=None
)
_PATCH_MARK: Final = "_townhall_default_timeout"
_patch_lock = threading.Lock()


def _with_default_timeout(request: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(request)
    def wrapper(self: Any, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        # A positional timeout would be the 7th argument after method and url.
        if len(args) < 7 and kwargs.get("timeout") is None:
            timeout = _engine_timeout.get() or _default_http_timeout
            if timeout is not None:
                kwargs["timeout"] = timeout
        response = request(self, method, url, *args, **kwargs)
        sink = _responses.get()
        if sink is not None:
            sink.append(response)
        return response

    setattr(wrapper, _PATCH_MARK, True)
    return wrapper


def _ensure_requests_patched() -> None:
    session_class: Any = requests.sessions.Session
    with _patch_lock:  # engines may be built from several threads; wrap exactly once
        if not getattr(session_class.request, _PATCH_MARK, False):
            session_class.request = _with_default_timeout(session_class.request)


def install_http_timeout(seconds: float) -> None:
    """Give every ``requests`` call in this process a timeout unless it sets its own.

    deep-translator calls requests without a timeout, so a server that accepts and never
    answers would hang a worker thread forever.  Idempotent: calling again changes the value.
    """
    global _default_http_timeout
    if seconds <= 0:
        raise ValueError("timeout must be positive")
    _default_http_timeout = seconds
    _ensure_requests_patched()
