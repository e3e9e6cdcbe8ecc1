"""modsent: modular multilingual sentence encoders (Huang et al., ACL 2025)."""

__version__ = "0.1.0"
