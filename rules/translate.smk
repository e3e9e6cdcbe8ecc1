# Machine translation: English paraphrase sets -> NLLB on CTranslate2, one GPU job
# per (dataset, language, shard) -> gathered per (dataset, language) -> training views per
# language. Languages with data.provided_translations skip MT.


rule prepare_paraphrase_source:
    input:
        paraphrase_input,
    output:
        RESULTS.mt_source(),
    log:
        "logs/mt/source/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, PARAPHRASE_SETS)) or "(?!)",
    params:
        args=paraphrase_args,
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=8000, runtime=scaled_runtime(60),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.paraphrase --name {wildcards.dataset} {params.args} --seed {params.seed}"
        " --out {output:q} > {log:q} 2>&1"


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
    threads: 4
    resources:
        mem_mb=32000, runtime=scaled_runtime(60),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.translate convert --model {params.model:q} {params.quantization}"
        " --out {output:q} > {log:q} 2>&1"


rule translate_shard:
    input:
        source=RESULTS.mt_source(),
        model=MT_MODEL,
    output:
        RESULTS.mt_shard(),
    log:
        "logs/mt/shards/{dataset}/{lang}/{shard}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, PARAPHRASE_SETS)) or "(?!)",
        shard=r"\d+",
    params:
        pivot=PIVOT,
        shards=TRANSLATE["shards"],
        checkpoints=RESULTS.checkpoints("mt", "{dataset}", "{lang}", "{shard}"),
        decoding=shlex.join([
            "--beam-size", str(TRANSLATE["beam_size"]), "--max-length", str(TRANSLATE["max_length"]),
            "--max-input-tokens", str(TRANSLATE["max_input_tokens"]),
            "--max-batch-tokens", str(TRANSLATE["max_batch_tokens"]),
            "--compute-type", TRANSLATE["compute_type"], "--device", config["device"],
        ]),
    threads: 4
    resources:
        mem_mb=16000, runtime=scaled_runtime(240), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.translate shard --source {input.source:q} --model {input.model:q}"
        " --lang {wildcards.lang} --source-lang {params.pivot:q} --shard {wildcards.shard} --num-shards {params.shards}"
        " --checkpoint-dir {params.checkpoints:q}"
        " {params.decoding} --threads {threads} --out {output:q} > {log:q} 2>&1"


rule gather_translations:
    input:
        source=RESULTS.mt_source(),
        shards=shard_files,
    output:
        RESULTS.mt_translation(),
    log:
        "logs/mt/gather/{dataset}/{lang}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, PARAPHRASE_SETS)) or "(?!)",
    threads: 1
    resources:
        mem_mb=4000, runtime=scaled_runtime(30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.translate gather --source {input.source:q} --shards {input.shards:q}"
        " --out {output:q} > {log:q} 2>&1"


rule training_views:
    input:
        view_inputs,
    output:
        **{view: RESULTS.view(view=view) for view in VIEW_NAMES},
    log:
        "logs/train/views/{lang}.log",
    params:
        pivot=PIVOT,
        args=view_args,
        out_dir=lambda wc: RESULTS.train_dir(wc.lang),
    threads: 1
    resources:
        mem_mb=8000, runtime=scaled_runtime(30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.training_views --lang {wildcards.lang} --pivot {params.pivot:q} {params.args}"
        " --out-dir {params.out_dir:q} > {log:q} 2>&1"
