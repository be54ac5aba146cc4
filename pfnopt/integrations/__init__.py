"""pfnopt inside other libraries. ``pfnopt.integrations.optuna.PFNSampler``: the PFN sampler as an
Optuna sampler (needs the ``optuna`` extra; imported only when asked for)."""
