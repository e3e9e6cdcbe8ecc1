"""LoRA for the language (LA) and sentence-encoding (SE) modules.

One small implementation used by both stages. Modules compose *additively*: a trained
LoRA is merged into the frozen weights (W += alpha/r * B @ A) before the next LoRA is
added, so the SE adapter acts on top of the LA exactly as LA's delta plus SE's delta
(adapters' `Stack` of two LoRAs does not; docs/METHOD.md, "Composition").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

# Module-name patterns (BERT / XLM-R naming). adapters' "all linear" set leaves out the
# attention output projection, and so do we (docs/METHOD.md, "Module sizes").
ATTENTION_QKV = (r"layer\.\d+\.attention\.self\.(query|key|value)",)
ALL_LINEAR = ATTENTION_QKV + (r"layer\.\d+\.intermediate\.dense", r"layer\.\d+\.output\.dense")


@dataclass(frozen=True)
class LoraConfig:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.1
    targets: tuple[str, ...] = ATTENTION_QKV

    @property
    def scale(self) -> float:
        return self.alpha / self.r

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "LoraConfig":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(r=data["r"], alpha=data["alpha"], dropout=data["dropout"], targets=tuple(data["targets"]))


class LoraLinear(nn.Module):
    """y = W x + b + (alpha/r) * B A dropout(x); W and b frozen, A and B trainable."""

    def __init__(self, base: nn.Linear, config: LoraConfig):
        super().__init__()
        self.base = base
        self.scale = config.scale
        self.dropout = nn.Dropout(config.dropout)
        self.lora_A = nn.Parameter(torch.empty(config.r, base.in_features, dtype=base.weight.dtype))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, config.r, dtype=base.weight.dtype))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # B = 0: the module starts as identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scale

    def delta(self) -> torch.Tensor:
        return (self.lora_B @ self.lora_A) * self.scale


def target_names(model: nn.Module, config: LoraConfig) -> list[str]:
    patterns = [re.compile(rf"(^|.*\.){p}$") for p in config.targets]
    names = [
        name for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and any(p.match(name) for p in patterns)
    ]
    if not names:
        raise ValueError(f"no linear layer of the model matches the LoRA targets {config.targets}")
    return names


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, module)


def add_lora(model: nn.Module, config: LoraConfig) -> dict[str, LoraLinear]:
    """Wrap every target linear layer of `model` in a LoraLinear (in place)."""
    wrapped = {}
    for name in target_names(model, config):
        layer = LoraLinear(model.get_submodule(name), config)
        _set_module(model, name, layer)
        wrapped[name] = layer
    return wrapped


def lora_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trainable LoRA tensors, keyed '<module>.lora_A' / '<module>.lora_B'."""
    state = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLinear):
            state[f"{name}.lora_A"] = module.lora_A.detach().cpu().contiguous()
            state[f"{name}.lora_B"] = module.lora_B.detach().cpu().contiguous()
    return state


def save_lora(model: nn.Module, config: LoraConfig, out_dir: str | Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(lora_state_dict(model), str(out_dir / "lora.safetensors"))
    config.save(out_dir / "lora_config.json")


def read_saved_lora(lora_dir: str | Path) -> tuple[float, dict[str, tuple[torch.Tensor, torch.Tensor]]]:
    """A saved LoRA: its scale (alpha/r) and module name -> (A, B)."""
    lora_dir = Path(lora_dir)
    config = LoraConfig.load(lora_dir / "lora_config.json")
    state = load_file(str(lora_dir / "lora.safetensors"))
    names = sorted({k.rsplit(".", 1)[0] for k in state})
    return config.scale, {name: (state[f"{name}.lora_A"], state[f"{name}.lora_B"]) for name in names}


def merge_saved_lora(model: nn.Module, lora_dir: str | Path) -> None:
    """Add a saved LoRA's delta to the model's weights: the additive composition of modules."""
    scale, pairs = read_saved_lora(lora_dir)
    with torch.no_grad():
        for name, (lora_a, lora_b) in pairs.items():
            layer = lora_target(model, name, lora_dir)
            delta = (lora_b @ lora_a) * scale
            if delta.shape != layer.weight.shape:
                raise ValueError(f"{lora_dir}: {name} has shape {tuple(delta.shape)}, model {tuple(layer.weight.shape)}")
            layer.weight += delta.to(layer.weight.device, layer.weight.dtype)


def lora_target(model: nn.Module, name: str, lora_dir: str | Path) -> nn.Module:
    """The layer a saved LoRA's module `name` acts on."""
    try:
        return model.get_submodule(name)
    except AttributeError:
        raise ValueError(f"{lora_dir}: LoRA module {name!r} does not exist in the model") from None
