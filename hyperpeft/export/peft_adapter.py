"""A LoRA run as a `peft` adapter folder: `PeftModel.from_pretrained(base, DIR)` loads it and
computes what the run computes.

The mapping is one to one. Our update on the linear layer `<name>` is `scale * B A` with
`scale = alpha / rank`; peft's is `lora_alpha / r * B A` (no rsLoRA), its `lora_A` (r, in) and
`lora_B` (out, r) weights saved as `base_model.model.<name>.lora_A.weight` /
`.lora_B.weight`. `target_modules` lists the adapted layers by their full names. Backbone
weights the run trained too (its layer norms, with `method.train_layer_norms=true`) are peft's
`modules_to_save`, saved whole as `base_model.model.<module>.<param>`. Task heads are not
something peft knows: heads.py writes them beside the adapter.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from hyperpeft.errors import ConfigError
from hyperpeft.formulation import TextToText
from hyperpeft.methods.lora import LoraMethod
from hyperpeft.recipe import TrainedRun

ADAPTER_WEIGHTS = "adapter_model.safetensors"
PREFIX = "base_model.model."


def lora_weights(method: LoraMethod, backbone: torch.nn.Module) -> dict[str, torch.Tensor]:
    """peft's key for each factor. The method names an update by its target module's name with
    dashes for dots (module names hold no dashes)."""
    tensors = {}
    for key, update in method.lora.items():
        name = key.replace("-", ".")
        if not isinstance(backbone.get_submodule(name), torch.nn.Linear):
            raise RuntimeError(f"LoRA update {key} names no linear layer of the backbone")
        tensors[f"{PREFIX}{name}.lora_A.weight"] = update.lora_A.detach().contiguous()
        tensors[f"{PREFIX}{name}.lora_B.weight"] = update.lora_B.detach().contiguous()
    return tensors


def trained_backbone_modules(backbone: torch.nn.Module) -> list[str]:
    """The modules holding a backbone parameter the run trained: peft's `modules_to_save`."""
    return sorted(
        {name.rpartition(".")[0] for name, p in backbone.named_parameters() if p.requires_grad}
    )


def write_peft_adapter(trained: TrainedRun, folder: Path, base_name: str) -> list[Path]:
    """`adapter_config.json` (written by peft's own `LoraConfig`) and the adapter weights."""
    try:
        from peft import LoraConfig
    except ImportError:
        raise ConfigError(
            "--format", "peft", "needs the peft package: pip install 'hyperpeft[export]'"
        ) from None
    method, backbone = trained.module.method, trained.module.backbone
    config = method.config
    modules = trained_backbone_modules(backbone)
    tensors = lora_weights(method, backbone)
    for module_name in modules:
        for param, value in backbone.get_submodule(module_name).state_dict().items():
            tensors[f"{PREFIX}{module_name}.{param}"] = value.detach().contiguous()
    seq2seq = isinstance(trained.module.formulation, TextToText)
    LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=sorted(key.replace("-", ".") for key in method.lora),
        modules_to_save=modules or None,
        bias="none",
        task_type="SEQ_2_SEQ_LM" if seq2seq else None,
        base_model_name_or_path=base_name,
        inference_mode=True,
    ).save_pretrained(str(folder))
    save_file(tensors, str(folder / ADAPTER_WEIGHTS), metadata={"format": "pt"})
    return [folder / "adapter_config.json", folder / ADAPTER_WEIGHTS]
