"""The README's example objective: `pfnopt optimize beam --objective examples/beam.py:objective`."""


def objective(trial):
    x = trial.suggest_float("x", 0.1, 2.0, log=True)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", ["steel", "alu"])
    trial.set_constraints([x - 1.5, 0.3 - x])  # feasible when every value <= 0
    return (x - 1) ** 2 + 0.1 * n + (kind == "alu")
