"""Pretrained backbones: where they come from and what the rest of the code may assume."""

from hyperpeft.backbones.backbone import Backbone
from hyperpeft.backbones.families import BACKBONE_TYPES, BackboneType, Family
from hyperpeft.backbones.load import load_backbone, load_tokenizer

__all__ = [
    "BACKBONE_TYPES",
    "Backbone",
    "BackboneType",
    "Family",
    "load_backbone",
    "load_tokenizer",
]
