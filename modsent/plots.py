"""Plots of `scores.csv` for the report: one heatmap per cross-lingual task and variant
(language x language) and per-language bars for each monolingual task."""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from modsent.aggregate import read_scores
from modsent.tables import variant_label
from modsent.utils import atomic_output


def _pair(unit: str) -> tuple[str, str] | None:
    parts = unit.split("-")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def plot_scores(scores_csv: str | Path, out_dir: str | Path) -> list[str]:
    """Write PNG plots into out_dir; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = read_scores(scores_csv)
    cross = defaultdict(dict)  # (dataset, metric, variant) -> {(a, b): value}
    mono = defaultdict(dict)  # (dataset, metric) -> {variant: {lang: value}}
    for r in rows:
        pair = _pair(r["unit"])
        if r["setting"] == "cross" and pair:
            cross[(r["dataset"], r["metric"], r["variant"])][pair] = r["value"]
        elif r["setting"] == "mono":
            mono[(r["dataset"], r["metric"])].setdefault(r["variant"], {})[r["unit"]] = r["value"]

    names = []
    with atomic_output(out_dir) as tmp:
        tmp.mkdir()
        for (dataset, metric, variant), values in sorted(cross.items()):
            langs = sorted({lang for pair in values for lang in pair})
            grid = np.full((len(langs), len(langs)), np.nan)
            for (a, b), v in values.items():
                grid[langs.index(a), langs.index(b)] = grid[langs.index(b), langs.index(a)] = v
            fig, ax = plt.subplots(figsize=(1 + 0.45 * len(langs), 0.8 + 0.45 * len(langs)))
            im = ax.imshow(grid, cmap="viridis_r" if metric == "xsim" else "viridis")
            ax.set_xticks(range(len(langs)), langs, rotation=90)
            ax.set_yticks(range(len(langs)), langs)
            for i in range(len(langs)):
                for j in range(len(langs)):
                    if not np.isnan(grid[i, j]):
                        ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=6, color="w")
            fig.colorbar(im, ax=ax, fraction=0.046)
            ax.set_title(f"{dataset} {metric} — {variant_label(variant)}", fontsize=8)
            name = f"cross_{dataset}_{metric}_{variant}.png"
            fig.tight_layout()
            fig.savefig(tmp / name, dpi=110)
            plt.close(fig)
            names.append(name)
        for (dataset, metric), by_variant in sorted(mono.items()):
            variants = sorted(by_variant)
            langs = sorted({lang for v in by_variant.values() for lang in v})
            width = 0.8 / len(variants)
            fig, ax = plt.subplots(figsize=(2 + 0.6 * len(langs) * max(1, len(variants) / 3), 3))
            for k, variant in enumerate(variants):
                ys = [by_variant[variant].get(lang, np.nan) for lang in langs]
                ax.bar(np.arange(len(langs)) + k * width, ys, width, label=variant_label(variant))
            ax.set_xticks(np.arange(len(langs)) + 0.4 - width / 2, langs)
            ax.set_ylabel(metric)
            ax.set_title(f"{dataset} (monolingual)", fontsize=9)
            ax.legend(fontsize=6, ncol=2)
            name = f"mono_{dataset}_{metric}.png"
            fig.tight_layout()
            fig.savefig(tmp / name, dpi=110)
            plt.close(fig)
            names.append(name)
    return names


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m modsent.plots", description=__doc__)
    p.add_argument("--scores", required=True)
    p.add_argument("--out-dir", required=True)
    a = p.parse_args(argv)
    names = plot_scores(a.scores, a.out_dir)
    print(f"{a.out_dir}: {len(names)} plots")


if __name__ == "__main__":
    main()
