#!/usr/bin/env python3
"""CLEAR's L1 finding as a plot: retain against forget for each method, with and without
L1 on the LoRA weights.

    /usr/bin/python3 analysis/l1_tradeoff.py results/mini.h5 --out results/l1_tradeoff.png

One panel per method (seeds averaged), x = CLEAR's Forget column (lower forgets more),
y = its Retain column (higher keeps more); colour = l1_lambda, marker = learning rate,
stars = the Original and Gold models. It also prints the numbers it plots.
"""

import argparse
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display on cluster nodes
import matplotlib.pyplot as plt  # noqa: E402

from results_frame import load_runs, references  # noqa: E402

MARKERS = "osD^vP*X"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results files (HDF5)")
    parser.add_argument("--out", default="l1_tradeoff.png", help="image to write (png, pdf, svg)")
    parser.add_argument("--x", default="clear_forget", help="metric on the x axis")
    parser.add_argument("--y", default="clear_retain", help="metric on the y axis")
    args = parser.parse_args(argv)

    runs = load_runs(args.results)
    ok = runs[runs["ok"]]
    if ok.empty:
        sys.exit(f"{', '.join(args.results)}: no successful jobs to plot")
    for column in (args.x, args.y):
        if column not in ok.columns:
            sys.exit(f"{args.results[0]}: no metric '{column}'")
    if "l1_lambda" not in ok.columns:
        ok = ok.assign(l1_lambda=0.0)
    if "lr" not in ok.columns:
        ok = ok.assign(lr=float("nan"))

    keys = ["forget_fraction", "modality", "method", "lr", "l1_lambda"]
    means = ok.groupby(keys, dropna=False)[[args.x, args.y]].mean().reset_index()
    refs = references(runs)
    shown = means.assign(lr=means["lr"].map("{:g}".format), l1_lambda=means["l1_lambda"].map("{:g}".format))
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    panels = [(key, method) for key, group in means.groupby(["forget_fraction", "modality"])
              for method in sorted(group["method"].unique())]
    ncols = min(5, len(panels))
    nrows = (len(panels) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.8 * ncols, 2.6 * nrows + 0.5), squeeze=False,
                             sharex=True, sharey=True)
    lambdas = sorted(means["l1_lambda"].unique())
    lrs = sorted(means["lr"].dropna().unique())
    colours = plt.cm.viridis([i / max(1, len(lambdas) - 1) for i in range(len(lambdas))])
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for i, ((fraction, modality), method) in enumerate(panels):
        ax = axes.flat[i]
        points = means[(means["forget_fraction"] == fraction) & (means["modality"] == modality)
                       & (means["method"] == method)]
        for _, point in points.iterrows():
            marker = MARKERS[lrs.index(point["lr"]) % len(MARKERS)] if point["lr"] in lrs else "o"
            ax.scatter(point[args.x], point[args.y], color=colours[lambdas.index(point["l1_lambda"])],
                       marker=marker, s=36, edgecolor="black", linewidth=0.4)
        for model, colour in (("Original", "black"), ("Gold", "goldenrod")):
            if (fraction, modality, model) in refs.index:
                ref = refs.loc[(fraction, modality, model)]
                ax.scatter(ref[args.x], ref[args.y], marker="*", s=120, color=colour, zorder=3)
        ax.set_title(f"{method} ({modality}, {fraction:g} %)", fontsize=9)
        ax.grid(alpha=0.3)
        if i // ncols == nrows - 1 or i + ncols >= len(panels):
            ax.set_xlabel(args.x, fontsize=8)
        if i % ncols == 0:
            ax.set_ylabel(args.y, fontsize=8)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=f"L1 {l:g}") for l, c in zip(lambdas, colours)]
    handles += [plt.Line2D([], [], marker=MARKERS[i % len(MARKERS)], linestyle="", color="grey", label=f"lr {lr:g}")
                for i, lr in enumerate(lrs)]
    handles += [plt.Line2D([], [], marker="*", linestyle="", color=c, markersize=10, label=m)
                for m, c in (("Original", "black"), ("Gold", "goldenrod"))]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.5 / fig.get_figheight(), 1, 1))
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
