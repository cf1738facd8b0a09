#!/usr/bin/python3
r"""Scaling model of an asynchronous spiral run (--mode async) on 1 to 1,000 nodes: frames/s,
actors needed per learner GPU, network load per node and the allreduce share of a learner's
update, predicted from measured per-role costs. With --check, the same model on measured runs,
each with the costs measured in it, against the frames/s the run made.

  /usr/bin/python3 analysis/scaling_model.py [--nodes 1,2,4,...] [--csv model.csv] \
      [--plot model.png] [--explain] [options: see --help]
  /usr/bin/python3 analysis/scaling_model.py --check RUN [RUN ...] \
      [--sync-act-seconds-per-frame S --sync-learn-seconds-per-frame S]

Model:
  Each node has g learner ranks (one GPU each), r replay holders, and one actor rank on each
  remaining core. N nodes, a frames/s per actor core, c frames/s per learner GPU, B episodes of
  T steps per update, Pp policy and Pd discriminator parameters (float32), E bytes per episode.
    actors per node    A = cores_per_node - g - r
    production         = N * A * a
    learners           L = N * g
    t_compute          = B * T / c
    t_allreduce(L)     = 2 (L-1)/L * 4 (Pp + Pd) / link + 2 (L-1) * latency   (ring; 0 for L = 1)
    t_update           = t_compute + t_allreduce(L)
    consumption        = L * B * T / t_update
    frames/s  F        = min(production, consumption)     (the smaller side limits)
    updates/s U        = F / (L * B * T)   (per learner; below 1 / t_update when actors limit)
    actors per GPU     = (B * T / t_update) / a
    allreduce share    = t_allreduce / t_update
  The ring runs at the link's bandwidth, also between GPUs of one node. On shared memory
  (BENCHMARKS.md, 2 CPU ranks) the policy's 6.21 MiB took 2.56-3.45 ms: the ring model gives
  that with link = 15-20 Gbit/s and no latency; 4 ranks on 2 cores took 7.64 ms, about twice
  its 3.9 ms at 20 Gbit/s, as two ranks per core would.
  Network, bytes/s into a node other than learner 0's (1 MB = 1e6 bytes; 0 on one node):
    episodes, actor -> holder    F / N / T * E * (N-1)/N    (holders spread evenly)
    episodes, holder -> learner  F / N / T * E * (N-1)/N
    allreduce                    2 (L-1)/L * 4 (Pp + Pd) * U   (one ring hop per node)
    parameters to its actors     A * V * 4 Pp
  where V is the copies of the policy an actor takes per second: learner 0 sends an actor a new
  copy only once it has taken the one before, which a busy actor does between its rollouts of e
  environments (--envs): V = min(U, a / (e T)) when actors limit; V = U when learners limit (the
  actors wait for their holder and take every copy meanwhile).
  Learner 0's node also sends the policy to the other nodes (--parameter-delivery):
    direct: to every actor       fan-out = (N-1) * A * V * 4 Pp
    tree: to each node's leader  fan-out = (N-1) * V * 4 Pp
  With the tree a node's leader (its first actor) passes each copy on to the node's other
  actors over shared memory, (A-1) * V * 4 Pp bytes/s on every node (intra-node column), and a
  node takes one copy instead of A: "parameters to its actors" above becomes V * 4 Pp. The
  fan-out grows with the nodes, the other terms per node do not: where it passes the link's
  bandwidth, learner 0 cannot send every actor (direct) or leader (tree) every version (it skips
  those still receiving an older one, so their policy lag grows). The table's last lines give
  the node counts (searched up to 10^6) where the fan-out passes the link and where the
  allreduce reaches half of an update.
  E = 20 + T (4 P + 4) + (T+1) H W C + 4 noise bytes (src/learn/episode.cc: target index, policy
  version, actor; commands; log-probabilities; canvases; noise), plus 32 bytes per message.

Check of a measured run (--check): for an async run, from roles.h5, each actor's rate is its
frames / seconds_working and each learner's its frames / (seconds - seconds_blocked);
production is the sum over actors, consumption the sum over learners (their allreduce is inside
the measured time), predicted = min of the two, and measured = frames/s of metrics.h5 (leaving
out the first update). A sync run (no roles) alternates acting and learning in each rank, so its
costs must be given: predicted = ranks / (act + learn seconds per frame); without them it is
skipped. error = (predicted - measured) / measured.
"""
import argparse
import math
import os

import spiral_h5

