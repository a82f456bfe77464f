"""Data: tokenised features, the temperature sampler, the Lightning data module."""
