"""Backbones as loaded: ready to train."""

from __future__ import annotations

from omegaconf import OmegaConf

from hyperpeft.backbones import load_backbone


def test_a_pretrained_backbone_comes_back_in_training_mode():
    # from_pretrained returns eval mode; Lightning keeps it, which would switch dropout off
    cfg = OmegaConf.create(
        {"name": "minilm", "path": "minilm", "tokenizer": None, "pretrained": True}
    )
    assert load_backbone(cfg, with_tokenizer=False).model.training
