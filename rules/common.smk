# Config -> validated config -> targets. Everything the rules share lives here.
import json
import os
import re
import shlex

from modsent.config import apply_nested_overrides, validate_config
from modsent.corpus import language_adaptation_spec, monolingual_spec
from modsent.store import Results
from modsent.variants import get_variant
from modsent.evaldata import clone_sources
from modsent.evaluation.scoring import scoring_units
from modsent.evaluation.texts import open_datasets
from modsent.languages import get_language
from modsent.tsv import VIEW_NAMES
from modsent.training_views import provided_sources

# The config is the Snakefile's `configfile:` (the embedded default) or the --configfile.
# Snakemake hands nested --config values over as strings ('language_adaptation={steps: 5}'):
# parsed as YAML, as in a config file, they keep their types.
apply_nested_overrides(config, workflow.config_settings.config_args)

# Fails here, before any job, naming the bad key, value, language or file.
validate_config(config)

LANGS = config["languages"]
PIVOT = config["pivot"]
NON_PIVOT = [lang for lang in LANGS if lang != PIVOT]
VARIANTS = config["variants"]


wildcard_constraints:
    lang="|".join(LANGS),
    variant="[a-z_]+",


# Each rule declares its threads and resources (mem_mb, runtime in minutes, gpu); a cluster
# overrides them per rule with Snakemake's own set-threads / set-resources (profiles/slurm,
# or --set-resources RULE:mem_mb=N on the command line; README "Slurm").
def scaled_runtime(minutes):
    """The runtime grows with the attempt: a job the profile resubmits after its time limit
    (`retries`) gets twice, then three times as long, and resumes from its checkpoint."""
    return lambda wildcards, attempt: minutes * attempt


# Every path under results/ comes from here (modsent/store.py): the rules' inputs and outputs,
# and the paths their commands receive.
RESULTS = Results()
MODULES = RESULTS.modules
TINY_ENCODER = RESULTS.tiny_encoder


def model_input(value, tiny_dir):
    """Snakemake input for a model value: the tiny build, an existing local path, or none (hub id)."""
    if value == "tiny-random":
        return [tiny_dir]
    return [value] if os.path.exists(value) else []


def base_model_param(wildcards, input):
    """The base model a job loads: its `base` input when local or built, else the hub id."""
    return input.base if input.get("base") else config["base_model"]


def all_targets():
    """What `snakemake` builds by default: the training data views, the module-size table,
    the result tables (which pull in every training and evaluation job)."""
    return (
        translation_targets()
        + sentence_encoding_targets()
        + identifier_targets()
        + [RESULTS.table(name) for name in ("table1.md", "table1.tex", "details", "plots")]
    )


# ---------------------------------------------------------------- models (rules/models.smk)
TINY_NLLB = RESULTS.tiny_nllb


def tiny_size_args():
    """--hidden-size ... options of the tiny builders, from config['tiny_models']."""
    return shlex.join(
        [f"--{k.replace('_', '-')}={v}" for k, v in config["tiny_models"].items() if k != "corpus"]
    )


# ---------------------------------------------------------------- translate (rules/translate.smk)


TRANSLATE = config["translate"]
PARAPHRASE_SETS = config["data"]["paraphrase"]
# Keys in the configured spelling of their language (check_translate_config does the same).
PROVIDED = {
    lang: spec
    for key, spec in config["data"]["provided_translations"].items()
    for lang in LANGS
    if get_language(lang) == get_language(key)
}
NLLB_CT2 = RESULTS.nllb_ct2
# The tiny random NLLB is built already converted; any other model goes through convert_nllb.
MT_MODEL = TINY_NLLB if TRANSLATE["model"] == "tiny-random" else NLLB_CT2


def translation_targets():
    """The training views of every configured language (pivot included)."""
    return [RESULTS.view(lang, view) for lang in LANGS for view in VIEW_NAMES]


def paraphrase_input(wildcards):
    spec = PARAPHRASE_SETS[wildcards.dataset]
    return [spec["path"]] if os.path.exists(spec["path"]) else []


def paraphrase_args(wildcards):
    """CLI options of one paraphrase set (only that set's values: others do not rerun)."""
    spec = PARAPHRASE_SETS[wildcards.dataset]
    args = ["--format", spec["format"], "--path", spec["path"], "--split", spec["split"]]
    if spec.get("subset"):
        args += ["--subset", spec["subset"]]
    if spec.get("columns"):
        args += ["--columns", *spec["columns"]]
    if spec.get("max_rows"):
        args += ["--max-rows", str(spec["max_rows"])]
    return shlex.join(args)


