"""Training: the LightningModule, heads, callbacks and the Trainer."""
