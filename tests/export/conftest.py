from tests.helpers.trained_runs import trained_runs  # noqa: F401  (the shared fixture)
