# Sentence encoding: per language an SE adapter (LoRA on all linear layers) on top
# of its merged LA, trained with MNRL on its monolingual paraphrases; the w/o-LA ablation
# (SE on the base model); and the module-size table (paper Table 4).


rule train_sentence_encoder:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        tokenizer=MODULES.tokenizer(),
        la=MODULES.la(),
        data=RESULTS.view(view="mono"),
    output:
        directory(MODULES.se()),
    log:
        "logs/sentence_encoding/{lang}/se.log",
    params:
        base_model=base_model_param,
        checkpoints=RESULTS.checkpoints("se", "{lang}"),
        settings=SENTENCE_ENCODING_ARGS,
    threads: 4
    resources:
        mem_mb=16000, runtime=scaled_runtime(120), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.sentence_encoding --base-model {params.base_model:q}"
        " --tokenizer {input.tokenizer:q} --la {input.la:q}"
        " --checkpoint-dir {params.checkpoints:q}"
        " --data {input.data:q} {params.settings} --out {output:q} > {log:q} 2>&1"


# Mod_m w/o LA: the SE adapter trained directly on the base model, with its tokenizer.
rule train_sentence_encoder_no_la:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        data=RESULTS.view(view="mono"),
    output:
        directory(MODULES.se_no_la()),
    log:
        "logs/sentence_encoding/{lang}/se-no-la.log",
    params:
        base_model=base_model_param,
        checkpoints=RESULTS.checkpoints("se-no-la", "{lang}"),
        settings=SENTENCE_ENCODING_ARGS,
    threads: 4
    resources:
        mem_mb=16000, runtime=scaled_runtime(120), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.sentence_encoding --base-model {params.base_model:q}"
        " --checkpoint-dir {params.checkpoints:q}"
        " --data {input.data:q} {params.settings} --out {output:q} > {log:q} 2>&1"


rule module_sizes:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        modules=configured_modules(),
    output:
        RESULTS.table("modules.csv"),
    log:
        "logs/sentence_encoding/module_sizes.log",
    params:
        base_model=base_model_param,
    threads: 1
    resources:
        mem_mb=8000, runtime=scaled_runtime(15),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.module_sizes --base-model {params.base_model:q} --out {output:q} {input.modules:q}"
        " > {log:q} 2>&1"
