"""hyperpeft's Optuna sweeper for Hydra, on current Optuna (`hydra/sweeper=optuna`).

Hydra imports every public module of this package when it starts, so those stay light: the
config schema (`config`), the sweeper shell (`sweeper`) and the `sweep` config group
(`search_path`). Optuna itself is imported only when a sweep runs (`_impl` and friends).
"""
