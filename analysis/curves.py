#!/usr/bin/python3
"""Learning curves of spiral runs: each metric against frames and against wall time, several
runs overlaid, one PNG.

  /usr/bin/python3 analysis/curves.py RUN [RUN ...] --out curves.png [--labels A,B]
RUN is a run folder or its metrics.h5. held_out_mse is drawn only where it was evaluated.
"""
import argparse

import numpy as np

import spiral_h5

DEFAULT_METRICS = "reward,held_out_mse,policy_loss,discriminator_loss,entropy,grad_norm"


def smooth(values, window):
    """Trailing moving average over `window` rows (1: unchanged)."""
    if window <= 1 or len(values) < 2:
        return values
    kernel = np.ones(min(window, len(values))) / min(window, len(values))
    return np.convolve(values, kernel, mode="valid")


def plot(runs, labels, metrics, window, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(metrics), 2, figsize=(11, 2.6 * len(metrics)), squeeze=False)
    for (run, series), label in zip(runs, labels):
        for row, name in enumerate(metrics):
            values = series[name]
            keep = ~np.isnan(values)
            for column, x_name in enumerate(("frames", "wall_time")):
                x, y = series[x_name][keep], values[keep]
                if name != "held_out_mse":
                    y = smooth(y, window)
                    x = x[len(x) - len(y):]
                axes[row][column].plot(x, y, label=label, marker="." if len(y) < 30 else None)
    for row, name in enumerate(metrics):
        for column, x_label in enumerate(("frames", "wall time [s]")):
            axis = axes[row][column]
            axis.set_xlabel(x_label)
            axis.set_ylabel(name)
            axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(out, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder or metrics.h5")
    parser.add_argument("--out", default="curves.png", help="PNG to write (default: curves.png)")
    parser.add_argument("--labels", help="comma-separated legend labels, one per run "
                        "(default: the run folder names)")
    parser.add_argument("--metrics", default=DEFAULT_METRICS,
                        help=f"comma-separated series to draw (default: {DEFAULT_METRICS})")
    parser.add_argument("--smooth", type=int, default=1, metavar="ROWS",
                        help="moving-average window in rows (default: 1, none)")
    parser.add_argument("--title", default="", help="figure title")
    args = parser.parse_args()

    metrics = [name for name in args.metrics.split(",") if name]
    unknown = [name for name in metrics if name not in spiral_h5.COLUMNS]
    if unknown or not metrics:
        spiral_h5.fail(f"--metrics: unknown series '{unknown[0] if unknown else ''}'; expected "
                       f"some of {','.join(spiral_h5.COLUMNS)}")
    labels = args.labels.split(",") if args.labels else [spiral_h5.run_label(r) for r in args.runs]
    if len(labels) != len(args.runs):
        spiral_h5.fail(f"--labels: {len(labels)} labels for {len(args.runs)} runs")
    if args.smooth < 1:
        spiral_h5.fail(f"--smooth: {args.smooth}: expected a window of at least 1 row")
    try:
        runs = [(run, spiral_h5.read_metrics(run)) for run in args.runs]
    except spiral_h5.RunFileError as error:
        spiral_h5.fail(str(error))
    try:
        plot(runs, labels, metrics, args.smooth, args.out, args.title)
    except OSError as error:
        spiral_h5.fail(f"{args.out}: cannot write ({error.strerror})")
    print(f"curves: {len(runs)} run(s), {len(metrics)} metric(s) -> {args.out}")


if __name__ == "__main__":
    main()
