"""The process-wide caches of ``helpers`` in one place: each is registered here, and :func:`clear_caches` empties
them all (a test, or a notebook after replacing a weights file, starts afresh with one call)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
_CLEARS: list[Callable[[], None]] = []


def cached(function: Callable[..., _T]) -> Callable[..., _T]:
    """``functools.lru_cache(maxsize=1)`` of ``function``, registered so that :func:`clear_caches` empties it."""
    wrapped = functools.lru_cache(maxsize=1)(function)
    _CLEARS.append(wrapped.cache_clear)
    return wrapped


def registered_set() -> set:
    """A new empty set kept for the process (e.g. what was announced once), emptied by :func:`clear_caches`."""
    kept: set = set()
    _CLEARS.append(kept.clear)
    return kept


def clear_caches() -> None:
    """Empty every cache of ``helpers``: the score networks and references loaded once, the announcements made."""
    for clear in _CLEARS:
        clear()
