"""Item scoring rules and grade scaling.

Pure functions on plain Python numbers: no numpy, no Django.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["scale_to_ten", "score_single_choice"]


def score_single_choice(response: str | None, key: str, points: float) -> float:
    """Score a single-choice (one correct option) item.

    Parameters
    ----------
    response : str or None
        The option the candidate chose, e.g. ``"B"``; ``None`` means unanswered.
        Compared with ``key`` exactly (no case or whitespace folding: normalise
        option identifiers before calling).
    key : str
        The correct option.
    points : float
        Points the item is worth, finite and ``>= 0``.

    Returns
    -------
    float
        ``points`` if ``response == key``, otherwise ``0.0`` (also when unanswered).

    Raises
    ------
    ValueError
        If ``points`` is negative or not finite.
    """
    if not math.isfinite(points) or points < 0:
        raise ValueError(f"points must be finite and >= 0, got {points!r}")
    if response is None or response != key:
        return 0.0
    return float(points)


def scale_to_ten(raw: float, maximum: float, *, step: Decimal | str = "0.1") -> float:
    """Convert a raw score to the 10-point scale, rounded to a multiple of ``step``, half up.

    Circular 22/2021/TT-BGDĐT reports scores on a 10-point scale rounded to
    one decimal place (the default ``step``); the national exam counts in steps
    of 0.25. The computation is::

        score = round_half_up(raw / maximum * 10 / step) * step

    done in decimal arithmetic on the shortest decimal representation of each
    float (``str``), so that a quotient of exactly ``7.25`` rounds to ``7.3``
    even where float arithmetic lands just below the half
    (``2.9 / 4 * 10 == 7.249999...`` in floats, ``7.3`` here).

    Parameters
    ----------
    raw : float
        Points obtained, ``0 <= raw <= maximum``. Sum decimal point values with
        ``decimal.Decimal`` if float sums could overshoot ``maximum``
        (``0.1 + 0.2 > 0.3`` in floats).
    maximum : float
        Points available, ``> 0``.
    step : Decimal or str
        The scale's unit, a decimal that divides 10 a whole number of times
        (``"0.1"``, ``"0.25"``, ``"0.5"``, ``"1"``); never a float.

    Returns
    -------
    float
        The score in ``[0.0, 10.0]``, a multiple of ``step``.

    Raises
    ------
    ValueError
        If either value is not finite, ``maximum <= 0``, ``raw`` is outside
        ``[0, maximum]`` (the message names both values), or ``step`` is not a
        positive decimal dividing 10.
    """
    if not (math.isfinite(raw) and math.isfinite(maximum)):
        raise ValueError(f"raw score {raw!r} and maximum {maximum!r} must be finite")
    if maximum <= 0:
        raise ValueError(f"maximum must be > 0, got maximum {maximum!r} (raw score {raw!r})")
    exact_raw = Decimal(str(raw))
    exact_maximum = Decimal(str(maximum))
    if not 0 <= exact_raw <= exact_maximum:
        raise ValueError(f"raw score {raw!r} must be between 0 and maximum {maximum!r}")
    quantum = _step(step)
    # Multiply before dividing so that exact decimal quotients stay exact.
    scaled = exact_raw * 10 / exact_maximum
    return float((scaled / quantum).quantize(Decimal(1), rounding=ROUND_HALF_UP) * quantum)


def _step(step: Decimal | str) -> Decimal:
    if not isinstance(step, (Decimal, str)):
        raise ValueError(f"step must be a Decimal or a decimal string, got {type(step).__name__}")
    try:
        quantum = Decimal(step)
    except InvalidOperation:
        raise ValueError(f"step is not a number: {step!r}") from None
    if not (quantum.is_finite() and 0 < quantum <= 10) or (10 / quantum) % 1 != 0:
        raise ValueError(f"step must be a positive decimal that divides 10, got {step!r}")
    return quantum
