#!/usr/bin/python3
"""Montage of the PNG grids a spiral run wrote under images/ (held-out targets above their
reconstructions), oldest to newest, each titled with its file name, in one PNG.

  /usr/bin/python3 analysis/grids.py RUN_FOLDER --out grids.png [--count 6]
--count picks that many grids spread evenly over the run, always with the first and the last.
"""
import argparse
import glob
import os

import spiral_h5


def pick(paths, count):
    """`count` paths spread evenly over `paths`, first and last included."""
    if count >= len(paths):
        return paths
    if count == 1:
        return paths[-1:]
    indices = sorted({round(i * (len(paths) - 1) / (count - 1)) for i in range(count)})
    return [paths[i] for i in indices]


def montage(paths, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt

    images = []
    for path in paths:
        try:
            images.append(matplotlib.image.imread(path))
        except (OSError, ValueError, SyntaxError) as error:
            raise spiral_h5.RunFileError(f"{path}: not a readable PNG ({error})") from None
    height, width = images[0].shape[:2]
    scale = 8.0 / width
    figure, axes = plt.subplots(len(images), 1, squeeze=False,
                                figsize=(8.4, len(images) * (height * scale + 0.4) + 0.4))
    for axis, path, image in zip(axes[:, 0], paths, images):
        axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1,
                    interpolation="nearest")
        axis.set_title(os.path.basename(path), fontsize="small")
        axis.axis("off")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(out, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", metavar="RUN_FOLDER", help="run folder (holds images/)")
    parser.add_argument("--out", default="grids.png", help="PNG to write (default: grids.png)")
    parser.add_argument("--count", type=int, default=6, help="grids to show (default: 6)")
    parser.add_argument("--title", default=None, help="figure title (default: the run name)")
    args = parser.parse_args()
    if args.count < 1:
        spiral_h5.fail(f"--count: {args.count}: expected at least 1")
    folder = os.path.join(args.run, "images")
    if not os.path.isdir(folder):
        spiral_h5.fail(f"{folder}: no such folder (not a spiral run folder?)")
    paths = sorted(glob.glob(os.path.join(folder, "*.png")))
    if not paths:
        spiral_h5.fail(f"{folder}: no PNG grids yet")
    chosen = pick(paths, args.count)
    title = spiral_h5.run_label(args.run) if args.title is None else args.title
    try:
        montage(chosen, args.out, title)
    except spiral_h5.RunFileError as error:
        spiral_h5.fail(str(error))
    except OSError as error:
        spiral_h5.fail(f"{args.out}: cannot write ({error.strerror})")
    print(f"grids: {len(chosen)} of {len(paths)} grid(s) -> {args.out}")


if __name__ == "__main__":
    main()
