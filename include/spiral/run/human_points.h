// The human pen strokes behind Omniglot reconstruction targets, placed on the agent's canvas.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"

namespace spiral::io {
class Group;
}  // namespace spiral::io

namespace spiral::run {

// Pen points of some targets' drawings, in continuous canvas pixels (pixel i spans [i, i + 1)).
struct HumanPoints {
  std::string source;       // the strokes folder or zip they were read from
  std::vector<float> rows;  // N x 4: target, stroke (in drawing order), x, y
};

// The strokes set to read for the images of `dataset_spec`, from the --strokes value `option`:
// "auto" the strokes_* set beside an Omniglot images_* set ("" when none is there), "none" "",
// anything else a strokes folder or zip (UserError when the images are not an Omniglot set).
std::string strokes_source(const std::string& option, const std::string& dataset_spec);

// The pen points of the drawings of `dataset`'s images `indices` (target k is image indices[k]),
// placed on a `canvas` x `canvas` canvas exactly as the images are; points off the image are left
// out. UserError naming `source` when it does not read or lacks one of the drawings.
HumanPoints human_points(const std::string& source, const data::Dataset& dataset,
                         const std::vector<size_t>& indices, int canvas);

// Writes `points` under `root` as `human_points`, [N, 4] float32, with its description.
void write_human_points(io::Group& root, const HumanPoints& points);

}  // namespace spiral::run
