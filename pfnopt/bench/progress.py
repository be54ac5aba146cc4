"""What ``pfnopt bench run`` shows while it works: cells done, ETA, the current best per method.

On a terminal it is a live rich display (a bar over the cells, then one row per method: cells
done, the running or last cell, its best feasible value, median seconds per BO iteration). When
the output is a file (a ``nohup`` log) it prints one line per finished cell instead.

The ETA is ``sum over methods of (cells left) x (mean wall time of that method's cells finished in
this session)``, the overall mean standing in for a method with none finished yet.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s")


def fmt_value(v: float | None) -> str:
    return "no feasible" if v is None else f"{v:.6g}"


def _secs(v: float | None) -> str:
    return "?" if v is None else f"{v:.3g}"


@dataclass
class _MethodRow:
    todo: int = 0
    done: int = 0
    failed: int = 0
    walls: list[float] = field(default_factory=list)
    secs: list[float] = field(default_factory=list)
    where: str = ""
    best: float | None = None


class RunProgress:
    """Tracks a run. ``cell_started``, ``trial_done`` and ``cell_finished`` feed it."""

    def __init__(self, console: Console, cells: list[Any], n_skipped: int):
        self.console = console
        self.total = len(cells)
        self.n_skipped = n_skipped
        self.started = time.monotonic()
        self.rows: dict[str, _MethodRow] = {}
        for c in cells:
            self.rows.setdefault(c.method, _MethodRow()).todo += 1
        self.finished = 0
        self.live: Live | None = None
        if console.is_terminal:
            self.live = Live(self._render(), console=console, refresh_per_second=2, transient=False)

    def __enter__(self) -> "RunProgress":
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.update(self._render())
            self.live.stop()

    # events -------------------------------------------------------------------------------
    def cell_started(self, cell: Any) -> None:
        row = self.rows[cell.method]
        row.where, row.best = f"{cell.problem} s{cell.seed}", None
        self._refresh()

    def trial_done(self, cell: Any, n_done: int, budget: int, best: float | None) -> None:
        row = self.rows[cell.method]
        row.where, row.best = f"{cell.problem} s{cell.seed} [{n_done}/{budget}]", best
        self._refresh()

    def cell_finished(self, cell: Any, outcome: dict[str, Any]) -> None:
        row = self.rows[cell.method]
        self.finished += 1
        if outcome["status"] == "done":
            row.done += 1
            row.walls.append(outcome["elapsed"])
            if outcome.get("median_sampler_seconds") is not None:
                row.secs.append(outcome["median_sampler_seconds"])
            row.where, row.best = f"{cell.problem} s{cell.seed}", outcome.get("final_best")
            gap = outcome.get("final_gap")
            text = (
                f"best {fmt_value(outcome.get('final_best'))}"
                + (f" (gap {gap:.3g})" if gap is not None else "")
                + f", {_secs(outcome.get('median_sampler_seconds'))} s/it, wall {fmt_seconds(outcome['elapsed'])}"
            )
        elif outcome["status"] == "busy":
            row.todo -= 1
            text = "skipped: held by another live `bench run` process"
        else:
            row.failed += 1
            text = f"FAILED: {outcome.get('error')}"
        line = f"[{self.finished}/{self.total}] {cell.label()}: {text}; ETA {fmt_seconds(self.eta())}"
        if self.live is not None:
            self.live.console.print(line, highlight=False, markup=False)
            self._refresh()
        else:
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)

    # rendering ----------------------------------------------------------------------------
    def eta(self) -> float | None:
        walls = [w for r in self.rows.values() for w in r.walls]
        if not walls:
            return None
        overall = statistics.fmean(walls)
        left = 0.0
        for r in self.rows.values():
            mean = statistics.fmean(r.walls) if r.walls else overall
            left += max(r.todo - r.done - r.failed, 0) * mean
        return left

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._render())

    def _render(self) -> Group:
        elapsed = time.monotonic() - self.started
        head = (
            f"cells {self.finished}/{self.total} this run ({self.n_skipped} already done), "
            f"elapsed {fmt_seconds(elapsed)}, ETA {fmt_seconds(self.eta())}"
        )
        table = Table(title=head, title_justify="left")
        for col in ("method", "done", "failed", "cell", "current best", "s/it (median)"):
            table.add_column(col)
        for method, r in self.rows.items():
            secs = f"{statistics.median(r.secs):.3g}" if r.secs else ""
            table.add_row(
                method, f"{r.done}/{r.todo}", str(r.failed or ""), r.where, fmt_value(r.best) if r.where else "", secs
            )
        return Group(ProgressBar(total=max(self.total, 1), completed=self.finished, width=60), table)
