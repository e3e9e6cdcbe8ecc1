# Tiny random models for the offline default config ("tiny-random" in the config).


rule build_tiny_encoder:
    input:
        corpus=config["tiny_models"]["corpus"],
    output:
        directory(TINY_ENCODER),
    log:
        "logs/models/tiny-encoder.log",
    params:
        size=tiny_size_args(),
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.tiny_models encoder --corpus {input.corpus:q} --out {output:q} {params.size}"
        " --seed {params.seed} > {log:q} 2>&1"


rule build_tiny_nllb:
    input:
        corpus=config["tiny_models"]["corpus"],
    output:
        directory(TINY_NLLB),
    log:
        "logs/models/tiny-nllb.log",
    params:
        size=tiny_size_args(),
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.tiny_models nllb --corpus {input.corpus:q} --out {output:q} {params.size}"
        " --seed {params.seed} > {log:q} 2>&1"
