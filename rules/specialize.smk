# Monolingual specialisation: per language its monolingual text, a new tokenizer
# of the base tokenizer's type, FOCUS-initialised embeddings and the language adapter (LA).
# Module store (modsent/store.py): {lang}/tokenizer, {lang}/focus, {lang}/la.


rule monolingual_corpus:
    input:
        monolingual_text_files,
    output:
        RESULTS.corpus(),
    log:
        "logs/specialize/{lang}/corpus.log",
    params:
        spec=lambda wc: json.dumps(monolingual_spec(config, wc.lang)),
    threads: 1
    resources:
        mem_mb=4000, runtime=scaled_runtime(240),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.corpus --spec {params.spec:q} --out {output:q} > {log:q} 2>&1"


# WordPiece learning holds one count per distinct word, ~1.1 KB each at its peak (measured:
# benchmarks/tokenizer/README.md), whatever the number of lines: 16 GB covers ~14M distinct
# words, above what 10M lines of web text hold.
rule train_tokenizer:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        corpus=RESULTS.corpus(),
    output:
        directory(MODULES.tokenizer()),
    log:
        "logs/specialize/{lang}/tokenizer.log",
    params:
        base_model=base_model_param,
        settings=_cli_options(config["tokenizer"], ["vocab_size", "max_sentences"]),
    threads: 4
    resources:
        mem_mb=16000, runtime=scaled_runtime(180),
    conda:
        "../envs/modsent.yaml"
    shell:
        "RAYON_NUM_THREADS={threads} python -m modsent.tokenizer --base-model {params.base_model:q}"
        " --corpus {input.corpus:q} {params.settings} --out {output:q} > {log:q} 2>&1"


rule focus_embeddings:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        tokenizer=MODULES.tokenizer(),
        corpus=RESULTS.corpus(),
    output:
        directory(MODULES.focus()),
    log:
        "logs/specialize/{lang}/focus.log",
    params:
        base_model=base_model_param,
        settings=FOCUS_ARGS,
        seed=config["seed"],
    threads: 8
    resources:
        mem_mb=32000, runtime=scaled_runtime(240),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.focus --base-model {params.base_model:q} --tokenizer {input.tokenizer:q}"
        " --corpus {input.corpus:q} {params.settings} --threads {threads} --seed {params.seed}"
        " --out {output:q} > {log:q} 2>&1"


# The costliest stage (paper: 20 h per language on an A100). LA streams the language's
# sources under its own cap (data.monolingual.*.la_max_sentences), not the tokenizer's
# 10M-line file; its log says how many epochs over that text the run makes. Checkpoints go to
# the store's checkpoints/la/{lang}, which no rule declares: Snakemake deletes the outputs of a
# failed job (a Slurm time limit sends SIGTERM; the job writes a checkpoint and exits 143),
# but not this directory, so running the workflow again (or --retries) resumes there.
# The job removes it once the module is written.
rule train_language_adapter:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        tokenizer=MODULES.tokenizer(),
        focus=MODULES.focus(),
        text=monolingual_text_files,
    output:
        directory(MODULES.la()),
    log:
        "logs/specialize/{lang}/la.log",
    params:
        base_model=base_model_param,
        corpus=lambda wc: json.dumps(language_adaptation_spec(config, wc.lang)),
        checkpoints=RESULTS.checkpoints("la", "{lang}"),
        settings=LANGUAGE_ADAPTATION_ARGS,
    threads: 8
    resources:
        mem_mb=32000, runtime=scaled_runtime(24 * 60), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.adapt --base-model {params.base_model:q} --tokenizer {input.tokenizer:q}"
        " --embeddings {input.focus:q}/embeddings.safetensors --corpus-spec {params.corpus:q}"
        " --checkpoint-dir {params.checkpoints:q} {params.settings} --threads {threads}"
        " --out {output:q} > {log:q} 2>&1"
