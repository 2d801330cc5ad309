"""What a long fixture or test is doing, on the terminal as it happens.

`make test` prints a dot per finished test; a fixture that applies the platform, or the
walkthrough's sequence of commands, runs minutes before its first dot. Their steps are said on
the terminal as they start, past pytest's output capture; under pytest-xdist a worker's stderr
is the terminal's, so the line names the worker.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

# When the session started in this process (conftest imports this module first thing).
STARTED = time.monotonic()


class Progress:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def __call__(self, message: str) -> None:
        capture = self.config.pluginmanager.getplugin("capturemanager")
        elapsed = time.monotonic() - STARTED
        line = f"[{self.worker} {elapsed:5.0f}s] {message}\n"
        if capture is None:
            sys.stderr.write(line)
            return
        with capture.global_and_fixture_disabled():
            sys.stderr.write(line)
            sys.stderr.flush()
