# Tiny random models for the offline default config ("tiny-random" in the config).


rule build_tiny_encoder:
    input:
        corpus=config["tiny_models"]["corpus"],
    output:
        directory(TINY_ENCODER),
    log:
        "logs/models/tiny-encoder.log",
    params:
        size=lambda wc: " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in config["tiny_models"].items() if k != "corpus"
        ),
        seed=config["seed"],
    threads: threads_for("build_tiny_encoder", 1)
    resources:
        **resources_for("build_tiny_encoder", mem_mb=2000, runtime=10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.tiny_models --corpus {input.corpus} --out {output} {params.size}"
        " --seed {params.seed} > {log} 2>&1"
