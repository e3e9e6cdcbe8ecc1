# Machine translation (issue 3): English paraphrase sets -> NLLB on CTranslate2, one GPU job
# per (dataset, language, shard) -> gathered per (dataset, language) -> training views per
# language. Languages with data.provided_translations skip MT.
import re
import shlex

from modsent.languages import get_language
from modsent.training_views import VIEW_NAMES, provided_sources

TRANSLATE = config["translate"]
PARAPHRASE_SETS = config["data"]["paraphrase"]
# Keys in the configured spelling of their language (check_translate_config does the same).
PROVIDED = {
    lang: spec
    for key, spec in config["data"]["provided_translations"].items()
    for lang in LANGS
    if get_language(lang) == get_language(key)
}
NLLB_CT2 = "results/mt/nllb-ct2"
# The tiny random NLLB is built already converted; any other model goes through convert_nllb.
MT_MODEL = TINY_NLLB if TRANSLATE["model"] == "tiny-random" else NLLB_CT2


def translation_targets():
    """The training views of every configured language (pivot included)."""
    return [f"results/train/{lang}/{view}.tsv" for lang in LANGS for view in VIEW_NAMES]


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
    return [f"results/mt/shards/{wildcards.dataset}/{wildcards.lang}/{k}.tsv" for k in range(TRANSLATE["shards"])]


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
    sources = [f"results/mt/source/{d}.tsv" for d in PARAPHRASE_SETS]
    if lang == PIVOT:
        return sources
    return sources + [f"results/mt/{d}/{lang}.tsv" for d in PARAPHRASE_SETS]


def view_args(wildcards):
    """Where one language's views come from (only that language's values)."""
    lang = wildcards.lang
    if lang in PROVIDED:
        spec = PROVIDED[lang]
        args = ["--provided-format", spec["format"], "--provided-path", spec["path"], "--splits", *spec["splits"],
                "--pattern", spec["pattern"], "--code", spec.get("code") or lang,
                "--pivot-code", spec.get("pivot_code") or PIVOT]
    else:
        args = ["--source", *[f"results/mt/source/{d}.tsv" for d in PARAPHRASE_SETS]]
        if lang != PIVOT:
            args += ["--translated", *[f"results/mt/{d}/{lang}.tsv" for d in PARAPHRASE_SETS]]
    return shlex.join(args)


rule prepare_paraphrase_source:
    input:
        paraphrase_input,
    output:
        "results/mt/source/{dataset}.tsv",
    log:
        "logs/mt/source/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, PARAPHRASE_SETS)) or "(?!)",
    params:
        args=paraphrase_args,
        seed=config["seed"],
    threads: threads_for("prepare_paraphrase_source", 1)
    resources:
        **resources_for("prepare_paraphrase_source", mem_mb=8000, runtime=60),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.paraphrase --name {wildcards.dataset} {params.args} --seed {params.seed}"
        " --out {output} > {log} 2>&1"


rule convert_nllb:
    input:
        model_input(TRANSLATE["model"], TINY_NLLB),
    output:
        directory(NLLB_CT2),
    log:
        "logs/mt/convert_nllb.log",
    params:
        model=TRANSLATE["model"],
        quantization=f"--quantization {TRANSLATE['quantization']}" if TRANSLATE.get("quantization") else "",
    threads: threads_for("convert_nllb", 4)
    resources:
        **resources_for("convert_nllb", mem_mb=32000, runtime=60),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.translate convert --model {params.model:q} {params.quantization}"
        " --out {output} > {log} 2>&1"


rule translate_shard:
    input:
        source="results/mt/source/{dataset}.tsv",
        model=MT_MODEL,
    output:
        "results/mt/shards/{dataset}/{lang}/{shard}.tsv",
    log:
        "logs/mt/shards/{dataset}/{lang}/{shard}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, PARAPHRASE_SETS)) or "(?!)",
        shard=r"\d+",
    params:
        pivot=PIVOT,
        shards=TRANSLATE["shards"],
        decoding=shlex.join([
            "--beam-size", str(TRANSLATE["beam_size"]), "--max-length", str(TRANSLATE["max_length"]),
            "--max-input-tokens", str(TRANSLATE["max_input_tokens"]),
            "--max-batch-tokens", str(TRANSLATE["max_batch_tokens"]),
            "--compute-type", TRANSLATE["compute_type"], "--device", config["device"],
        ]),
    threads: threads_for("translate_shard", 4)
    resources:
        **resources_for("translate_shard", mem_mb=16000, runtime=240, gpu=1),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.translate shard --source {input.source} --model {input.model}"
        " --lang {wildcards.lang} --source-lang {params.pivot} --shard {wildcards.shard} --num-shards {params.shards}"
        " {params.decoding} --threads {threads} --out {output} > {log} 2>&1"


rule gather_translations:
    input:
        source="results/mt/source/{dataset}.tsv",
        shards=shard_files,
    output:
        "results/mt/{dataset}/{lang}.tsv",
    log:
        "logs/mt/gather/{dataset}/{lang}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, PARAPHRASE_SETS)) or "(?!)",
    threads: threads_for("gather_translations", 1)
    resources:
        **resources_for("gather_translations", mem_mb=4000, runtime=30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.translate gather --source {input.source} --shards {input.shards}"
        " --out {output} > {log} 2>&1"


rule training_views:
    input:
        view_inputs,
    output:
        **{view: f"results/train/{{lang}}/{view}.tsv" for view in VIEW_NAMES},
    log:
        "logs/train/views/{lang}.log",
    params:
        pivot=PIVOT,
        args=view_args,
        out_dir=lambda wc: f"results/train/{wc.lang}",
    threads: threads_for("training_views", 1)
    resources:
        **resources_for("training_views", mem_mb=8000, runtime=30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.training_views --lang {wildcards.lang} --pivot {params.pivot} {params.args}"
        " --out-dir {params.out_dir} > {log} 2>&1"
