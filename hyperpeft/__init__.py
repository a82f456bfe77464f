"""hyperpeft package."""
