#include "spiral/run/human_points.h"

#include "spiral/core/errors.h"
#include "spiral/data/human_strokes.h"
#include "spiral/data/omniglot.h"
#include "spiral/io/hdf5.h"

namespace spiral::run {

std::string strokes_source(const std::string& option, const std::string& dataset_spec) {
  const data::DatasetSpec spec = data::parse_dataset_spec(dataset_spec);
  if (option == "none") return "";
  if (option == "auto") {
    return spec.kind == "omniglot" ? data::omniglot_strokes_beside(spec.location) : "";
  }
  if (spec.kind != "omniglot") {
    throw UserError("--strokes " + option + ": human strokes need an Omniglot dataset, not " +
                    dataset_spec);
  }
  return option;
}

HumanPoints human_points(const std::string& source, const data::Dataset& dataset,
                         const std::vector<size_t>& indices, int canvas) {
  const data::OmniglotStrokes strokes(source);
  HumanPoints points;
  points.source = source;
  for (size_t target = 0; target < indices.size(); ++target) {
    const std::string key = dataset.key(indices[target]);
    const data::Drawing* drawing = strokes.find(key);
    if (drawing == nullptr) {
      throw UserError(source + ": no drawing " + key + " of " + dataset.name() +
                      " (expected the strokes of the same image set)");
    }
    for (size_t stroke = 0; stroke < drawing->size(); ++stroke) {
      for (const data::StrokePoint& sample : (*drawing)[stroke]) {
        // The image is the whole 105 x 105 frame scaled to the canvas (square: no crop).
        const double x = data::stroke_to_canvas(sample.x, canvas);
        const double y = data::stroke_to_canvas(sample.y, canvas);
        if (x < 0 || y < 0 || x > canvas || y > canvas) continue;  // the pen left the frame
        points.rows.insert(points.rows.end(),
                           {static_cast<float>(target), static_cast<float>(stroke),
                            static_cast<float>(x), static_cast<float>(y)});
      }
    }
  }
  return points;
}

void write_human_points(io::Group& root, const HumanPoints& points) {
  io::Dataset dataset =
      root.write_array<float>("human_points", {points.rows.size() / 4, 4}, points.rows);
  dataset.set_attribute("description",
                        "human pen samples of each target's drawing, one per row: target index "
                        "(into targets), stroke number (in drawing order), x, y in canvas pixels "
                        "(x right, y down, pixel i spans [i, i + 1)), placed as the target image "
                        "is; samples off the image are left out");
  dataset.set_attribute("source", points.source);
}

}  // namespace spiral::run
