# Sentence encoding: per language an SE adapter (LoRA on all linear layers) on top
# of its merged LA, trained with MNRL on its monolingual paraphrases; the w/o-LA ablation
# (SE on the base model); and the module-size table (paper Table 4).


rule train_sentence_encoder:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        tokenizer="results/modules/{lang}/tokenizer",
        la="results/modules/{lang}/la",
        data="results/train/{lang}/mono.tsv",
    output:
        directory("results/modules/{lang}/se"),
    log:
        "logs/sentence_encoding/{lang}/se.log",
    params:
        base_model=base_model_param,
        language_dir=lambda wc: f"results/modules/{wc.lang}",
        checkpoints="results/checkpoints/se/{lang}",
        settings=SENTENCE_ENCODING_ARGS,
    threads: 4
    resources:
        mem_mb=16000, runtime=scaled_runtime(120), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.sentence_encoding --base-model {params.base_model:q} --language-dir {params.language_dir:q}"
        " --checkpoint-dir {params.checkpoints:q}"
        " --data {input.data:q} {params.settings} --out {output:q} > {log:q} 2>&1"


# Mod_m w/o LA: the SE adapter trained directly on the base model, with its tokenizer.
rule train_sentence_encoder_no_la:
    input:
        base=model_input(config["base_model"], TINY_ENCODER),
        data="results/train/{lang}/mono.tsv",
    output:
        directory("results/modules/base/se-{lang}"),
    log:
        "logs/sentence_encoding/{lang}/se-no-la.log",
    params:
        base_model=base_model_param,
        checkpoints="results/checkpoints/se-no-la/{lang}",
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
        "results/tables/modules.csv",
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
