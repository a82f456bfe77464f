"""The parameter table: counts by the papers' conventions, and the table every run prints.

counts = count_parameters(backbone_model, method, extra_modules=[heads])
print_parameter_table({**counts, "checkpoint_bytes": n}, "compacter", "t5-base", num_tasks=8)
"""

from hyperpeft.accounting.counts import count_parameters
from hyperpeft.accounting.table import print_parameter_table

__all__ = ["count_parameters", "print_parameter_table"]
