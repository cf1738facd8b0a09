#!/usr/bin/python3
"""The programs of a `spiral reconstruct` run, stroke by stroke, and against the human strokes
behind Omniglot targets.

  /usr/bin/python3 analysis/programs.py RECONSTRUCTION_H5 --out DIR [--episodes 0,1,2,3]

Writes DIR/sequence-<k>.png for each chosen episode k (default: the first four): its target, the
blank canvas and the canvas after every step. When the file holds human strokes (reconstruct on
an Omniglot set whose strokes_* set lies beside it), also DIR/strokes.csv, one row per target:
its index, dataset index, the agent's painted strokes (paint commands), the human strokes, and
the symmetric Chamfer distance in canvas pixels between the agent's stroke paths and the human
pen path; and DIR/overlay.png, the human strokes (red) and the agent's stroke paths (blue,
dashed) over the agent's final canvas. Prints one summary line.
"""
import argparse
import csv
import math
import os

import numpy as np

import spiral_h5

# The painter samples each paint command's Bezier at this many points (render/painter.h).
BEZIER_SAMPLES = 51
# Polylines are resampled to points at most this far apart (canvas pixels) before comparing.
SPACING = 0.5


def parse_action_spec(text):
    """{part name: position} of an action_spec attribute such as "flag:2 end:1024 ..."."""
    parts = {}
    for position, item in enumerate(text.split()):
        name, _, size = item.partition(":")
        parts[name] = (position, int(size))
    return parts


def read_file(path):
    """The arrays programs.py needs from a reconstruction.h5, or RunFileError naming what lacks."""
    with spiral_h5.open_h5(path) as f:
        for name in ("canvases", "commands", "renders"):
            if name not in f:
                raise spiral_h5.RunFileError(
                    f"{path}: no '{name}' dataset (not a reconstruction.h5 of spiral reconstruct, "
                    f"or one written before canvases were recorded)")
        if "action_spec" not in f.attrs:
            raise spiral_h5.RunFileError(f"{path}: no action_spec attribute")
        data = {name: np.asarray(f[name][...]) for name in
                ("canvases", "commands", "renders", "targets", "target_indices", "human_points")
                if name in f}
        spec = f.attrs["action_spec"]
        data["action_spec"] = spec.decode() if isinstance(spec, bytes) else str(spec)
    if data["canvases"].ndim != 5 or data["commands"].ndim != 3:
        raise spiral_h5.RunFileError(f"{path}: canvases or commands of an unexpected shape")
    return data


