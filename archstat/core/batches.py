"""``archstat bench --batch 1,8,32``: the batch sizes to time. Pure Python, so that a bad value is a usage error
before torch is imported (``archstat.backend`` imports torch as it loads; ``backend.throughput`` re-exports this)."""

from __future__ import annotations


def parse_batches(text: str, option: str = "--batch") -> list[int]:
    """Comma-separated positive integers, in the order given: '1,8,32' -> [1, 8, 32]."""
    from archstat.errors import UsageError

    try:
        batches = [int(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise UsageError(f"{option} must be comma-separated integers, got '{text}'") from None
    if not batches or min(batches) < 1:
        raise UsageError(f"{option} must be comma-separated positive integers, got '{text}'")
    return batches
