"""Configuration: load, validate against the JSON schema, fill defaults, check semantics.

The Snakefile and every CLI go through `validate_config`, so a bad config fails the
same way everywhere, before any job runs, with a message that names the problem.
"""

from __future__ import annotations

import copy
import json
import logging
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from modsent.languages import UnknownLanguageError, get_language, nllb_language_token

log = logging.getLogger("modsent.config")


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


def validate_config(config: dict, *, workflow: bool = True) -> dict:
    """Validate `config` in place (defaults filled) and return it; raise ConfigError.

    `workflow=False` checks only what evaluating a given model reads (`modsent evaluate`):
    the schema, the languages and the evaluation section, not the training stages' models
    and data.
    """
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
    if not workflow:
        return config
    _normalise_monolingual(config)
    _check_base_model(config)
    check_translate_config(config)
    _check_paraphrase_sets(config)
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
    # One spelling everywhere (paths, wildcards, tables): ISO 639-1 where it exists, else NLLB, else ISO 639-3.
    config["languages"] = [lang.code for lang in codes]
    config["pivot"] = get_language(config["pivot"]).code


def is_hub_id(value: str) -> bool:
    """`name` or `org/name` as the Hugging Face Hub accepts it (no ./, ../, ~ or deeper paths)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def _check_source(where: str, value: str) -> None:
    """A model or dataset location must exist locally or be a hub id."""
    if not Path(value).expanduser().exists() and not is_hub_id(value):
        raise ConfigError(f"invalid configuration: {where}: {value!r} not found locally, and not a hub id "
                          "(name or org/name)")


# What a local Hugging Face model directory needs (sentence-transformers' Transformer module).
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
            "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")
_TOKENIZER = ("tokenizer.json", "vocab.txt", "vocab.json", "*.model")


def _transformer_dir(model_dir: Path) -> Path:
    """The folder of a sentence-transformers model's Transformer module (the model itself for a plain HF folder)."""
    modules = model_dir / "modules.json"
    if modules.is_file():
        for module in json.loads(modules.read_text(encoding="utf-8")):
            if module.get("type", "").endswith("Transformer"):
                return model_dir / module.get("path", "")
    return model_dir


def check_model_dir(model_dir: str | Path) -> list[str]:
    """What a local model directory lacks to be loaded (empty if nothing)."""
    hf_dir = _transformer_dir(Path(model_dir).expanduser())
    where = f"{hf_dir}/" if hf_dir != Path(model_dir).expanduser() else ""
    missing = []
    if not (hf_dir / "config.json").is_file():
        missing.append(f"{where}config.json")
    if not any((hf_dir / name).is_file() for name in _WEIGHTS):
        missing.append(f"weights ({where}{' or '.join(_WEIGHTS)})")
    if not any(any(hf_dir.glob(pattern)) for pattern in _TOKENIZER):
        missing.append(f"a tokenizer ({where}{' or '.join(_TOKENIZER)})")
    return missing


def _check_base_model(config: dict) -> None:
    value = config["base_model"]
    if value == "tiny-random":  # built by a rule
        return
    _check_source("config['base_model']", value)
    path = Path(value).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"invalid configuration: config['base_model']: {value} is a file, not a model directory")
        missing = check_model_dir(path)
        if missing:
            raise ConfigError(f"invalid configuration: config['base_model']: the local model {value} lacks "
                              + "; ".join(missing))


def _check_paraphrase_sets(config: dict) -> None:
    for name, spec in config["data"]["paraphrase"].items():
        where = f"config['data']['paraphrase'][{name!r}]['path']"
        if spec["format"] == "raw" and not Path(spec["path"]).expanduser().is_file():
            raise ConfigError(f"invalid configuration: {where}: file {spec['path']} not found")
        if spec["format"] in ("hub", "nli"):  # both go through datasets.load_dataset
            _check_source(where, spec["path"])


def _normalise_monolingual(config: dict) -> None:
    """Keys of data.monolingual in the configured spelling of their language, like `languages`.

    A key that is no language code is an error; a language that is not configured is unused
    (as data.provided_translations are), which is said in a warning.
    """
    entries = config["data"]["monolingual"]
    configured = {get_language(lang): lang for lang in config["languages"]}
    normalised, errors = {}, []
    for key, entry in entries.items():
        if key == "default":
            normalised[key] = entry
            continue
        where = f"config['data']['monolingual'][{key!r}]"
        try:
            language = get_language(key)
        except UnknownLanguageError as e:
            errors.append(f"{where}: {e}")
            continue
        lang = configured.get(language)
        if lang is None:
            log.warning("%s: %s (%s) is not in config['languages']; its entry is unused", where, key, language.name)
        elif lang in normalised:
            errors.append(f"{where}: a second entry for {lang} ({language.name})")
        else:
            normalised[lang] = entry
    for lang in config["languages"]:  # "{nllb}" in a path has no value for a language NLLB-200 lacks
        key = lang if lang in normalised else "default"
        sources = normalised.get(key, {}).get("sources", [])
        if not get_language(lang).nllb and any("{nllb}" in str(value) for s in sources for value in s.values()):
            errors.append(f"config['data']['monolingual'][{key!r}]: a source uses {{nllb}}, but NLLB-200 has no "
                          f"code for {lang} ({get_language(lang).name}); give {lang} an entry of its own")
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    config["data"]["monolingual"] = normalised


