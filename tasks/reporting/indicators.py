"""Indicator trajectory and light.

Defined in ``tasks.indicators`` (helper ``indicators`` owns the comparator rules); this module is
the name every figure uses for them, so that the definitions live behind one door:

* **Trajectory**: a straight line from the baseline (its year, else the plan's first year; the
  first reading when no baseline) to the target at the end of the target year (else the plan's
  last year); ``Trajectory.expected_on(day)``.
* **Indicator light**: the latest reading against where the line stands on that day, in the
  direction the comparator asks for (``light_for``); no light without a trajectory and a reading.
"""

from __future__ import annotations

from ..indicators import IndicatorStatus, Trajectory, indicator_status, light_for, trajectory_for

__all__ = ["IndicatorStatus", "Trajectory", "indicator_status", "light_for", "trajectory_for"]
