# Aggregation: every per-unit score -> results/tables/scores.csv (long format, the source
# of truth) -> the paper's tables (Markdown, LaTeX) and the report's plots.


rule aggregate_scores:
    input:
        score_files(),
    output:
        scores=report("results/tables/scores.csv", caption="../report/scores.rst", category="Tables"),
        skipped="results/tables/skipped.csv",
    log:
        "logs/report/aggregate_scores.log",
    params:
        skipped=lambda wc: json.dumps(skipped_items()),
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.aggregate --scores {input:q} --skipped-json {params.skipped:q}"
        " --out {output.scores:q} --out-skipped {output.skipped:q} > {log:q} 2>&1"


rule render_tables:
    input:
        scores="results/tables/scores.csv",
        skipped="results/tables/skipped.csv",
    output:
        md="results/tables/table1.md",
        tex="results/tables/table1.tex",
        html=report("results/tables/table1.html", caption="../report/table1.rst", category="Tables"),
        table3=multiext("results/tables/table3", ".md", ".tex"),
        belebele=multiext("results/tables/belebele", ".md", ".tex"),
        details=directory("results/tables/details"),
    log:
        "logs/report/render_tables.log",
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.tables --scores {input.scores:q} --skipped {input.skipped:q}"
        " --out-dir results/tables > {log:q} 2>&1"


rule plot_scores:
    input:
        "results/tables/scores.csv",
    output:
        report(
            directory("results/tables/plots"),
            patterns=["{name}.png"],
            caption="../report/plots.rst",
            category="Plots",
        ),
    log:
        "logs/report/plot_scores.log",
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.plots --scores {input:q} --out-dir {output:q} > {log:q} 2>&1"