def shard_files(wildcards):
    return [RESULTS.mt_shard(wildcards.dataset, wildcards.lang, str(k)) for k in range(TRANSLATE["shards"])]


def provided_files(lang):
    """Local files (or local hub copy) a language's provided translations are read from."""
    spec = PROVIDED[lang]
    if spec["format"] == "hub":
        return [spec["path"]] if os.path.exists(spec["path"]) else []
    codes = {spec.get("code") or lang, spec.get("pivot_code") or PIVOT}
    return sorted({path for code in codes for path, _ in provided_sources(spec, code)})


def view_inputs(wildcards):
    lang = wildcards.lang
    if lang in PROVIDED:
        return provided_files(lang)
    sources = [RESULTS.mt_source(d) for d in PARAPHRASE_SETS]
    if lang == PIVOT:
        return sources
    return sources + [RESULTS.mt_translation(d, lang) for d in PARAPHRASE_SETS]


def view_args(wildcards):
    """Where one language's views come from (only that language's values)."""
    lang = wildcards.lang
    if lang in PROVIDED:
        spec = PROVIDED[lang]
        args = ["--provided-format", spec["format"], "--provided-path", spec["path"], "--splits", *spec["splits"],
                "--pattern", spec["pattern"], "--code", spec.get("code") or lang,
                "--pivot-code", spec.get("pivot_code") or PIVOT]
    else:
        args = ["--source", *[RESULTS.mt_source(d) for d in PARAPHRASE_SETS]]
        if lang != PIVOT:
            args += ["--translated", *[RESULTS.mt_translation(d, lang) for d in PARAPHRASE_SETS]]
    return shlex.join(args)


# ---------------------------------------------------------------- specialize (rules/specialize.smk)


def _cli_options(section, keys):
    """--key=value options of a config section (the values every language shares)."""
    return shlex.join([f"--{key.replace('_', '-')}={section[key]}" for key in keys])


FOCUS_ARGS = _cli_options(
    config["focus"], ["fasttext_dim", "fasttext_epochs", "fasttext_min_count", "fasttext_bucket", "max_sentences"]
) + (" --reproducible" if config["focus"]["reproducible"] else "")

def settings_option(values):
    """A stage's settings as its one --settings JSON option, with the config's seed (the
    stage's settings dataclass reads it; what is left out keeps the dataclass default)."""
    return f"--settings={json.dumps({**values, 'seed': config['seed']}, sort_keys=True)}"


# LA's checkpoint interval is one of its settings
LANGUAGE_ADAPTATION_ARGS = shlex.join([settings_option(config["language_adaptation"]), "--device", config["device"]])


def monolingual_text_files(wildcards):
    """The local text files a language's monolingual text is read from (hub sources are no input)."""
    return [s["path"] for s in monolingual_spec(config, wildcards.lang)["sources"] if s["format"] == "text"]


# ---------------------------------------------------------------- sentence_encoding (rules/sentence_encoding.smk)


def training_options(section):
    """A contrastive stage's options: its config section as --settings, the checkpoint
    interval (an option of its own) and the device."""
    values = {key: value for key, value in section.items() if key != "checkpoint_every"}
    return shlex.join([settings_option(values), f"--checkpoint-every={section['checkpoint_every']}",
                       "--device", config["device"]])


SENTENCE_ENCODING_ARGS = training_options(config["sentence_encoding"])


def sentence_encoding_targets():
    """The module-size table; it pulls in every module the configured variants use."""
    return [RESULTS.table("modules.csv")]


def embedding_encoders(variants, lang):
    """Variant -> the modules (or full model) its encoder of `lang` is composed of."""
    return RESULTS.encoders([lang], variants, PIVOT)[lang]


def embedding_inputs(variants, lang):
    """The directories an embedding job of `lang` reads: every module of its encoders."""
    return sorted({path for modules in embedding_encoders(variants, lang).values() for path in modules.values()})


def embedding_encoders_arg(variants, lang):
    return shlex.quote(json.dumps(embedding_encoders(variants, lang), sort_keys=True))


