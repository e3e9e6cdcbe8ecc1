"""Progress of long loops in a job's log: rate and time left."""

from __future__ import annotations

import time


def format_duration(seconds: float) -> str:
    """3725 -> '1h02m', 200 -> '3m20s', 7 -> '7s'."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class Progress:
    """Rate and ETA of a loop over `total` units, measured from `done` units when this
    process started (a resumed job does not count what an earlier attempt did)."""

    def __init__(self, total: int, unit: str = "steps", done: int = 0):
        self.total, self.unit = total, unit
        self.first, self._start = done, time.monotonic()

    def status(self, done: int) -> str:
        """'<rate> <unit>/s, ETA <time left>' after `done` units."""
        elapsed = time.monotonic() - self._start
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        eta = format_duration((self.total - done) / rate) if rate > 0 else "?"
        return f"{rate:.2f} {self.unit}/s, ETA {eta}"
