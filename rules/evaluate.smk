# Evaluation: texts per (dataset, language) -> embeddings of every variant, cached on disk
# (per (dataset, language), the per-language and the multilingual variants in separate jobs;
# see rules/common.smk) -> scores: the per-language variants' per (dataset, unit), the
# multilingual variants' per dataset. A unit is one language, one language
# pair, or "all" (language bias over every bilingual pair of a multi-parallel set).


# Texts and scores are light bookkeeping (no model): local jobs, never queued on a cluster.
localrules:
    eval_texts,
    score_unit,
    score_multilingual,


rule eval_texts:
    input:
        data=eval_data_files,
    output:
        RESULTS.eval_texts(),
    log:
        "logs/eval/texts/{dataset}/{lang}.log",
    # First of all jobs: they read and check every evaluation file, so broken data fails the run
    # before any model is built or trained.
    priority: 10
    params:
        spec=lambda wc: json.dumps(EVAL_SPECS[wc.dataset], sort_keys=True),
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.evaluate texts --dataset {wildcards.dataset} --spec {params.spec:q}"
        " --lang {wildcards.lang} --out {output:q} > {log:q} 2>&1"


rule embed_per_language:
    input:
        texts=RESULTS.eval_texts(),
        modules=lambda wc: embedding_inputs(PER_LANGUAGE_VARIANTS, wc.lang),
        base=model_input(config["base_model"], TINY_ENCODER),
    output:
        directory(os.path.join(EMBEDDING_ROOTS["per_language"], "{lang}")),
    log:
        "logs/eval/embed/{dataset}/{lang}.log",
    params:
        encoders=lambda wc: embedding_encoders_arg(PER_LANGUAGE_VARIANTS, wc.lang),
        base_model=base_model_param,
        settings=EMBED_ARGS,
    threads: EMBED_THREADS
    resources:
        **EMBED_RESOURCES,
    conda:
        "../envs/modsent.yaml"
    shell:
        EMBED_COMMAND


rule embed_multilingual:
    input:
        texts=RESULTS.eval_texts(),
        modules=lambda wc: embedding_inputs(MULTILINGUAL_VARIANTS, wc.lang),
        base=model_input(config["base_model"], TINY_ENCODER),
    output:
        directory(os.path.join(EMBEDDING_ROOTS["multilingual"], "{lang}")),
    log:
        "logs/eval/embed/{dataset}/multilingual/{lang}.log",
    params:
        encoders=lambda wc: embedding_encoders_arg(MULTILINGUAL_VARIANTS, wc.lang),
        base_model=base_model_param,
        settings=EMBED_ARGS,
    threads: EMBED_THREADS
    resources:
        **EMBED_RESOURCES,
    conda:
        "../envs/modsent.yaml"
    shell:
        EMBED_COMMAND


rule score_unit:
    input:
        texts=lambda wc: expand(
            RESULTS.eval_texts(), dataset=wc.dataset, lang=EVAL_UNITS[wc.dataset][wc.unit]
        ),
        embeddings=unit_embeddings,
        data=eval_data_files,
    output:
        RESULTS.unit_scores(),
    log:
        "logs/eval/score/{dataset}/per_language/{unit}.log",
    params:
        spec=lambda wc: json.dumps(EVAL_SPECS[wc.dataset], sort_keys=True),
        units=lambda wc: wc.unit,
        variants=",".join(PER_LANGUAGE_VARIANTS),
        paths=lambda wc: score_paths_arg(wc.dataset, EVAL_UNITS[wc.dataset][wc.unit], "per_language"),
        pivot=PIVOT,
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=4000, runtime=scaled_runtime(30),
    conda:
        "../envs/modsent.yaml"
    shell:
        SCORE_COMMAND


rule score_multilingual:
    input:
        texts=lambda wc: expand(RESULTS.eval_texts(), dataset=wc.dataset, lang=EVAL_LANGS[wc.dataset]),
        embeddings=lambda wc: multilingual_embeddings(wc.dataset),
        data=eval_data_files,
    output:
        RESULTS.multilingual_scores(),
    log:
        "logs/eval/score/{dataset}/multilingual.log",
    params:
        spec=lambda wc: json.dumps(EVAL_SPECS[wc.dataset], sort_keys=True),
        units=lambda wc: " ".join(EVAL_UNITS[wc.dataset]),
        variants=",".join(MULTILINGUAL_VARIANTS),
        paths=lambda wc: score_paths_arg(wc.dataset, EVAL_LANGS[wc.dataset], "multilingual"),
        pivot=PIVOT,
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=4000, runtime=scaled_runtime(30),
    conda:
        "../envs/modsent.yaml"
    shell:
        SCORE_COMMAND
