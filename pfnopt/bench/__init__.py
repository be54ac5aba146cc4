"""Benchmarks over the public API: ``pfnopt bench run`` / ``report`` and the figures of ``pfnopt plot``.

    runner.py     cells as resumable studies, the shared initial design, locks, the run loop
    cells.py      what a cell is, its study name, its result file (format, completeness, writing)
    methods.py    method name -> sampler, availability probe, default method lists
    env.py        thread settings and the environment block of every result file
    progress.py   the live display / log lines while running
    aggregate.py  result files -> statistics, comparisons, missing cells
    report.py     report.md and its figures
    plots.py      matplotlib figures (history, feasibility), shared with ``pfnopt plot``

Nothing heavy is imported here; matplotlib, torch and the samplers load when used.
"""

from pfnopt.bench.cells import Cell, RunSpec, default_out, default_storage, result_path

__all__ = ["Cell", "RunSpec", "default_out", "default_storage", "result_path"]
