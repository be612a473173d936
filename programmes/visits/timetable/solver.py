"""The visit's timetable, solved with OR-Tools CP-SAT: pure functions of plain data (no app, no database).

Each expert who accepted gets at most one meeting, inside a half-day they ticked and the fellow's
hours, never across the lunch window, at most ``max_per_day`` a day, and with the travel time between
two meetings in different places kept free. The solver first places as many meetings as it can, then,
among the timetables that place that many, prefers the fewest places visited each day (so the fewest
changes of building), and, when re-solving, leaves meetings where they already are wherever it can
(a move emails the expert and the fellow). Pinned meetings stay where the organiser put them. Meetings start on a
``GRID``-minute grid (09:00, 09:15, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from core.lib.halfday import HalfDay

#: Meetings start on this grid (minutes).
GRID = 15
#: Travel minutes between two different places when the organisers' table says nothing.
DEFAULT_TRAVEL = 15
#: The solver stops after this long and keeps the best timetable found (status FEASIBLE rather than OPTIMAL):
#: every meeting that fits is placed within milliseconds; proving the fewest buildings can take longer.
TIME_LIMIT_SECONDS = 5.0
#: Weights of the objective: placing a meeting always wins; then leaving a meeting where it is (a move
#: emails two people); then each place visited in a day.
PLACED_WEIGHT = 1000
STAY_WEIGHT = 10


@dataclass(frozen=True)
class Day:
    day: date
    starts: int  #: minutes after midnight
    ends: int
    lunch_starts: int
    lunch_ends: int


@dataclass(frozen=True)
class Request:
    """One expert who accepted: where they meet and the half-days they offered."""

    key: int  #: the invitation's id
    name: str
    #: The building or place of an in-person meeting; None for an online one (no travel either side).
    place: str | None
    half_days: frozenset[HalfDay]
    #: A pinned meeting: (day, start minute) it must keep.
    pinned: tuple[date, int] | None = None
    #: Where its meeting is now, if it has one: re-solving prefers to leave it there.
    current: tuple[date, int] | None = None


@dataclass(frozen=True)
class Placed:
    key: int
    day: date
    start: int  #: minutes after midnight
    end: int
    place: str | None


@dataclass
class Timetable:
    placed: list[Placed] = field(default_factory=list)
    #: {request key: why it could not be placed}
    unplaced: dict[int, str] = field(default_factory=dict)
    #: "OPTIMAL" or "FEASIBLE" (a time limit was reached), from the solver.
    status: str = "OPTIMAL"


def minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def clock(value: int) -> time:
    return time(value // 60, value % 60)


def _travel(travel: dict[frozenset[str], int], a: str | None, b: str | None) -> int:
    if a is None or b is None or a == b:
        return 0
    return travel.get(frozenset((a, b)), DEFAULT_TRAVEL)


def _window(day: Day, half: str, length: int) -> tuple[int, int] | None:
    """The first and last start (on the grid) of a meeting of ``length`` within one half-day."""
    first, last = (day.starts, day.lunch_starts - length) if half == "am" else (day.lunch_ends, day.ends - length)
    first = -(-first // GRID) * GRID
    return (first, last) if first <= last else None


def solve(
    days: list[Day],
    requests: list[Request],
    *,
    length: int,
    max_per_day: int,
    travel: dict[frozenset[str], int] | None = None,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> Timetable:
    """The timetable that places the most meetings, then visits the fewest places a day."""
    # Imported here, not at the top: OR-Tools (with pandas) adds about a second and tens of megabytes
    # to every worker that would never solve a timetable.
    from ortools.sat.python import cp_model

    travel = travel or {}
    by_day = {day.day: day for day in days}
    model = cp_model.CpModel()
    starts: dict[int, cp_model.IntVar] = {}
    on_day: dict[tuple[int, date], cp_model.IntVar] = {}
    present: dict[int, cp_model.IntVar] = {}
    stays: list[cp_model.IntVar] = []
    unplaceable: dict[int, str] = {}
    for request in requests:
        windows = {}
        for day_date, half in sorted(request.half_days):
            day = by_day.get(day_date)
            window = _window(day, half, length) if day else None
            if window:
                windows[(day_date, half)] = window
        if request.pinned:
            pin_day, pin_start = request.pinned
            if pin_day not in by_day:
                unplaceable[request.key] = "its pinned time is outside the visit"
                continue
            windows = {(pin_day, "pin"): (pin_start, pin_start)}
        if not windows:
            unplaceable[request.key] = "none of the half-days they offered is within the visit's hours"
            continue
        earliest = min(first for first, _ in windows.values())
        latest = max(last for _, last in windows.values())
        start = model.new_int_var(earliest, latest, f"start_{request.key}")
        choices = []
        for (day_date, half), (first, last) in windows.items():
            chosen = model.new_bool_var(f"at_{request.key}_{day_date}_{half}")
            model.add(start >= first).only_enforce_if(chosen)
            model.add(start <= last).only_enforce_if(chosen)
            if half != "pin":
                step = model.new_int_var(0, (last - first) // GRID, f"grid_{request.key}_{day_date}_{half}")
                model.add(start == first + GRID * step).only_enforce_if(chosen)
            choices.append((day_date, chosen))
        is_present = model.new_bool_var(f"present_{request.key}")
        model.add(sum(chosen for _, chosen in choices) == is_present)
        if request.pinned:
            model.add(is_present == 1)
        for day_date in {d for d, _ in choices}:
            flag = model.new_bool_var(f"day_{request.key}_{day_date}")
            model.add(flag == sum(chosen for d, chosen in choices if d == day_date))
            on_day[(request.key, day_date)] = flag
        starts[request.key], present[request.key] = start, is_present
        if request.current and (request.key, request.current[0]) in on_day:
            stay = model.new_bool_var(f"stay_{request.key}")
            model.add(start == request.current[1]).only_enforce_if(stay)
            model.add_implication(stay, on_day[(request.key, request.current[0])])
            stays.append(stay)
            # Repairing: the current timetable is the solver's first guess, so the search starts from
            # "nothing moves" and only has to find what must.
            if earliest <= request.current[1] <= latest:
                model.add_hint(start, request.current[1])
                model.add_hint(stay, 1)
                model.add_hint(is_present, 1)

    placeable = [request for request in requests if request.key in starts]
    for day in days:
        here = [r for r in placeable if (r.key, day.day) in on_day]
        model.add(sum(on_day[(r.key, day.day)] for r in here) <= max_per_day)
        for i, a in enumerate(here):
            for b in here[i + 1 :]:
                both = [on_day[(a.key, day.day)], on_day[(b.key, day.day)]]
                a_first = model.new_bool_var(f"order_{a.key}_{b.key}_{day.day}")
                gap_ab = length + _travel(travel, a.place, b.place)
                model.add(starts[a.key] + gap_ab <= starts[b.key]).only_enforce_if([*both, a_first])
                model.add(starts[b.key] + gap_ab <= starts[a.key]).only_enforce_if([*both, a_first.Not()])

    places_used = []
    for day in days:
        for place in sorted({r.place for r in placeable if r.place is not None}):
            used = model.new_bool_var(f"place_{day.day}_{place}")
            for r in placeable:
                if r.place == place and (r.key, day.day) in on_day:
                    model.add_implication(on_day[(r.key, day.day)], used)
            places_used.append(used)
    model.maximize(PLACED_WEIGHT * sum(present.values()) + STAY_WEIGHT * sum(stays) - sum(places_used))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        pinned = [r.name for r in requests if r.pinned]
        reason = "the pinned meetings clash with one another" if pinned else "no timetable fits"
        return Timetable(unplaced={r.key: reason for r in requests}, status=solver.status_name(status))

    result = Timetable(status=solver.status_name(status), unplaced=unplaceable)
    for request in placeable:
        if not solver.value(present[request.key]):
            result.unplaced[request.key] = (
                "the half-days they offered are already full (meetings a day, lunch and travel time)"
            )
            continue
        day_date = next(d for (key, d), flag in on_day.items() if key == request.key and solver.value(flag))
        start = solver.value(starts[request.key])
        result.placed.append(Placed(request.key, day_date, start, start + length, request.place))
    result.placed.sort(key=lambda p: (p.day, p.start))
    return result
