"""Experiment tracking beyond the local results.json: Weights & Biases (`tracking.wandb`)."""