def check_rule_overrides(overrides: dict, rule_names) -> None:
    """Every rule named in Snakemake's per-rule overrides (option -> {rule: ...}) exists."""
    known = sorted(set(rule_names))
    unknown = [f"{option}: no rule named {rule!r}" for option, by_rule in overrides.items() for rule in sorted(by_rule)
               if rule not in known]
    if unknown:
        raise ConfigError(f"{'; '.join(unknown)}; the rules are: {', '.join(known)}")


def apply_nested_overrides(config: dict, config_args) -> dict:
    """Re-apply `--config key=value` entries whose value is a mapping or list, parsed as YAML.

    Snakemake parses nested `--config` values with YAML's base loader, so every number and
    boolean inside them arrives as a string (`language_adaptation={steps: 5}` -> '5'); parsed
    as in a config file they keep their types. Top-level scalars are Snakemake's own.
    """
    from snakemake.utils import update_config

    for entry in config_args or []:
        key, sep, value = str(entry).partition("=")
        if not sep:
            continue
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            continue  # not YAML: Snakemake took it as a string
        if isinstance(parsed, (dict, list)):
            update_config(config, {key: parsed})
    return config


def load_config(path: str | Path, *, workflow: bool = True) -> dict:
    """Read a YAML config file and validate it (see `validate_config` for `workflow`)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    with path.open(encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config must be a YAML mapping")
    return validate_config(config, workflow=workflow)


def default_config_path() -> Path:
    """The embedded offline default config (tiny random models, tiny shipped data)."""
    return Path(str(resources.files("modsent.resources").joinpath("default_config.yaml")))


def check_translate_config(config: dict) -> None:
    """Config-time checks of the MT stage; raise ConfigError naming the key and value.

    Every language that MT must produce (not the pivot, no provided translations) needs an
    NLLB-200 token; provided translations must name configured languages; languages built
    from the English sets need `data.paraphrase`. Provided-translation keys are rewritten
    to the configured spelling of their language.
    """
    languages, pivot = config["languages"], config["pivot"]
    data = config["data"]
    errors = []

    def configured(code):
        try:
            wanted = get_language(code)
        except UnknownLanguageError:
            return None
        for lang in languages:
            try:
                if get_language(lang) == wanted:
                    return lang
            except UnknownLanguageError:
                continue
        return None

    provided = {}
    for key, spec in data["provided_translations"].items():
        try:
            get_language(key)
        except UnknownLanguageError as e:
            errors.append(f"config['data']['provided_translations'][{key!r}]: {e}")
            continue
        lang = configured(key)
        if lang is not None:  # data of a language that is not configured (yet, or any more) is unused
            provided[lang] = spec
    pivot_lang = configured(pivot) or pivot
    needs_mt = [lang for lang in languages if lang != pivot_lang and lang not in provided]
    for lang in needs_mt + ([pivot_lang] if needs_mt else []):
        try:
            nllb_language_token(lang)
        except ValueError:
            role = "translated from" if lang == pivot_lang else "machine-translated"
            errors.append(f"config['languages']: NLLB-200 has no language {lang!r}, so it cannot be {role}; "
                          f"remove it or give data.provided_translations.{lang}")
    if (needs_mt or pivot_lang not in provided) and not data["paraphrase"]:
        users = needs_mt + ([pivot_lang] if pivot_lang not in provided else [])
        errors.append(f"config['data']['paraphrase'] is empty, but {users} take their data from the English "
                      "paraphrase sets")
    model = config["translate"]["model"]
    if needs_mt and model != "tiny-random" and not Path(model).expanduser().exists() and not is_hub_id(model):
        errors.append(f"config['translate']['model']: {model!r} not found locally, and not a hub id (name or org/name)")
    for name in sorted(set(data["paraphrase"]) & {"source", "shards"}):  # results/mt/{source,shards}/ are taken
        errors.append(f"config['data']['paraphrase'][{name!r}]: a reserved name, choose another")
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    data["provided_translations"] = provided
