# Evaluation: texts per (dataset, language) -> embeddings per (variant, dataset, language)
# -> scores per (variant, dataset, unit). A unit is one language, one language pair, or
# "all" (language bias over every bilingual pair of a multi-parallel STS set).
import json

from modsent.encoder import VARIANTS as VARIANT_ORDER, modules_needed
from modsent.evaluate import open_dataset, scoring_units

# Opened at parse time: a missing data file fails here, before any job runs.
EVAL_SPECS = config["evaluation"]["datasets"]
EVAL_DATASETS = {name: open_dataset(name, spec, LANGS) for name, spec in EVAL_SPECS.items()}
EVAL_UNITS = {
    name: {u.name: list(u.langs) for u in ds.units()} for name, ds in EVAL_DATASETS.items()
}
for _name, _ds in EVAL_DATASETS.items():
    if "all" in scoring_units(_ds):
        EVAL_UNITS[_name]["all"] = sorted({l for pair in _ds.bilingual_directions() for l in pair})


wildcard_constraints:
    dataset="|".join(EVAL_DATASETS) or "none",
    unit="[A-Za-z_]+(-[A-Za-z_]+)?",


def score_files():
    """Every per-unit score file of the configured variants and datasets."""
    return [
        f"results/eval/scores/{variant}/{dataset}/{unit}.csv"
        for variant in VARIANTS
        for dataset, units in EVAL_UNITS.items()
        for unit in units
    ]


def skipped_items():
    return [[name, item, reason] for name, ds in EVAL_DATASETS.items() for item, reason in ds.skipped()]


def embedding_variant(variant, lang):
    """The variant whose embedding cache `variant` uses for `lang`: the first one in the
    grid's order built from the same modules (e.g. English is LA + SE in every Mod variant),
    so one encoder encodes each text once."""
    needed = modules_needed(variant, lang, PIVOT)
    if variant == "base" or not needed:
        return variant
    return next(name for name in VARIANT_ORDER if modules_needed(name, lang, PIVOT) == needed)


def embeddings_of(variant, dataset, lang):
    return f"results/eval/embeddings/{embedding_variant(variant, lang)}/{dataset}/{lang}.npy"


def encoder_inputs(wildcards):
    """The modules (or full model) the encoder of (variant, language) is composed of."""
    return [f"results/{p}" for p in modules_needed(wildcards.variant, wildcards.lang, PIVOT)]


# Texts and scores are light bookkeeping (no model; numpy only): local jobs, so hundreds of
# them never queue on a cluster.
localrules:
    eval_texts,
    score_unit,


rule eval_texts:
    output:
        "results/eval/texts/{dataset}/{lang}.txt",
    log:
        "logs/eval/texts/{dataset}/{lang}.log",
    params:
        spec=lambda wc: json.dumps(EVAL_SPECS[wc.dataset], sort_keys=True),
    threads: threads_for("eval_texts", 1)
    resources:
        **resources_for("eval_texts", mem_mb=2000, runtime=30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.evaluate texts --dataset {wildcards.dataset} --spec {params.spec:q}"
        " --lang {wildcards.lang} --out {output} > {log} 2>&1"


rule embed_texts:
    input:
        texts="results/eval/texts/{dataset}/{lang}.txt",
        encoder=encoder_inputs,
        base=model_input(config["base_model"], TINY_ENCODER),
    output:
        "results/eval/embeddings/{variant}/{dataset}/{lang}.npy",
    log:
        "logs/eval/embed/{variant}/{dataset}/{lang}.log",
    params:
        base_model=base_model_param,
        pivot=PIVOT,
        batch_size=config["evaluation"]["batch_size"],
        max_seq_length=config["evaluation"]["max_seq_length"],
        device=config["device"],
    threads: threads_for("embed_texts", 1)
    resources:
        **resources_for("embed_texts", mem_mb=8000, runtime=60),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.evaluate embed --texts {input.texts} --out {output}"
        " --variant {wildcards.variant} --lang {wildcards.lang} --base-model {params.base_model}"
        " --pivot {params.pivot} --batch-size {params.batch_size}"
        " --max-seq-length {params.max_seq_length} --device {params.device} > {log} 2>&1"


rule score_unit:
    input:
        texts=lambda wc: expand(
            "results/eval/texts/{dataset}/{lang}.txt", dataset=wc.dataset, lang=EVAL_UNITS[wc.dataset][wc.unit]
        ),
        embeddings=lambda wc: [embeddings_of(wc.variant, wc.dataset, lang) for lang in EVAL_UNITS[wc.dataset][wc.unit]],
    output:
        "results/eval/scores/{variant}/{dataset}/{unit}.csv",
    log:
        "logs/eval/score/{variant}/{dataset}/{unit}.log",
    params:
        spec=lambda wc: json.dumps(EVAL_SPECS[wc.dataset], sort_keys=True),
        languages=lambda wc: ",".join(EVAL_UNITS[wc.dataset][wc.unit]),
        embeddings=lambda wc, input: " ".join(
            f"{lang}={path}" for lang, path in zip(EVAL_UNITS[wc.dataset][wc.unit], input.embeddings)
        ),
        pivot=PIVOT,
        seed=config["seed"],
    threads: threads_for("score_unit", 1)
    resources:
        **resources_for("score_unit", mem_mb=4000, runtime=30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.evaluate score --dataset {wildcards.dataset} --spec {params.spec:q}"
        " --languages {params.languages} --unit {wildcards.unit} --variant {wildcards.variant}"
        " --texts-dir results/eval/texts/{wildcards.dataset} --embeddings {params.embeddings}"
        " --pivot {params.pivot} --seed {params.seed} --out {output} > {log} 2>&1"