def configured_modules():
    """Every trained module directory the configured variants compose encoders from."""
    return sorted({
        path for variant in VARIANTS for lang in LANGS
        for role, path in MODULES.variant_modules(variant, lang, PIVOT).items() if role != "tokenizer"
    })


# ---------------------------------------------------------------- align (rules/align.smk)


ALIGNMENT_ARGS = training_options(config["alignment"])


def alignment_encoders(lang, kind):
    """Language -> modules of every encoder the CLA of (lang, kind) trains with: its own (LA +
    SE; LA only for c-jt), the pivot's and, all-pair, every other non-pivot language's."""
    partners = tuple(allpair_partners(lang)) if kind.startswith("allpair") else ()
    return MODULES.alignment_encoders(lang, kind, PIVOT, partners)


def alignment_encoders_arg(lang, kind):
    return shlex.quote(json.dumps(alignment_encoders(lang, kind), sort_keys=True))


def alignment_views(lang, kind):
    """The language's views a kind trains on (pp, allpair-pp: paraphrase pairs; pl, allpair-pl:
    parallel pairs; else both)."""
    views = {"pp": ["cross"], "pl": ["parallel"]}.get(kind.removeprefix("allpair-"), ["cross", "parallel"])
    return {view: RESULTS.view(lang, view) for view in views}


def alignment_inputs(lang, kind):
    return {
        "base": model_input(config["base_model"], TINY_ENCODER),
        "modules": sorted({path for roles in alignment_encoders(lang, kind).values() for path in roles.values()}),
        **alignment_views(lang, kind),
    }


def alignment_view_args(lang, kind):
    return shlex.join([f"--{view}={path}" for view, path in alignment_views(lang, kind).items()])


def allpair_partners(lang):
    return [other for other in NON_PIVOT if other != lang]


def allpair_inputs(lang, kind):
    return {
        **alignment_inputs(lang, kind),
        "partner_views": [RESULTS.view(other, "parallel") for other in allpair_partners(lang)],
    }


# ---------------------------------------------------------------- identify (rules/identify.smk)

IDENTIFIER_ARGS = settings_option(config["identifier"])
# The identifier's accuracy is measured on FLORES (devtest in the paper config), when configured.
IDENTIFIER_TEST_SET = "flores"


def identifier_targets():
    """The routing identifier, and its accuracy table where FLORES is evaluated."""
    return [MODULES.identifier()] + ([RESULTS.table("identifier.csv")] if IDENTIFIER_TEST_SET in EVAL_SPECS else [])


def identifier_texts():
    """Language -> the FLORES texts file of each configured language FLORES covers."""
    return {lang: RESULTS.eval_texts(IDENTIFIER_TEST_SET, lang) for lang in EVAL_LANGS.get(IDENTIFIER_TEST_SET, [])}


# ---------------------------------------------------------------- full (rules/full.smk)

FULL_ARGS = training_options(config["full"])


def full_languages(variant):
    return [PIVOT] if variant == "full_en" else LANGS


def full_inputs(wildcards):
    inputs = {
        "base": model_input(config["base_model"], TINY_ENCODER),
        "mono": [RESULTS.view(lang, "mono") for lang in full_languages(wildcards.variant)],
    }
    if wildcards.variant == "full_mc":
        inputs["start"] = RESULTS.full("full_m")
    return inputs


# ---------------------------------------------------------------- evaluate (rules/evaluate.smk)


# Opened at parse time: a missing data file fails here, before any job runs.
EVAL_SPECS = config["evaluation"]["datasets"]
EVAL_DATASETS = open_datasets(EVAL_SPECS, LANGS)
# Sets published outside the hub as repositories (`clone_of`): rules/fetch.smk fetches a
# missing clone; until then the plan takes its languages from the repository's facts.
EVAL_CLONES = clone_sources(EVAL_SPECS)
EVAL_UNITS = {
    name: {u.name: list(u.langs) for u in ds.units()} for name, ds in EVAL_DATASETS.items()
}
for _name, _ds in EVAL_DATASETS.items():
    if "all" in scoring_units(_ds):
        EVAL_UNITS[_name]["all"] = sorted({l for pair in _ds.bilingual_directions() for l in pair})


wildcard_constraints:
    dataset="|".join(EVAL_DATASETS) or "none",
    unit="[A-Za-z_]+(-[A-Za-z_]+)?",


