"""Experiment tracking beyond the local results.json: Weights & Biases
(`tracking.weights_and_biases`), and the loggers the `logger` config group names."""
