# Routing: a language identifier over the configured languages, trained on their LA corpora
# and stored with the modules; its accuracy per language on FLORES goes to a table.


rule train_language_identifier:
    input:
        corpora=expand(RESULTS.corpus(), lang=LANGS),
    output:
        directory(MODULES.identifier()),
    log:
        "logs/identify/train.log",
    params:
        corpora=shlex.join(f"--corpus={lang}={RESULTS.corpus(lang)}" for lang in LANGS),
        settings=IDENTIFIER_ARGS,
    threads: 2
    resources:
        mem_mb=8000, runtime=scaled_runtime(60),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.identify train {params.corpora} {params.settings:q} --threads {threads}"
        " --out {output:q} > {log:q} 2>&1"


rule identifier_accuracy:
    input:
        identifier=MODULES.identifier(),
        texts=list(identifier_texts().values()),
    output:
        RESULTS.table("identifier.csv"),
    log:
        "logs/identify/accuracy.log",
    params:
        texts=shlex.join(f"{lang}={path}" for lang, path in identifier_texts().items()),
        dataset=IDENTIFIER_TEST_SET,
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(15),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.identify accuracy --identifier {input.identifier:q} --texts {params.texts}"
        " --dataset {params.dataset} --out {output:q} > {log:q} 2>&1"
