import os

# Config -> validated config -> targets. Everything the rules share lives here.
import yaml

from modsent.config import default_config_path, validate_config

# Without --configfile, run the embedded offline default (tiny models, tiny shipped data).
if not config:
    with open(default_config_path(), encoding="utf-8") as _f:
        config.update(yaml.safe_load(_f))

# Fails here, before any job, naming the bad key, value, language or file.
validate_config(config)

LANGS = config["languages"]
PIVOT = config["pivot"]
NON_PIVOT = [lang for lang in LANGS if lang != PIVOT]
VARIANTS = config["variants"]


wildcard_constraints:
    lang="|".join(LANGS),
    variant="[a-z_]+",


def _configured_resources(rule_name):
    """config['resources']['default'] (every rule), then config['resources'][rule_name]."""
    merged = dict(config["resources"].get("default", {}))
    merged.update(config["resources"].get(rule_name, {}))
    return merged


def threads_for(rule_name, default):
    """Threads of a rule: the config's resources section overrides the rule's default."""
    return _configured_resources(rule_name).get("threads", default)


def resources_for(rule_name, **defaults):
    """mem_mb, runtime (minutes) and gpu of a rule; the config's resources section overrides."""
    merged = dict(defaults)
    merged.update({k: v for k, v in _configured_resources(rule_name).items() if k != "threads"})
    return merged


TINY_ENCODER = "results/models/tiny-encoder"


def model_path(value, tiny_dir):
    """The path or hub id a job loads: "tiny-random" means the directory a rule builds."""
    return tiny_dir if value == "tiny-random" else value


def model_input(value, tiny_dir):
    """Snakemake input for a model value: the tiny build, an existing local path, or none (hub id)."""
    if value == "tiny-random":
        return [tiny_dir]
    return [value] if os.path.exists(value) else []


BASE_MODEL = model_path(config["base_model"], TINY_ENCODER)


def base_model_param(wildcards, input):
    """The base model a job loads: its `base` input when local or built, else the hub id."""
    return input.base if input.get("base") else config["base_model"]


def all_targets():
    """What `snakemake` builds by default: the training data views, the module-size table,
    the result tables (which pull in every training and evaluation job)."""
    return (
        translation_targets()
        + sentence_encoding_targets()
        + ["results/tables/table1.md", "results/tables/table1.tex", "results/tables/details"]
        + ["results/tables/plots"]
    )
