"""What the bench scripts share: paths, a tee to a results file, the "within noise" rule."""

from __future__ import annotations

import statistics
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "bench"
PAYGROUND = REPO / ".venv" / "bin" / "payground"


def out_factory(path: str | None):
    """A print that also appends each line to ``path`` (when given)."""
    fh = open(path, "a") if path else None

    def out(*parts):
        line = " ".join(str(p) for p in parts)
        print(line, flush=True)
        if fh:
            fh.write(line + "\n")
            fh.flush()

    return out


def verdict(small: list[float], large: list[float], tolerance: float) -> tuple[float, str]:
    """Ratio of medians (large / small) and whether the difference is within noise: every
    ``large`` figure inside the ``small`` spread, or medians within ``tolerance``."""
    ratio = statistics.median(large) / statistics.median(small)
    inside = all(min(small) <= v <= max(small) for v in large)
    return ratio, "within noise" if inside or abs(ratio - 1) <= tolerance else "DIFFERENT"
