"""Fixed logarithmic buckets of durations, and percentiles read from bucket counts (pure: no
Flask, no SQLAlchemy).

A duration of ``v`` whole seconds falls in bucket 0 when ``v < 1`` and otherwise in bucket
``1 + ⌊ln v / ln RATIO⌋``: bucket ``b ≥ 1`` holds ``[RATIO^(b-1), RATIO^b)``. A bucket reads as
its geometric middle ``RATIO^(b-½)`` (bucket 0 as 0), which is within ``ERROR`` (√RATIO − 1,
about 2.5 %) of any value in it. Counts of buckets add up, so the reports keep them per month
and merge the months of a range instead of sorting every ticket's duration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

RATIO = 1.05
LOG_RATIO = math.log(RATIO)
ERROR = math.sqrt(RATIO) - 1  # the largest relative error of a bucket's value


def bucket(seconds: float) -> int:
    """The bucket of a duration in seconds (the SQL of ``measures.percentiles`` is the same
    formula)."""
    if seconds < 1:
        return 0
    return 1 + math.floor(math.log(seconds) / LOG_RATIO)


def bucket_value(index: int) -> float:
    """What bucket ``index`` reads as: its geometric middle, 0 for bucket 0."""
    return 0.0 if index <= 0 else RATIO ** (index - 0.5)


def nearest_rank_of(counts: Iterable[tuple[int, int]], *shares: float) -> list[float | None]:
    """The nearest-rank percentiles (the value at rank ⌈p·n⌉, as ``nearest_rank``) of the
    durations counted as ``(bucket, count)`` pairs, one per share in ``shares``."""
    ordered = sorted((b, n) for b, n in counts if n > 0)
    total = sum(n for _, n in ordered)
    out: list[float | None] = []
    for share in shares:
        if not total:
            out.append(None)
            continue
        rank, seen = max(1, math.ceil(share * total)), 0
        for index, n in ordered:
            seen += n
            if seen >= rank:
                out.append(bucket_value(index))
                break
    return out
