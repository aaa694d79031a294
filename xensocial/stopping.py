"""How `xensocial run` hears SIGTERM and SIGINT without doing anything unsafe in a handler.

A Python signal handler runs between two bytecodes of the main thread, which is blocked inside
the scheduler's loop (or in the middle of a commit): logging or shutting the scheduler down
from there could deadlock on a lock the interrupted code holds. So the handlers only set a
flag, and `signal.set_wakeup_fd` makes the interpreter's C-level handler also write the signal
number to a pipe. A small thread reading that pipe runs the stop itself (`on_stop`), in an
ordinary thread where taking locks is safe. Between signals the thread sleeps in `os.read`: no
polling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["SignalWatcher"]

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_DONE = 0xFF  # our own byte: "the daemon is over, stop reading"


class SignalWatcher:
    """Runs `on_stop()` once, in its own thread, when SIGTERM or SIGINT arrives."""

    def __init__(self, on_stop: Callable[[], None]) -> None:
        self.on_stop = on_stop
        self.requested = False  # set by the signal handlers, nothing else
        self._read_fd = -1
        self._write_fd = -1
        self._old_wakeup = -1
        self._old_handlers: dict[int, Any] = {}

    def install(self) -> None:
        """Install the handlers and start the watcher thread (main thread only)."""
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._old_wakeup = signal.set_wakeup_fd(self._write_fd)
        self._old_handlers = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        threading.Thread(target=self._watch, name="xensocial-signals", daemon=True).start()

    def restore(self) -> None:
        """Put the previous handlers back and let the watcher thread end."""
        signal.set_wakeup_fd(self._old_wakeup)
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        with contextlib.suppress(OSError):
            os.write(self._write_fd, bytes([_DONE]))  # wake the watcher if it is still reading

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True  # the watcher thread does the rest

    def _watch(self) -> None:
        # The C-level handler writes the signal number here before the Python handler runs,
        # so the bytes themselves are the trigger.
        stops = {int(sig) for sig in _STOP_SIGNALS}
        while True:
            try:
                data = os.read(self._read_fd, 16)
            except OSError:
                return
            if not data or _DONE in data:
                return
            if stops & set(data):
                break
        self.on_stop()
