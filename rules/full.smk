# Full-parameter baselines: Full_en, Full_m, Full_c, Full_mc trained from the
# base model on the mono views. Full_m/_c/_mc read every language (they rerun when a
# language is added); Full_mc continues from Full_m. Evaluation pulls the full models in through the store (modsent/store.py).


rule train_full_baseline:
    input:
        unpack(full_inputs),
    output:
        directory(RESULTS.full()),
    log:
        "logs/full/{variant}.log",
    wildcard_constraints:
        variant="full_en|full_m|full_c|full_mc",
    params:
        base_model=base_model_param,
        pivot=PIVOT,
        mono=lambda wc: shlex.join(f"{lang}={RESULTS.view(lang, 'mono')}" for lang in full_languages(wc.variant)),
        start=lambda wc: f"--start-from {RESULTS.full('full_m')}" if wc.variant == "full_mc" else "",
        checkpoints=RESULTS.checkpoints("full", "{variant}"),
        settings=FULL_ARGS,
    threads: 4
    resources:
        mem_mb=48000, runtime=scaled_runtime(12 * 60), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.full --variant {wildcards.variant} --base-model {params.base_model:q}"
        " --pivot {params.pivot:q} --mono {params.mono} {params.start} {params.settings}"
        " --checkpoint-dir {params.checkpoints:q}"
        " --out {output:q} > {log:q} 2>&1"
