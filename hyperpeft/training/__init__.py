"""Training: the LightningModule, callbacks, checkpoints and the Trainer."""
