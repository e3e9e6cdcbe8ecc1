# Aggregation: every per-unit score -> tables/scores.csv (long format, the source
# of truth) -> the paper's tables (Markdown, LaTeX) and the report's plots.


rule aggregate_scores:
    input:
        score_files(),
    output:
        scores=report(RESULTS.table("scores.csv"), caption="../report/scores.rst", category="Tables"),
        skipped=RESULTS.table("skipped.csv"),
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
        scores=RESULTS.table("scores.csv"),
        skipped=RESULTS.table("skipped.csv"),
    output:
        md=RESULTS.table("table1.md"),
        tex=RESULTS.table("table1.tex"),
        html=report(RESULTS.table("table1.html"), caption="../report/table1.rst", category="Tables"),
        table3=multiext(RESULTS.table("table3"), ".md", ".tex"),
        belebele=multiext(RESULTS.table("belebele"), ".md", ".tex"),
        details=directory(RESULTS.table("details")),
    log:
        "logs/report/render_tables.log",
    params:
        out_dir=lambda wc, output: os.path.dirname(output.md),
    threads: 1
    resources:
        mem_mb=2000, runtime=scaled_runtime(10),
    conda:
        "../envs/modsent.yaml"
    shell:
        "python -m modsent.tables --scores {input.scores:q} --skipped {input.skipped:q}"
        " --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule plot_scores:
    input:
        RESULTS.table("scores.csv"),
    output:
        report(
            directory(RESULTS.table("plots")),
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
