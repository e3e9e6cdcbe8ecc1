"""modsent: modular multilingual sentence encoders (Huang et al., ACL 2025).

    from modsent import ModularEncoder
    encoder = ModularEncoder("results/modules", base_model="sentence-transformers/LaBSE")
    encoder.encode(["Guten Morgen"], lang="de")
"""

__version__ = "0.1.0"


def __getattr__(name):
    # Imported on first use: `import modsent` stays light for the workflow's small jobs.
    if name == "ModularEncoder":
        from modsent.modules.composition import ModularEncoder

        return ModularEncoder
    raise AttributeError(f"module 'modsent' has no attribute {name!r}")