def densify(points):
    """The polyline through `points` [N, 2], resampled so that neighbours lie at most SPACING
    apart (the pen moves in straight lines between its samples)."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        pieces = max(1, int(math.ceil(np.hypot(*(b - a)) / SPACING)))
        t = np.arange(1, pieces + 1)[:, None] / pieces
        out.append(a + t * (b - a))
    return np.concatenate(out)


def agent_paths(commands, parts, canvas):
    """The centre line of every paint command of one episode, [BEZIER_SAMPLES, 2] each, in canvas
    pixels.

    The painter drives its brush along the quadratic Bezier from the pen's position through the
    control point to the end point (grid cell (row, col) is the pixel (canvas * col / grid,
    canvas * row / grid); the pen starts at (0, 0) and a jump moves it to its end point). We take
    that centre line, sampled as the painter samples it, as where the agent drew: the brush's
    radius, its pressure and its dabs' jitter are left out, so the distance says where the
    strokes run, not how wide or dark they are.
    """
    flag, end, control = (parts[name][0] for name in ("flag", "end", "control"))
    grid = int(round(math.sqrt(parts["end"][1])))

    def point(index):
        return np.array([canvas * (index % grid) / grid, canvas * (index // grid) / grid])

    pen = np.zeros(2)
    t = np.linspace(0.0, 1.0, BEZIER_SAMPLES)[:, None]
    paths = []
    for command in commands:
        stop = point(command[end])
        if command[flag] == 1:
            via = point(command[control])
            paths.append((1 - t) ** 2 * pen + 2 * t * (1 - t) * via + t ** 2 * stop)
        pen = stop
    return paths


def human_strokes(points, target):
    """The pen path of each human stroke of `target`, from human_points rows (target, stroke,
    x, y), in drawing order."""
    rows = points[points[:, 0] == target]
    return [rows[rows[:, 1] == stroke][:, 2:4] for stroke in np.unique(rows[:, 1])]


def chamfer(paths_a, paths_b):
    """Symmetric Chamfer distance in pixels between two sets of polylines: each set resampled
    densely, every point's distance to the nearest point of the other set, averaged per set, and
    the two averages averaged. NaN when either set is empty."""
    if not paths_a or not paths_b:
        return math.nan
    a = np.concatenate([densify(p) for p in paths_a])
    b = np.concatenate([densify(p) for p in paths_b])
    nearest_b = np.full(len(a), np.inf)
    nearest_a = np.full(len(b), np.inf)
    for start in range(0, len(a), 1024):  # bounded memory for long programs
        d = np.hypot(*(a[start:start + 1024, None, :] - b[None, :, :]).transpose(2, 0, 1))
        nearest_b[start:start + 1024] = d.min(axis=1)
        nearest_a = np.minimum(nearest_a, d.min(axis=0))
    return 0.5 * (nearest_b.mean() + nearest_a.mean())


def show(axis, image):
    """Draws an H x W x C uint8 image (gray or RGB) without axes."""
    if image.shape[-1] == 1:
        axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        axis.imshow(image, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])


def panel_grid(plt, count, max_columns, width, height, title_height):
    """A figure of `count` panels, at most `max_columns` a row, each width x height inches, all
    axes off (a panel turns its own on)."""
    columns = min(count, max_columns)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False,
                                figsize=(width * columns, height * rows + title_height))
    for axis in axes.flat:
        axis.axis("off")
    return figure, axes


def draw_sequence(data, parts, episode, out):
    """sequence-<episode>.png: the target, the blank canvas, then the canvas after each step."""
    import matplotlib.pyplot as plt

    canvases = data["canvases"][episode]
    panels = []
    if "targets" in data:
        panels.append(("target", data["targets"][episode]))
    panels.append(("blank", canvases[0]))
    for step in range(1, len(canvases)):
        label = f"{step}"
        if "flag" in parts:
            paints = data["commands"][episode, step - 1, parts["flag"][0]] == 1
            label += " paint" if paints else " jump"
        panels.append((label, canvases[step]))
    figure, axes = panel_grid(plt, len(panels), 10, 1.4, 1.55, 0.4)
    for axis, (label, image) in zip(axes.flat, panels):
        axis.axis("on")
        show(axis, image)
        axis.set_title(label, fontsize="small")
    figure.suptitle(f"episode {episode}, step by step")
    figure.tight_layout()
    path = os.path.join(out, f"sequence-{episode}.png")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def compare_strokes(data, parts, out):
    """strokes.csv and overlay.png; returns the rows written."""
    import matplotlib.pyplot as plt

    renders = data["renders"]
    canvas = renders.shape[2]
    indices = data.get("target_indices", np.arange(len(renders)))
    rows = []
    figure, axes = panel_grid(plt, len(renders), 8, 2.2, 2.4, 0.5)
    for k in range(len(renders)):
        agent = agent_paths(data["commands"][k], parts, canvas)
        human = human_strokes(data["human_points"], k)
        distance = chamfer(agent, human)
        rows.append((k, int(indices[k]), len(agent), len(human), distance))
        axis = axes.flat[k]
        axis.axis("on")
        show(axis, renders[k])
        # imshow puts pixel i's centre at i; canvas coordinates put it at i + 0.5.
        for path in human:
            axis.plot(path[:, 0] - 0.5, path[:, 1] - 0.5, color="red", linewidth=1.5,
                      marker="." if len(path) == 1 else None)
        for path in agent:
            axis.plot(path[:, 0] - 0.5, path[:, 1] - 0.5, color="blue", linewidth=0.8,
                      linestyle="--")
        axis.set_xlim(-0.5, canvas - 0.5)
        axis.set_ylim(canvas - 0.5, -0.5)
        axis.set_title(f"{k}: {distance:.2f} px" if agent else f"{k}: no paint", fontsize="small")
    figure.suptitle("human strokes (red) and agent stroke paths (blue) over the agent's canvas")
    figure.tight_layout()
    figure.savefig(os.path.join(out, "overlay.png"), dpi=100)
    plt.close(figure)
    with open(os.path.join(out, "strokes.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("target", "dataset_index", "agent_strokes", "human_strokes",
                         "chamfer_px"))
        for k, index, agent_count, human_count, distance in rows:
            writer.writerow((k, index, agent_count, human_count, f"{distance:.4f}"))
    return rows


def parse_episodes(text, count):
    """The episode numbers of --episodes ("0,2,5"), or the first four when empty."""
    if not text:
        return list(range(min(4, count)))
    try:
        episodes = [int(item) for item in text.split(",")]
    except ValueError:
        spiral_h5.fail(f"--episodes: {text}: expected episode numbers separated by commas")
    for episode in episodes:
        if not 0 <= episode < count:
            spiral_h5.fail(f"--episodes: {episode}: expected 0..{count - 1} "
                           f"(the file holds {count} episodes)")
    return episodes


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="RECONSTRUCTION_H5",
                        help="reconstruction.h5 written by spiral reconstruct")
    parser.add_argument("--out", default="programs", help="folder to write (default: programs)")
    parser.add_argument("--episodes", default="",
                        help="episodes to draw step by step, e.g. 0,3 (default: the first 4)")
    args = parser.parse_args()
    try:
        data = read_file(args.file)
    except spiral_h5.RunFileError as error:
        spiral_h5.fail(str(error))
    count = len(data["canvases"])
    episodes = parse_episodes(args.episodes, count)
    parts = parse_action_spec(data["action_spec"])

    import matplotlib
    matplotlib.use("Agg")
    try:
        os.makedirs(args.out, exist_ok=True)
        for episode in episodes:
            draw_sequence(data, parts, episode, args.out)
        if "human_points" not in data:
            print(f"programs: {count} episodes, no human strokes in {args.file}; "
                  f"wrote {len(episodes)} sequence(s) to {args.out}")
            return
        if not all(name in parts for name in ("flag", "end", "control")):
            spiral_h5.fail(f"{args.file}: action_spec {data['action_spec']}: expected the "
                           "painter's flag, end and control parts")
        rows = compare_strokes(data, parts, args.out)
    except OSError as error:
        spiral_h5.fail(f"{args.out}: cannot write ({error.strerror})")
    distances = np.array([row[4] for row in rows])
    mean = float(np.mean(distances[np.isfinite(distances)])) if np.isfinite(distances).any() \
        else math.nan
    print(f"programs: {count} episodes, mean chamfer {mean:.2f} px, "
          f"agent strokes {np.mean([row[2] for row in rows]):.2f}, "
          f"human strokes {np.mean([row[3] for row in rows]):.2f} (means per episode); "
          f"wrote {len(episodes)} sequence(s), strokes.csv and overlay.png to {args.out}")


if __name__ == "__main__":
    main()