# Measured figures, the defaults of the options below (BENCHMARKS.md). Placeholders say so.
MEASURED = {
    # Paper sizes on one CPU core (2-core development machine, 2026-11-27): an async run of
    # inputs/mnist-conditional.cfg with 1 actor of --envs 32 acted 13,984 frames in 31.2 s of
    # acting (roles.h5), painter steps and policy inference together (BENCHMARKS.md, async).
    "actor_frames_per_core": 448.0,
    # H200, paper policy, conditional gray, 64 x 19 batch: A2C step 62.98 ms + WGAN-GP update
    # 16.26 ms = 1,216 frames in 79.24 ms (BENCHMARKS.md, GPU figures; the policy step alone is
    # 19,307 frames/s, 27,063 at 1024 x 19 and 38,460 there with TF32).
    "learner_frames_per_gpu": 15346.0,
    # The paper policy, conditional gray (its parameter count as `spiral train` logs it).
    "policy_params": 1_629_205,
    # Conditional gray discriminator (10.54 MiB in `spiral bench allreduce`).
    "discriminator_params": 2_763_713,
}
# Assumptions, not measured: one InfiniBand HDR port per node.
ASSUMED = {"link_gbps": 100.0, "latency_us": 2.0}
# The conditional MNIST run (inputs/mnist-conditional.cfg): a 64 x 64 gray canvas, and the
# painter's command parts flag, end, control, size, pressure (src/render/painter_spec.cc).
EPISODE = {"parts": 5, "height": 64, "width": 64, "channels": 1, "noise": 0}
DEFAULT_NODES = "1,2,4,8,16,32,64,128,256,512,1000"
CSV_COLUMNS = ("nodes", "actors", "learners", "production", "consumption", "frames_per_s",
               "limit", "actors_per_gpu", "network_mb_s_per_node", "fanout_mb_s",
               "fanout_link_pct", "intra_node_mb_s", "allreduce_pct")
# Where the search for the node count at which a term breaks stops.
MAX_NODES = 1_000_000


def episode_bytes(steps, parts, height, width, channels, noise):
    """Bytes of one encoded episode, without the 32-byte message header (src/learn/episode.cc)."""
    return 20 + steps * (4 * parts + 4) + (steps + 1) * height * width * channels + 4 * noise


def ring_allreduce_seconds(ranks, nbytes, bandwidth, latency):
    """Time of a ring allreduce of `nbytes` over `ranks` (bandwidth in bytes/s, latency in s)."""
    if ranks <= 1:
        return 0.0
    return 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency


def predict(nodes, p):
    """The model's row for `nodes` nodes and the inputs `p` (see the docstring)."""
    actors_per_node = p.cores_per_node - p.gpus_per_node - p.replay_per_node
    actors, learners = nodes * actors_per_node, nodes * p.gpus_per_node
    frames_per_update = p.batch * p.unroll
    link = p.link_gbps * 1e9 / 8
    gradient_bytes = 4 * (p.policy_params + p.discriminator_params)
    policy_bytes = 4 * p.policy_params
    t_allreduce = ring_allreduce_seconds(learners, gradient_bytes, link, p.latency_us * 1e-6)
    t_update = frames_per_update / p.learner_frames_per_gpu + t_allreduce
    production = actors * p.actor_frames_per_core
    consumption = learners * frames_per_update / t_update
    frames = min(production, consumption)
    updates = frames / (learners * frames_per_update)
    actors_limit = production < consumption
    copies = min(updates, p.actor_frames_per_core / (p.envs * p.unroll)) if actors_limit else updates
    remote = (nodes - 1) / nodes
    episodes_in = 2 * frames / nodes / p.unroll * p.episode_bytes * remote
    allreduce_in = 2 * (learners - 1) / learners * gradient_bytes * updates if nodes > 1 else 0.0
    tree = p.parameter_delivery == "tree"
    copies_per_node = 1 if tree else actors_per_node  # from learner 0 into a node
    parameters_in = copies_per_node * copies * policy_bytes if nodes > 1 else 0.0
    fanout = (nodes - 1) * copies_per_node * copies * policy_bytes
    intra_node = (actors_per_node - 1) * copies * policy_bytes if tree else 0.0
    return {"nodes": nodes, "actors": actors, "learners": learners, "production": production,
            "consumption": consumption, "frames_per_s": frames,
            "limit": "actors" if actors_limit else "learners",
            "actors_per_gpu": frames_per_update / t_update / p.actor_frames_per_core,
            "network_mb_s_per_node": (episodes_in + allreduce_in + parameters_in) / 1e6,
            "fanout_mb_s": fanout / 1e6, "fanout_link_pct": 100 * fanout / link,
            "intra_node_mb_s": intra_node / 1e6, "allreduce_pct": 100 * t_allreduce / t_update}


