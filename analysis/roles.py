#!/usr/bin/python3
"""What each role of spiral runs did: a line per rank from <run>/roles.h5, and a summary row per
run (frames/s learnt and produced, how the actors' and learners' time went, peak memory per role).

  /usr/bin/python3 analysis/roles.py RUN [RUN ...] [--csv FILE]

Learnt frames/s is the run's throughput from metrics.h5 after its first update. For --mode async
runs, produced frames/s is the actors' frames over the time in their loops; an actor's acting rate
is its frames over its time acting (what it would produce if it never waited for its replay
holder), and efficiency is the acting rate per actor against the run with the fewest actors.
"""
import argparse
import math

import spiral_h5

CSV_COLUMNS = ("run", "ranks", "actors", "learnt_frames_per_s", "produced_frames_per_s",
               "acting_frames_per_s_per_actor", "actor_efficiency", "actor_waiting_pct",
               "learner_waiting_pct", "peak_rss_learner_mb", "peak_rss_replay_mb",
               "peak_rss_actor_mb")


def rate(frames, seconds):
    return frames / seconds if seconds > 0 else math.nan


def summarize(run):
    """The summary row of one run and its per-rank lines."""
    roles = spiral_h5.read_roles(run)
    metrics = spiral_h5.read_metrics(run)
    actors = spiral_h5.rows_of_role(roles, spiral_h5.ROLE_ACTOR)
    learners = spiral_h5.rows_of_role(roles, spiral_h5.ROLE_LEARNER)
    holders = spiral_h5.rows_of_role(roles, spiral_h5.ROLE_REPLAY)
    row = {"run": spiral_h5.run_label(run), "ranks": len(roles["rank"]), "actors": len(actors),
           "learnt_frames_per_s": spiral_h5.throughput(metrics)}
    if actors:
        row["produced_frames_per_s"] = sum(roles["frames"][i] for i in actors) / max(
            roles["seconds"][i] for i in actors)
        row["acting_frames_per_s_per_actor"] = sum(
            rate(roles["frames"][i], roles["seconds_working"][i]) for i in actors) / len(actors)
        row["actor_waiting_pct"] = 100 * sum(roles["seconds_blocked"][i] for i in actors) / sum(
            roles["seconds"][i] for i in actors)
    else:  # sync: every rank acts and learns
        row["produced_frames_per_s"] = row["learnt_frames_per_s"]
        row["acting_frames_per_s_per_actor"] = math.nan
        row["actor_waiting_pct"] = math.nan
    row["learner_waiting_pct"] = 100 * sum(roles["seconds_blocked"][i] for i in learners) / sum(
        roles["seconds"][i] for i in learners)
    for key, ranks in (("learner", learners), ("replay", holders), ("actor", actors)):
        row[f"peak_rss_{key}_mb"] = max((roles["peak_rss_mb"][i] for i in ranks), default=math.nan)
    lines = []
    for i, rank in enumerate(roles["rank"]):
        role = roles["role"][i]
        name = spiral_h5.ROLE_NAMES.get(role, "?")
        line = (f"  rank {rank:3d} {name:13s} episodes {roles['episodes'][i]:7d}"
                f"  frames/s {rate(roles['frames'][i], roles['seconds'][i]):8.1f}")
        if role == spiral_h5.ROLE_ACTOR:
            line += (f"  acting {roles['seconds_working'][i]:6.1f} s  waiting on holder "
                     f"{roles['seconds_blocked'][i]:6.1f} s")
        elif role == spiral_h5.ROLE_REPLAY:
            line += (f"  to learners {roles['to_learners'][i]}  dropped {roles['dropped'][i]}"
                     f"  left {roles['left'][i]}")
        else:
            line += f"  waiting for episodes {roles['seconds_blocked'][i]:6.1f} s"
        lines.append(line + f"  peak RSS {roles['peak_rss_mb'][i]:7.1f} MB")
    return row, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder")
    parser.add_argument("--csv", help="write the summary rows to this CSV file")
    args = parser.parse_args()
    rows = []
    for run in args.runs:
        try:
            row, lines = summarize(run)
        except spiral_h5.RunFileError as error:
            spiral_h5.fail(str(error))
        print(f"{row['run']}: {row['ranks']} rank(s)")
        print("\n".join(lines))
        rows.append(row)
    with_actors = [r for r in rows if r["actors"] > 0]
    if with_actors:
        base = min(with_actors, key=lambda r: r["actors"])["acting_frames_per_s_per_actor"]
        for r in with_actors:
            r["actor_efficiency"] = r["acting_frames_per_s_per_actor"] / base
    print("| run | ranks | actors | learnt frames/s | produced frames/s | acting frames/s per actor"
          " | efficiency | actors waiting % | learners waiting % | peak RSS MB learner / holder "
          "/ actor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    fmt = lambda v, d=1: "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{d}f}"
    for r in rows:
        print(f"| {r['run']} | {r['ranks']} | {r['actors']} | {fmt(r['learnt_frames_per_s'])} | "
              f"{fmt(r['produced_frames_per_s'])} | {fmt(r['acting_frames_per_s_per_actor'])} | "
              f"{fmt(r.get('actor_efficiency'), 2)} | {fmt(r['actor_waiting_pct'])} | "
              f"{fmt(r['learner_waiting_pct'])} | {fmt(r['peak_rss_learner_mb'], 0)} / "
              f"{fmt(r['peak_rss_replay_mb'], 0)} / {fmt(r['peak_rss_actor_mb'], 0)} |")
    if args.csv:
        try:
            spiral_h5.write_csv(rows, args.csv, CSV_COLUMNS)
        except OSError as error:
            spiral_h5.fail(f"{args.csv}: cannot write ({error.strerror})")


if __name__ == "__main__":
    main()
