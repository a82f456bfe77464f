"""Pretrained backbones: where they come from and what the rest of the code may assume."""

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.backbones.load import load_backbone, load_tokenizer

__all__ = ["Backbone", "load_backbone", "load_tokenizer"]