def first_nodes(p, broken):
    """The fewest nodes (up to MAX_NODES) whose row `broken` holds for, or None; `broken` must
    hold for every larger count once it holds for one (both terms below grow with the nodes)."""
    if not broken(predict(MAX_NODES, p)):
        return None
    low, high = 1, 1  # broken(high) once found; not broken below low
    while not broken(predict(high, p)):
        low, high = high + 1, high * 2
    while low < high:
        middle = (low + high) // 2
        if broken(predict(middle, p)):
            high = middle
        else:
            low = middle + 1
    return high


def print_table(rows, p):
    """The model's rows as an aligned table, where the fan-out passes the link, and the node
    counts where it and the allreduce break."""
    print(f"{'nodes':>5} {'actors':>6} {'learners':>8} {'production':>11} {'consumption':>11} "
          f"{'frames/s':>10} {'limit':>8} {'actors/GPU':>10} {'net MB/s/node':>13} "
          f"{'fan-out MB/s':>12} {'fan-out %link':>13} {'intra MB/s':>10} {'allreduce %':>11}")
    for r in rows:
        print(f"{r['nodes']:>5} {r['actors']:>6} {r['learners']:>8} {r['production']:>11.0f} "
              f"{r['consumption']:>11.0f} {r['frames_per_s']:>10.0f} {r['limit']:>8} "
              f"{r['actors_per_gpu']:>10.1f} {r['network_mb_s_per_node']:>13.1f} "
              f"{r['fanout_mb_s']:>12.1f} {r['fanout_link_pct']:>13.1f} "
              f"{r['intra_node_mb_s']:>10.1f} {r['allreduce_pct']:>11.2f}")
    over = [r["nodes"] for r in rows if r["fanout_link_pct"] > 100]
    link_mb = p.link_gbps * 1e3 / 8
    path = f"--parameter-delivery {p.parameter_delivery}"
    if over:
        print(f"learner 0's parameter fan-out ({path}) exceeds the {link_mb:.0f} MB/s link from "
              f"{over[0]} nodes on (of those modelled)")
    else:
        print(f"learner 0's parameter fan-out ({path}) stays within the {link_mb:.0f} MB/s link")
    fanout = first_nodes(p, lambda r: r["fanout_link_pct"] > 100)
    allreduce = first_nodes(p, lambda r: r["allreduce_pct"] > 50)
    said = lambda n: f"from {n} nodes on" if n else f"nowhere up to {MAX_NODES} nodes"
    print(f"breaks: the fan-out passes the link {said(fanout)}; the allreduce takes more than "
          f"half of an update {said(allreduce)}")


def plot(rows, path):
    """Frames/s (production, consumption, predicted) and the shares against nodes, log-log."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = [r["nodes"] for r in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog(nodes, [r["frames_per_s"] for r in rows], "o-", linewidth=4, alpha=0.4,
                label="predicted (the smaller)")
    for key, style, label in (("production", "--", "actors (production)"),
                              ("consumption", ":", "learners (consumption)")):
        left.loglog(nodes, [r[key] for r in rows], style, label=label)
    left.set_ylabel("frames/s")
    left.legend(fontsize="small")
    for key, label in (("allreduce_pct", "allreduce share of an update"),
                       ("fanout_link_pct", "learner 0's fan-out / link")):
        values = [r[key] for r in rows]
        shown = [(n, v) for n, v in zip(nodes, values) if v > 0]
        right.loglog([n for n, _ in shown], [v for _, v in shown], "o-", label=label)
    right.axhline(100, color="k", linestyle="--", linewidth=0.8)
    right.set_ylabel("%")
    right.legend(fontsize="small")
    for axis in (left, right):
        axis.set_xlabel("nodes")
        axis.grid(alpha=0.3, which="both")
    figure.suptitle("spiral --mode async: scaling model")
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def explain(p):
    """The equations and the inputs' values, with the derived quantities."""
    print(__doc__[__doc__.index("Model:"):__doc__.index("Check of")].rstrip())
    gradient_mb = 4 * (p.policy_params + p.discriminator_params) / 1e6
    print(f"\nInputs: a = {p.actor_frames_per_core:g}, c = {p.learner_frames_per_gpu:g}, "
          f"B = {p.batch}, T = {p.unroll}, Pp = {p.policy_params}, Pd = "
          f"{p.discriminator_params}, E = {p.episode_bytes:,} bytes, link = {p.link_gbps:g} Gbit/s "
          f"({p.link_gbps / 8:g} GB/s), latency = {p.latency_us:g} us, per node: "
          f"{p.cores_per_node} cores, {p.gpus_per_node} GPU(s), {p.replay_per_node} holder(s)")
    print(f"Derived: t_compute = {1e3 * p.batch * p.unroll / p.learner_frames_per_gpu:.2f} ms, "
          f"gradients {gradient_mb:.2f} MB per update, policy {4 * p.policy_params / 1e6:.2f} MB "
          f"per broadcast")


