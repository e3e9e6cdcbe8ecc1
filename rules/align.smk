# Cross-lingual alignment (issue 5): per non-pivot language a CLA adapter (ParBnConfig)
# on top of its LA + SE (LA only for c-jt), aligned to the frozen pivot encoder. The
# evaluation rules pull results/modules/{lang}/cla-{kind} in via modules_needed.
import shlex

from modsent.encoder import modules_needed

ALIGNMENT_ARGS = shlex.join(
    [f"--{key.replace('_', '-')}={value}" for key, value in sorted(config["alignment"].items())]
    + ["--seed", str(config["seed"]), "--device", config["device"]]
)


def alignment_modules(lang, kind):
    """Store directories of the language being aligned: LA + SE (LA only for c-jt)."""
    paths = [f"results/{p}" for p in modules_needed("mod_m", lang, PIVOT)]
    return [p for p in paths if kind != "c-jt" or os.path.basename(p) != "se"]


def alignment_views(lang, kind):
    """The language's views a kind trains on (pp: paraphrase pairs, pl: parallel pairs, else both)."""
    views = {"pp": ["cross"], "pl": ["parallel"]}.get(kind, ["cross", "parallel"])
    return {view: f"results/train/{lang}/{view}.tsv" for view in views}


def alignment_inputs(lang, kind):
    return {
        "base": model_input(config["base_model"], TINY_ENCODER),
        "modules": alignment_modules(lang, kind),
        "pivot": [f"results/{p}" for p in modules_needed("mod_m", PIVOT, PIVOT)],
        **alignment_views(lang, kind),
    }


def alignment_view_args(lang, kind):
    return " ".join(f"--{view} {path}" for view, path in alignment_views(lang, kind).items())


def allpair_partners(lang):
    return [other for other in NON_PIVOT if other != lang]


def allpair_inputs(lang):
    partners = allpair_partners(lang)
    return {
        **alignment_inputs(lang, "allpair"),
        "partners": [f"results/{p}" for other in partners for p in modules_needed("mod_m", other, PIVOT)],
        "partner_views": [f"results/train/{other}/parallel.tsv" for other in partners],
    }


rule train_alignment_adapter:
    input:
        unpack(lambda wc: alignment_inputs(wc.lang, wc.kind)),
    output:
        directory("results/modules/{lang}/cla-{kind}"),
    log:
        "logs/align/{lang}/cla-{kind}.log",
    wildcard_constraints:
        lang="|".join(NON_PIVOT) or "(?!)",
        kind="pp|pl|jt|c-jt",
    params:
        base_model=BASE_MODEL,
        pivot=PIVOT,
        views=lambda wc: alignment_view_args(wc.lang, wc.kind),
        settings=ALIGNMENT_ARGS,
    threads: threads_for("train_alignment_adapter", 4)
    resources:
        **resources_for("train_alignment_adapter", mem_mb=32000, runtime=180, gpu=1),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.align --lang {wildcards.lang} --kind {wildcards.kind} --base-model {params.base_model:q}"
        " --store results/modules --pivot {params.pivot} {params.views} {params.settings}"
        " --out {output} > {log} 2>&1"


# Table 3's all-pair alignment: the other side of each pair is in a random language
# (pivot or another non-pivot language), so it depends on every language's modules and
# parallel view and reruns when a language is added.
rule train_alignment_adapter_allpair:
    input:
        unpack(lambda wc: allpair_inputs(wc.lang)),
    output:
        directory("results/modules/{lang}/cla-allpair"),
    log:
        "logs/align/{lang}/cla-allpair.log",
    wildcard_constraints:
        lang="|".join(NON_PIVOT) or "(?!)",
    params:
        base_model=BASE_MODEL,
        pivot=PIVOT,
        views=lambda wc: alignment_view_args(wc.lang, "allpair"),
        partners=lambda wc: " ".join(
            f"--partner-parallel {other}=results/train/{other}/parallel.tsv" for other in allpair_partners(wc.lang)
        ),
        settings=ALIGNMENT_ARGS,
    threads: threads_for("train_alignment_adapter_allpair", 4)
    resources:
        **resources_for("train_alignment_adapter_allpair", mem_mb=64000, runtime=240, gpu=1),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.align --lang {wildcards.lang} --kind allpair --base-model {params.base_model:q}"
        " --store results/modules --pivot {params.pivot} {params.views} {params.partners} {params.settings}"
        " --out {output} > {log} 2>&1"
