"""Multi-fidelity test beds: the LCBench surrogate (learning curves of MLPs on 34 OpenML tasks) and the
equal-epoch comparison of pruners run on it (``benchmarks/multifidelity``)."""

from pfnopt.multifidelity.lcbench import LCBench, default_lcbench_dir

__all__ = ["LCBench", "default_lcbench_dir"]
