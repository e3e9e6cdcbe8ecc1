"""Module formats: LoRA, the language module, the alignment adapter and their composition."""
