"""Exporting a trained run: `hyperpeft-export RUN --format FORMAT --output DIR` (cli.py).

    from hyperpeft.export.exporter import export_run
    export_run("outputs/runs/<run>", "peft", "exported/lora")

exporter.py picks and checks the format; peft_adapter.py writes a peft LoRA adapter,
merged.py a `save_pretrained` model with the method folded in, heads.py an encoder's task heads
beside either, base_model.py the backbone a built-from-settings run started from. Nothing is
imported here, so that the command answers --help and bad arguments without loading torch.
"""

# The formats, the most widely read first (exporter.py says what each holds).
FORMATS = ("peft", "merged", "safetensors")
