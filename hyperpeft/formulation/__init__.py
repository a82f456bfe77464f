"""How tasks are posed to a backbone: encoder with task heads, or text-to-text.

The backbone's family picks one `Formulation` (`backbone.formulation`); it formats rows into
examples and features, collates batches, owns the heads, the loss and the prediction.
"""

from hyperpeft.formulation.base import Batch, Formulation
from hyperpeft.formulation.encoder_heads import EncoderHeads
from hyperpeft.formulation.text_to_text import TextToText

__all__ = ["Batch", "EncoderHeads", "Formulation", "TextToText"]
