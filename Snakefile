# modsent: modular multilingual sentence encoders (Huang et al., ACL 2025).
# Run the embedded offline default:   snakemake --cores 2
# Run the paper's LaBSE setup:        snakemake --configfile workflow_config.yaml --profile profiles/slurm
from snakemake.utils import min_version

from modsent.config import check_rule_overrides, default_config_path

min_version("9.0")


# Without --configfile: the embedded offline default (tiny models, tiny shipped data). A
# given config file is the whole config, never merged onto the default, whose tiny data
# would fill the keys it lacks. --config values apply on top of either.
if not workflow.overwrite_configfiles:

    configfile: default_config_path()


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/translate.smk"
include: "rules/specialize.smk"
include: "rules/sentence_encoding.smk"
include: "rules/align.smk"
include: "rules/full.smk"
include: "rules/identify.smk"
include: "rules/fetch.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"


rule all:
    input:
        all_targets(),
    default_target: True


# Rule names are known only now that every rule is defined: a misspelled one in
# --set-resources / --set-threads (or a profile's) fails here, before any job runs.
check_rule_overrides(
    {"set-resources": workflow.resource_settings.overwrite_resources,
     "set-threads": workflow.resource_settings.overwrite_threads},
    [r.name for r in workflow.rules if r.name != workflow.default_target],
)


onsuccess:
    print("\nmodsent: result tables in results/tables/ (table1.md, table1.tex, details/, scores.csv)")