def rate(run, roles, i, busy):
    """Frames/s of row `i` of roles.h5 over `busy` seconds."""
    if not busy > 0:
        raise spiral_h5.RunFileError(f"{run}/roles.h5: rank {int(roles['rank'][i])} has no "
                                     "working time")
    return float(roles["frames"][i]) / float(busy)


def check_async(run, roles):
    """(what, predicted frames/s) of an async run from its roles.h5 rows."""
    actors = spiral_h5.rows_of_role(roles, spiral_h5.ROLE_ACTOR)
    learners = spiral_h5.rows_of_role(roles, spiral_h5.ROLE_LEARNER)
    if not actors or not learners:
        raise spiral_h5.RunFileError(f"{run}/roles.h5: no actor or no learner rows")
    production = sum(rate(run, roles, i, roles["seconds_working"][i]) for i in actors)
    consumption = sum(rate(run, roles, i, roles["seconds"][i] - roles["seconds_blocked"][i])
                      for i in learners)
    limit = "actors" if production < consumption else "learners"
    what = (f"async, {len(actors)} actor(s) at {production / len(actors):.1f} frames/s, "
            f"{len(learners)} learner(s) at {consumption / len(learners):.1f} frames/s, "
            f"{limit} limit")
    return what, min(production, consumption)


def check(run, args):
    """One line comparing the model's frames/s for a measured run with the run's own."""
    if not os.path.isdir(run):
        raise spiral_h5.RunFileError(f"{run}: no such run folder")
    measured = spiral_h5.throughput(spiral_h5.read_metrics(run))
    mode = spiral_h5.read_config(run).get("mode", "sync")
    if mode == "async":
        what, predicted = check_async(run, spiral_h5.read_roles(run))
    elif args.sync_act_seconds_per_frame is None or args.sync_learn_seconds_per_frame is None:
        return (f"{spiral_h5.run_label(run)}: sync, measured {measured:.1f} frames/s; skipped: "
                "acting and learning alternate in one process and are not timed apart (give "
                "--sync-act-seconds-per-frame and --sync-learn-seconds-per-frame)")
    else:
        ranks = int(spiral_h5.read_job(run).get("ranks", "1") or 1)
        predicted = ranks / (args.sync_act_seconds_per_frame + args.sync_learn_seconds_per_frame)
        what = f"sync, {ranks} rank(s)"
    error = 100 * (predicted - measured) / measured if measured > 0 else math.nan
    return (f"{spiral_h5.run_label(run)}: {what}: predicted {predicted:.1f} frames/s, measured "
            f"{measured:.1f} frames/s, error {error:+.1f}%")


def parse_nodes(text):
    """The node counts of --nodes ("1,2,4"): positive integers."""
    try:
        nodes = [int(value) for value in text.split(",")]
    except ValueError:
        nodes = []
    if not nodes or min(nodes) < 1:
        spiral_h5.fail(f"--nodes {text}: expected node counts of at least 1, e.g. 1,2,4")
    return sorted(set(nodes))