EVAL_LANGS = {name: list(ds.languages()) for name, ds in EVAL_DATASETS.items()}

# Per-language variants' encoders of a language depend only on its own (and the pivot's)
# modules, so they are embedded per (dataset, language) and never rerun when another language
# is added. Multilingual variants (Full_m/_c/_mc, all-pair CLA) are retrained whenever the
# language list changes: they are embedded in jobs of their own, also per (dataset, language),
# so that no job encodes more than one language's texts (the largest, Belebele's 4,500 or
# SICK's ~9,800, times its group's encoders; README "Evaluation cost").
# Their scores are kept apart the same way: per-language variants per (dataset, unit), rerun
# only when the unit involves a changed language; multilingual variants per dataset, every unit.
PER_LANGUAGE_VARIANTS = [v for v in VARIANTS if not get_variant(v).multilingual]
MULTILINGUAL_VARIANTS = [v for v in VARIANTS if get_variant(v).multilingual]
EMBEDDING_ROOTS = {kind: RESULTS.embeddings_root(kind) for kind in ("per_language", "multilingual")}
# Embedding jobs run on a GPU where the cluster gives one, on the CPU (these threads) otherwise.
EMBED_THREADS = 4
EMBED_RESOURCES = dict(mem_mb=8000, runtime=scaled_runtime(120), gpu=1)
EMBED_ARGS = shlex.join([
    "--device", config["device"],
    "--batch-size", str(config["evaluation"]["batch_size"]),
    "--max-seq-length", str(config["evaluation"]["max_seq_length"]),
])
EMBED_COMMAND = (
    "python -m modsent.evaluate embed --lang {wildcards.lang} --texts {input.texts:q} --encoders {params.encoders}"
    " --out {output:q} --base-model {params.base_model:q} {params.settings} --threads {threads} > {log:q} 2>&1"
)


SCORE_COMMAND = (
    "python -m modsent.evaluate score --dataset {wildcards.dataset} --spec {params.spec:q}"
    " --units {params.units} --variants {params.variants} {params.paths}"
    " --pivot {params.pivot} --seed {params.seed} --out {output:q} > {log:q} 2>&1"
)


def score_paths_arg(dataset, langs, kind):
    """--texts and --embeddings of a score job: each language's texts file and its folder of
    the `kind` embedding cache, exactly the job's inputs."""
    root = EMBEDDING_ROOTS[kind].format(dataset=dataset)
    return shlex.join(["--texts", *(f"{lang}={RESULTS.eval_texts(dataset, lang)}" for lang in langs),
                       "--embeddings", *(f"{lang}={os.path.join(root, lang)}" for lang in langs)])


def score_files():
    """Every score file of the configured datasets: the per-language variants' of each unit,
    the multilingual variants' of each dataset."""
    files = []
    for dataset, units in EVAL_UNITS.items():
        if PER_LANGUAGE_VARIANTS:
            files += [RESULTS.unit_scores(dataset, unit) for unit in units]
        if MULTILINGUAL_VARIANTS:
            files.append(RESULTS.multilingual_scores(dataset))
    return files


def skipped_items():
    return [[name, item, reason] for name, ds in EVAL_DATASETS.items() for item, reason in ds.skipped()]


def multilingual_embeddings(dataset):
    """The multilingual variants' embedding caches of every language of a dataset."""
    root = EMBEDDING_ROOTS["multilingual"].format(dataset=dataset)
    return [os.path.join(root, lang) for lang in EVAL_LANGS[dataset]]


def unit_embeddings(wildcards):
    """The per-language variants' embedding caches of a unit's languages."""
    root = EMBEDDING_ROOTS["per_language"].format(dataset=wildcards.dataset)
    return [os.path.join(root, lang) for lang in EVAL_UNITS[wildcards.dataset][wildcards.unit]]



def eval_data_files(wildcards):
    """The local evaluation data files a job reads, so that editing one reruns it: those of a
    texts job's language, of a score job's unit, or else of every language of the dataset.
    Raw files or a local hub copy; a hub id has none."""
    if "lang" in wildcards.keys():
        langs = [wildcards.lang]
    elif "unit" in wildcards.keys():
        langs = EVAL_UNITS[wildcards.dataset][wildcards.unit]
    else:
        langs = EVAL_LANGS[wildcards.dataset]
    return EVAL_DATASETS[wildcards.dataset].local_files(langs)
