#!/usr/bin/python3
"""Curves of a population run (spiral train --population N): each member's metric against
frames, and its policy lr and entropy cost over the updates, with the PBT exploit steps marked
(an arrow from the member copied). One PNG; a summary line per member on stdout.

  /usr/bin/python3 analysis/population.py RUN --out population.png [--metrics held_out_mse,reward]
RUN is the run folder (it holds metrics.h5 with a group member-<m> per member, and population.h5).
"""
import argparse
import os

import numpy as np

import spiral_h5

MEMBER_COLUMNS = spiral_h5.COLUMNS + ("policy_lr", "entropy_cost")
EVENT_COLUMNS = ("update", "member", "source", "old_policy_lr", "new_policy_lr",
                 "old_entropy_cost", "new_entropy_cost", "member_fitness", "source_fitness")


def read_members(run):
    """[{column: array}] per member from the run's metrics.h5, or raises RunFileError."""
    path = spiral_h5.metrics_path(run)
    with spiral_h5.open_h5(path) as f:
        if "members" not in f.attrs:
            raise spiral_h5.RunFileError(f"{path}: not a population run (no members attribute)")
        members = []
        for m in range(int(f.attrs["members"])):
            group = f"member-{m}"
            missing = [c for c in MEMBER_COLUMNS if f"{group}/{c}" not in f]
            if missing:
                raise spiral_h5.RunFileError(f"{path}: no '{group}/{missing[0]}' series")
            series = {c: np.asarray(f[f"{group}/{c}"][...]) for c in MEMBER_COLUMNS}
            rows = min(len(v) for v in series.values())
            members.append({c: v[:rows] for c, v in series.items()})
    return members


def read_events(run):
    """({column: array} of population.h5, its attributes), or raises RunFileError."""
    path = os.path.join(spiral_h5.run_folder(run), "population.h5")
    with spiral_h5.open_h5(path) as f:
        missing = [c for c in EVENT_COLUMNS if c not in f]
        if missing:
            raise spiral_h5.RunFileError(f"{path}: no '{missing[0]}' series")
        events = {c: np.asarray(f[c][...]) for c in EVENT_COLUMNS}
        attributes = dict(f.attrs)
    rows = min(len(v) for v in events.values())
    return {c: v[:rows] for c, v in events.items()}, attributes


def plot(members, events, metrics, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(metrics) + 2
    figure, axes = plt.subplots(rows, 1, figsize=(10, 2.6 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for m, series in enumerate(members):
        color = colors[m % len(colors)]
        for row, name in enumerate(metrics):
            keep = ~np.isnan(series[name])
            axes[row][0].plot(series["frames"][keep], series[name][keep], color=color,
                              label=f"member {m}", marker="." if keep.sum() < 30 else None)
        for offset, name in enumerate(("policy_lr", "entropy_cost")):
            axes[len(metrics) + offset][0].step(series["step"], series[name], where="post",
                                                color=color, label=f"member {m}")
    exploits = events["update"] > 0
    for update, member, source in zip(events["update"][exploits], events["member"][exploits],
                                      events["source"][exploits]):
        for row in range(len(metrics), rows):
            axes[row][0].axvline(update, color=colors[int(member) % len(colors)], alpha=0.3,
                                 linestyle=":")
        axes[len(metrics)][0].annotate(f"{int(source)}→{int(member)}", (update, 1),
                                       xycoords=("data", "axes fraction"), fontsize="x-small",
                                       ha="center", va="top")
    for row, name in enumerate(metrics):
        axes[row][0].set_xlabel("frames")
        axes[row][0].set_ylabel(name)
    for offset, name in enumerate(("policy lr", "entropy cost")):
        axis = axes[len(metrics) + offset][0]
        axis.set_xlabel("update")
        axis.set_ylabel(name)
        axis.set_yscale("log")
    for row in range(rows):
        axes[row][0].grid(alpha=0.3)
    axes[0][0].legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(out, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", metavar="RUN", help="run folder of a population run")
    parser.add_argument("--out", default="population.png", help="PNG to write")
    parser.add_argument("--metrics", default="held_out_mse,reward",
                        help="comma-separated series drawn per member (default: held_out_mse,reward)")
    parser.add_argument("--title", default="", help="figure title")
    args = parser.parse_args()
    metrics = [name for name in args.metrics.split(",") if name]
    unknown = [name for name in metrics if name not in MEMBER_COLUMNS]
    if unknown or not metrics:
        spiral_h5.fail(f"--metrics: unknown series '{unknown[0] if unknown else ''}'; expected "
                       f"some of {','.join(MEMBER_COLUMNS)}")
    try:
        members = read_members(args.run)
        events, attributes = read_events(args.run)
    except spiral_h5.RunFileError as error:
        spiral_h5.fail(str(error))
    try:
        plot(members, events, metrics, args.out, args.title)
    except OSError as error:
        spiral_h5.fail(f"{args.out}: cannot write ({error.strerror})")
    exploits = events["update"] > 0
    for m, series in enumerate(members):
        mse = series["held_out_mse"][~np.isnan(series["held_out_mse"])]
        copies = int(np.sum(exploits & (events["member"] == m)))
        copied = int(np.sum(exploits & (events["source"] == m)))
        last = len(series["step"]) - 1
        print(f"member {m}: {len(series['step'])} updates, policy lr "
              f"{series['policy_lr'][last]:.3g}, entropy cost {series['entropy_cost'][last]:.3g}, "
              f"held_out_mse {mse[-1] if len(mse) else float('nan'):.5g}, copied others "
              f"{copies} time(s), copied by others {copied} time(s)")
    print(f"population: {len(members)} members, {int(exploits.sum())} exploit step(s), fitness "
          f"{attributes.get('fitness', '?')} -> {args.out}")


if __name__ == "__main__":
    main()
