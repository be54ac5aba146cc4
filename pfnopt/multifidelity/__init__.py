"""Multi-fidelity: the LCBench test bed (learning curves of MLPs on 34 OpenML tasks), the equal-epoch
comparison of pruners run on it (``benchmarks/multifidelity``) and freeze-thaw scheduling with the curve PFN."""

from pfnopt.multifidelity.freeze_thaw import FreezeThaw, FreezeThawResult, lcbench_trainer
from pfnopt.multifidelity.lcbench import LCBench, default_lcbench_dir

__all__ = ["FreezeThaw", "FreezeThawResult", "LCBench", "default_lcbench_dir", "lcbench_trainer"]