def validate(args):
    """Exits 2 with one line for inputs the model cannot use."""
    positive = ("actor_frames_per_core", "learner_frames_per_gpu", "batch", "unroll", "envs",
                "policy_params", "link_gbps", "gpus_per_node", "replay_per_node")
    for name in positive:
        if not getattr(args, name) > 0:
            spiral_h5.fail(f"--{name.replace('_', '-')} {getattr(args, name)}: must be positive")
    for name in ("discriminator_params", "latency_us", "episode_bytes",
                 "sync_act_seconds_per_frame", "sync_learn_seconds_per_frame"):
        value = getattr(args, name)
        if value is not None and not value >= 0:
            spiral_h5.fail(f"--{name.replace('_', '-')} {value}: must not be negative")
    if args.cores_per_node <= args.gpus_per_node + args.replay_per_node:
        spiral_h5.fail(f"--cores-per-node {args.cores_per_node}: leaves no core for an actor "
                       f"beside {args.gpus_per_node} learner(s) and {args.replay_per_node} "
                       "holder(s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.error = lambda message: spiral_h5.fail(f"{message} (see --help)")
    m, a = MEASURED, ASSUMED
    add = parser.add_argument
    add("--actor-frames-per-core", type=float, default=m["actor_frames_per_core"],
        help="frames/s of one CPU actor core, painter step + policy inference (default "
             "%(default)g: measured, paper sizes, one core of the development machine)")
    add("--learner-frames-per-gpu", type=float, default=m["learner_frames_per_gpu"],
        help="frames/s one learner GPU learns from, policy and discriminator updates (default "
             "%(default)g: H200, paper policy, 64 x 19, fp32, BENCHMARKS.md)")
    add("--batch", type=int, default=64, help="episodes per learner update (default %(default)s, "
        "inputs/mnist-conditional.cfg)")
    add("--unroll", type=int, default=19, help="steps per episode (default %(default)s, "
        "inputs/mnist-conditional.cfg)")
    add("--envs", type=int, default=32, help="environments per actor rank, one rollout of each "
        "between parameter copies (default %(default)s, as measured)")
    add("--policy-params", type=int, default=m["policy_params"],
        help="policy parameters, float32 (default %(default)s: the paper policy, conditional "
             "gray)")
    add("--discriminator-params", type=int, default=m["discriminator_params"],
        help="discriminator parameters, float32 (default %(default)s, conditional gray)")
    add("--episode-bytes", type=int, default=None,
        help="bytes of one episode on the wire (default: from the wire format of "
             "src/learn/episode.cc with T = --unroll, 5 command parts, 64 x 64 x 1, no noise)")
    add("--cores-per-node", type=int, default=16, help="CPU cores per node (default %(default)s, "
        "the GPU machine of BENCHMARKS.md)")
    add("--gpus-per-node", type=int, default=1, help="learner ranks (GPUs) per node (default "
        "%(default)s)")
    add("--replay-per-node", type=int, default=1, help="replay holder ranks per node (default "
        "%(default)s)")
    add("--link-gbps", type=float, default=a["link_gbps"],
        help="network bandwidth per node and direction, Gbit/s (default %(default)g: an "
             "assumption, one InfiniBand HDR port; not measured)")
    add("--latency-us", type=float, default=a["latency_us"],
        help="latency per message, microseconds (default %(default)g: an assumption for "
             "InfiniBand; not measured)")
    add("--parameter-delivery", choices=("tree", "direct"), default="direct",
        help="how learner 0 sends the policy: a copy to every actor (direct) or to one actor "
             "per node, which passes it on (tree) (default %(default)s, as spiral train)")
    add("--nodes", default=DEFAULT_NODES, help="node counts (default %(default)s)")
    add("--csv", help="write the table as CSV to this file")
    add("--plot", help="write frames/s and the shares against nodes to this PNG")
    add("--explain", action="store_true", help="print the equations and inputs before the table")
    add("--check", nargs="+", metavar="RUN", help="compare the model with measured run folders, "
        "each with the costs measured in it (the options above are not used)")
    add("--sync-act-seconds-per-frame", type=float, help="--check: acting seconds per frame of "
        "a sync run's rank (sync runs are skipped without it)")
    add("--sync-learn-seconds-per-frame", type=float, help="--check: learning seconds per frame "
        "of a sync run's rank")
    args = parser.parse_args()
    validate(args)
    if args.check:
        try:
            lines = [check(run, args) for run in args.check]
        except spiral_h5.RunFileError as error:
            spiral_h5.fail(str(error))
        print("\n".join(lines))
        return
    nodes = parse_nodes(args.nodes)
    if args.episode_bytes is None:
        args.episode_bytes = episode_bytes(args.unroll, **EPISODE)
    rows = [predict(n, args) for n in nodes]
    if args.explain:
        explain(args)
        print()
    print_table(rows, args)
    write_csv = lambda path: spiral_h5.write_csv(rows, path, CSV_COLUMNS)
    for path, write in ((args.csv, write_csv), (args.plot, lambda path: plot(rows, path))):
        if path:
            try:
                write(path)
            except OSError as error:
                spiral_h5.fail(f"{path}: cannot write ({error.strerror})")


if __name__ == "__main__":
    main()
