"""Configuration: load, validate against the JSON schema, fill defaults, check semantics.

The Snakefile and every CLI go through `validate_config`, so a bad config fails the
same way everywhere, before any job runs, with a message that names the problem.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from modsent.languages import UnknownLanguageError, get_language


class ConfigError(ValueError):
    """The configuration is invalid; the message names the offending key or value."""


def _schema() -> dict:
    text = resources.files("modsent.schemas").joinpath("config.schema.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _with_defaults(validator_class):
    """A validator that fills `default` values (also those behind a $ref) while validating."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in props.items():
                if name in instance:
                    continue
                if "$ref" in subschema and "default" not in subschema:
                    subschema = validator._resolver.lookup(subschema["$ref"]).contents
                if "default" in subschema:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _where(error: jsonschema.ValidationError) -> str:
    return "config" + "".join(f"[{p!r}]" for p in error.absolute_path)


def validate_config(config: dict) -> dict:
    """Validate `config` in place (defaults filled) and return it; raise ConfigError."""
    errors = sorted(_Validator(_schema()).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            if e.validator == "additionalProperties":
                lines.append(f"{_where(e)}: unknown key(s) ({e.message})")
            else:
                lines.append(f"{_where(e)}: {e.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    _check_languages(config)
    _check_local_model(config, "base_model")
    from modsent.translate import check_translate_config  # the MT stage's own checks

    check_translate_config(config)
    return config


def _check_languages(config: dict) -> None:
    bad = []
    for code in list(config["languages"]) + [config["pivot"]]:
        try:
            get_language(code)
        except UnknownLanguageError as e:
            bad.append(str(e))
    if bad:
        raise ConfigError("invalid configuration: config['languages']: " + "; ".join(sorted(set(bad))))
    codes = [get_language(c) for c in config["languages"]]
    if len(set(codes)) != len(codes):
        raise ConfigError(f"invalid configuration: config['languages'] names a language twice: {config['languages']}")
    if get_language(config["pivot"]) not in codes:
        raise ConfigError(
            f"invalid configuration: the pivot language {config['pivot']!r} must be in config['languages']"
        )
    # One spelling everywhere (paths, wildcards, tables): ISO 639-1 where it exists, else NLLB.
    config["languages"] = [lang.code for lang in codes]
    config["pivot"] = get_language(config["pivot"]).code


def looks_like_local_path(value: str) -> bool:
    """Hub ids are `org/name`; these prefixes only ever start a filesystem path."""
    return value.startswith(("/", "./", "../", "~"))


def _check_local_model(config: dict, key: str) -> None:
    value = config[key]
    if looks_like_local_path(value) and not Path(value).expanduser().exists():
        raise ConfigError(f"invalid configuration: config[{key!r}]: local path {value} does not exist")


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    with path.open(encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config must be a YAML mapping")
    return validate_config(config)


def default_config_path() -> Path:
    """The embedded offline default config (tiny random models, tiny shipped data)."""
    return Path(str(resources.files("modsent.resources").joinpath("default_config.yaml")))
