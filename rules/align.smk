# Cross-lingual alignment: per non-pivot language a CLA adapter (ParBnConfig)
# on top of its LA + SE (LA only for c-jt), aligned to the frozen pivot encoder. The
# evaluation rules pull the CLA modules in through the store (modsent/store.py). A job gets
# the module directories of every encoder it trains with (--encoders), exactly its inputs.


rule train_alignment_adapter:
    input:
        unpack(lambda wc: alignment_inputs(wc.lang, wc.kind)),
    output:
        directory(MODULES.cla()),
    log:
        "logs/align/{lang}/cla-{kind}.log",
    wildcard_constraints:
        lang="|".join(NON_PIVOT) or "(?!)",
        kind="pp|pl|jt|c-jt",
    params:
        base_model=base_model_param,
        pivot=PIVOT,
        views=lambda wc: alignment_view_args(wc.lang, wc.kind),
        checkpoints=RESULTS.checkpoints("cla", "{lang}", "{kind}"),
        encoders=lambda wc: alignment_encoders_arg(wc.lang, wc.kind),
        settings=ALIGNMENT_ARGS,
    threads: 4
    resources:
        mem_mb=32000, runtime=scaled_runtime(180), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.align --lang {wildcards.lang} --kind {wildcards.kind} --base-model {params.base_model:q}"
        " --encoders {params.encoders} --pivot {params.pivot:q} {params.views} {params.settings}"
        " --checkpoint-dir {params.checkpoints:q}"
        " --out {output:q} > {log:q} 2>&1"


# Table 3's all-pair alignment (allpair-pp, allpair-pl; allpair = all-pair jt, an extra):
# the other side of each pair is in a random language (pivot or another non-pivot
# language), so it depends on every language's modules and parallel view and reruns when
# a language is added.
rule train_alignment_adapter_allpair:
    input:
        unpack(lambda wc: allpair_inputs(wc.lang, wc.kind)),
    output:
        directory(MODULES.cla()),
    log:
        "logs/align/{lang}/cla-{kind}.log",
    wildcard_constraints:
        lang="|".join(NON_PIVOT) or "(?!)",
        kind="allpair|allpair-pp|allpair-pl",
    params:
        base_model=base_model_param,
        pivot=PIVOT,
        views=lambda wc: alignment_view_args(wc.lang, wc.kind),
        partners=lambda wc: shlex.join(
            f"--partner-parallel={other}={RESULTS.view(other, 'parallel')}" for other in allpair_partners(wc.lang)
        ),
        checkpoints=RESULTS.checkpoints("cla", "{lang}", "{kind}"),
        encoders=lambda wc: alignment_encoders_arg(wc.lang, wc.kind),
        settings=ALIGNMENT_ARGS,
    threads: 4
    resources:
        mem_mb=64000, runtime=scaled_runtime(240), gpu=1,
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.align --lang {wildcards.lang} --kind {wildcards.kind} --base-model {params.base_model:q}"
        " --encoders {params.encoders} --pivot {params.pivot:q} {params.views} {params.partners} {params.settings}"
        " --checkpoint-dir {params.checkpoints:q}"
        " --out {output:q} > {log:q} 2>&1"
