#!/usr/bin/python3
"""Reads the files a spiral run folder holds: metrics.h5, config.cfg and job.txt.

As a program it prints one summary line per run:
  /usr/bin/python3 analysis/spiral_h5.py RUN_FOLDER_OR_METRICS_H5 ...
"""
import argparse
import csv
import math
import os
import sys

import numpy as np

# The series of metrics.h5, one row per policy update (held_out_mse is NaN when not evaluated).
COLUMNS = ("step", "frames", "wall_time", "policy_loss", "value_loss", "entropy", "reward",
           "discriminator_loss", "grad_norm", "held_out_mse")


# The roles of roles.h5 rows (a row per rank), and its columns.
ROLE_LEARNER, ROLE_REPLAY, ROLE_ACTOR = 0, 1, 2
ROLE_NAMES = {ROLE_LEARNER: "learner", ROLE_REPLAY: "replay holder", ROLE_ACTOR: "actor"}
ROLE_COLUMNS = ("rank", "role", "episodes", "frames", "to_learners", "dropped", "left", "written",
                "parameter_updates", "seconds", "seconds_working", "seconds_blocked",
                "bytes_sent", "peak_rss_mb")


class RunFileError(Exception):
    """A missing or unreadable run file; the message is one line naming it."""


def fail(message):
    """Prints `<program>: message` on stderr and exits with code 2 (a user's mistake)."""
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(2)


def metrics_path(run):
    """The metrics.h5 of a run folder, or the path itself when it names a file."""
    return os.path.join(run, "metrics.h5") if os.path.isdir(run) else run


def run_folder(run):
    """The run folder of a run folder or of a file inside it."""
    return run if os.path.isdir(run) else os.path.dirname(os.path.abspath(run))


def open_h5(path):
    """Opens an HDF5 file read-only (SWMR when it was written so), or raises RunFileError."""
    import h5py  # imported here so that --help works without h5py
    if not os.path.exists(path):
        raise RunFileError(f"{path}: no such file")
    try:
        # SWMR lets us read while the run appends; files not written that way open plainly.
        return h5py.File(path, "r", swmr=True, libver="latest")
    except OSError:
        pass
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise RunFileError(f"{path}: not a readable HDF5 file ({error})") from None


def read_metrics(run):
    """Returns {column: numpy array} for every series of COLUMNS, all of one length."""
    path = metrics_path(run)
    with open_h5(path) as f:
        missing = [name for name in COLUMNS if name not in f]
        if missing:
            raise RunFileError(f"{path}: no '{missing[0]}' series (not a spiral metrics.h5?)")
        series = {}
        for name in COLUMNS:
            series[name] = np.asarray(f[name][...])
    rows = min(len(values) for values in series.values())
    # A reader racing the writer may see one series a row ahead: keep complete rows.
    return {name: values[:rows] for name, values in series.items()}


def read_ini(path):
    """Returns {key: value} of a `key = value` file (# comments), or raises RunFileError."""
    if not os.path.isfile(path):
        raise RunFileError(f"{path}: no such file")
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


def read_config(run):
    """The resolved configuration (config.cfg) of a run."""
    return read_ini(os.path.join(run_folder(run), "config.cfg"))


def read_job(run):
    """What the Slurm job ran on (job.txt: ranks, threads, nodes, ...); {} when absent."""
    path = os.path.join(run_folder(run), "job.txt")
    return read_ini(path) if os.path.isfile(path) else {}


def read_roles(run):
    """{column: numpy array} of a run's roles.h5 (a row per rank), or raises RunFileError."""
    path = os.path.join(run_folder(run), "roles.h5")
    with open_h5(path) as f:
        missing = [name for name in ROLE_COLUMNS if name not in f]
        if missing:
            raise RunFileError(f"{path}: no '{missing[0]}' column (not a roles.h5?)")
        return {name: np.asarray(f[name][...]) for name in ROLE_COLUMNS}


def rows_of_role(roles, role):
    """Indices of the rows of read_roles' columns whose rank took `role`."""
    return [i for i, r in enumerate(roles["role"]) if r == role]


def write_csv(rows, path, columns):
    """`rows` (dicts) as CSV with `columns`; floats to 6 significant digits, missing ones empty."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{value:.6g}" if isinstance(value, float) else value)
                             for key, value in row.items()})


def run_label(run):
    """A short name for a run: its folder name."""
    return os.path.basename(os.path.normpath(run_folder(run)))


def throughput(metrics):
    """Frames per second over the run, leaving out the first update (start-up costs)."""
    frames, wall = metrics["frames"], metrics["wall_time"]
    if len(frames) == 0:
        return math.nan
    if len(frames) == 1 or wall[-1] <= wall[0]:
        return float(frames[-1]) / max(float(wall[-1]), 1e-9)
    return float(frames[-1] - frames[0]) / float(wall[-1] - wall[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder or metrics.h5")
    args = parser.parse_args()
    for run in args.runs:
        try:
            m = read_metrics(run)
        except RunFileError as error:
            fail(str(error))
        rows = len(m["step"])
        last = lambda name: m[name][-1] if rows else math.nan
        mse = m["held_out_mse"][~np.isnan(m["held_out_mse"])]
        print(f"{run_label(run)}: {rows} rows, frames {last('frames')}, "
              f"wall_time {last('wall_time'):.1f} s, frames/s {throughput(m):.1f}, "
              f"reward {last('reward'):.4g}, held_out_mse "
              f"{mse[-1] if len(mse) else math.nan:.4g}")


if __name__ == "__main__":
    main()
