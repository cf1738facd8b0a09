#!/usr/bin/python3
"""Scaling of spiral runs: frames/s, speedup and parallel efficiency against ranks, from several
run folders (one per rank count; repeats at one count are averaged). Writes a PNG and a CSV table.

  /usr/bin/python3 analysis/scaling.py RUN [RUN ...] --kind strong|weak --out scaling.png \
      --csv scaling.csv
Ranks and threads come from the job.txt that slurm/train.sbatch writes into each run folder
(1 rank when absent). Throughput leaves out the first update. Efficiency is
(frames/s at N ranks) / (N / N0 x frames/s at the fewest ranks N0): for a strong study the work
is fixed, for a weak one it grows with the ranks (a batch per rank), and the ratio is the same.
"""
import argparse
import os

import spiral_h5

CSV_COLUMNS = ("ranks", "nodes", "threads", "cores", "runs", "frames", "wall_time_s",
               "frames_per_s", "speedup", "efficiency")


def measure(run):
    """One row for a run: its layout from job.txt and its throughput from metrics.h5."""
    metrics = spiral_h5.read_metrics(run)
    if len(metrics["frames"]) == 0:
        raise spiral_h5.RunFileError(f"{spiral_h5.metrics_path(run)}: no rows yet")
    job = spiral_h5.read_job(run)
    try:
        ranks, nodes, threads = (int(job.get(key, "1") or 1) for key in ("ranks", "nodes", "threads"))
    except ValueError:
        raise spiral_h5.RunFileError(
            f"{os.path.join(spiral_h5.run_folder(run), 'job.txt')}: ranks, nodes and threads "
            "must be integers") from None
    return {"ranks": ranks, "nodes": nodes, "threads": threads,
            "frames": int(metrics["frames"][-1]), "wall_time_s": float(metrics["wall_time"][-1]),
            "frames_per_s": spiral_h5.throughput(metrics)}


def table(rows):
    """Averages repeats per rank count and adds speedup and efficiency against the fewest ranks."""
    by_ranks = {}
    for row in rows:
        by_ranks.setdefault(row["ranks"], []).append(row)
    result = []
    for ranks in sorted(by_ranks):
        group = by_ranks[ranks]
        mean = lambda key: sum(r[key] for r in group) / len(group)
        result.append({"ranks": ranks, "nodes": group[0]["nodes"], "threads": group[0]["threads"],
                       "cores": ranks * group[0]["threads"], "runs": len(group),
                       "frames": int(mean("frames")), "wall_time_s": mean("wall_time_s"),
                       "frames_per_s": mean("frames_per_s")})
    base = result[0]
    for row in result:
        row["speedup"] = row["frames_per_s"] / base["frames_per_s"]
        row["efficiency"] = row["speedup"] / (row["ranks"] / base["ranks"])
    return result


def plot(rows, kind, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranks = [row["ranks"] for row in rows]
    base = rows[0]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(ranks, [row["frames_per_s"] for row in rows], "o-", label="measured")
    left.plot(ranks, [base["frames_per_s"] * r / base["ranks"] for r in ranks], "k--",
              label="ideal")
    left.set_xlabel("MPI ranks")
    left.set_ylabel("frames/s")
    left.legend()
    right.plot(ranks, [row["efficiency"] for row in rows], "o-")
    right.axhline(1.0, color="k", linestyle="--")
    right.set_ylim(0, max(1.1, max(row["efficiency"] for row in rows) * 1.1))
    right.set_xlabel("MPI ranks")
    right.set_ylabel("parallel efficiency")
    for axis in (left, right):
        axis.set_xticks(ranks)
        axis.grid(alpha=0.3)
    figure.suptitle(title or f"{kind} scaling")
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder")
    parser.add_argument("--kind", choices=("strong", "weak"), default="strong",
                        help="what the study keeps fixed: total work (strong) or work per rank")
    parser.add_argument("--out", default="scaling.png", help="PNG (default: scaling.png)")
    parser.add_argument("--csv", default="scaling.csv", help="CSV table (default: scaling.csv)")
    parser.add_argument("--title", default="", help="figure title")
    args = parser.parse_args()
    try:
        rows = table([measure(run) for run in args.runs])
    except spiral_h5.RunFileError as error:
        spiral_h5.fail(str(error))
    for path, write in ((args.csv, lambda p: spiral_h5.write_csv(rows, p, CSV_COLUMNS)),
                        (args.out, lambda p: plot(rows, args.kind, p, args.title))):
        try:
            write(path)
        except OSError as error:
            spiral_h5.fail(f"{path}: cannot write ({error.strerror})")
    for row in rows:
        print(f"scaling: {row['ranks']} rank(s) x {row['threads']} thread(s): "
              f"{row['frames_per_s']:.1f} frames/s, efficiency {row['efficiency']:.2f}")
    print(f"scaling: {len(rows)} rank count(s) -> {args.out}, {args.csv}")


if __name__ == "__main__":
    main()
