# Evaluation sets published outside the hub, as repositories: a raw source with
# `clone_of` is fetched to its path when missing (a clone at the commit the package's
# facts pin, checked to hold the reader's files). An existing path is used as it is.


# Cluster nodes often have no network: fetching runs where snakemake runs.
localrules:
    fetch_eval_clone,


rule fetch_eval_clone:
    output:
        directory("{clone}"),
    log:
        "logs/fetch/{clone}.log",
    wildcard_constraints:
        clone="|".join(map(re.escape, EVAL_CLONES)) or "(?!)",
    params:
        clone_of=lambda wc: EVAL_CLONES[wc.clone][0].clone_of,
        splits=lambda wc: " ".join(f"--split {s}" for s in sorted({src.split for src in EVAL_CLONES[wc.clone]})),
    threads: 1
    resources:
        mem_mb=1000, runtime=scaled_runtime(30),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.fetch --clone-of {params.clone_of:q} {params.splits} --out {output:q} > {log:q} 2>&1"
