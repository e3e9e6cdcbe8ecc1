# Evaluation: texts per (dataset, language) -> embeddings per (variant, dataset, language)
# -> scores per (variant, dataset, unit). A unit is one language, one language pair, or
# "all" (language bias over every bilingual pair of a multi-parallel STS set).


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
