// Human Omniglot strokes as painter programs: quadratic Bezier fits on the painter's grid.
#pragma once

#include <cstdint>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/data/omniglot.h"
#include "spiral/render/program.h"
#include "spiral/render/settings.h"

namespace spiral::data {

// How strokes are fitted and painted.
struct StrokeFitOptions {
  // Largest distance, in canvas pixels, between the human pen path and a fitted segment (both
  // ways) before the segment is split. Grid snapping alone moves points by up to half a cell.
  double tolerance = 1.0;
  // Brush size index (into PainterSettings::brush_sizes) and pressure level of every paint.
  int size = 0;
  int pressure = -1;  // -1: the highest level
};

// Where a stroke point (pixel-index coordinates of the 105 x 105 frame) lies on a canvas of
// `canvas` pixels, in continuous canvas coordinates (pixel i spans [i, i + 1)).
double stroke_to_canvas(double coordinate, int canvas);

// The painter program that redraws `drawing` (Omniglot's pen strokes) on `settings`: for each
// stroke a jump to its first point, then paint commands, each a quadratic Bezier from the pen's
// grid point through a grid control point to a grid end point, chosen greedily so that each
// segment covers as much of the stroke as `options.tolerance` allows. Black ink at full
// pressure. The program's episode length is its number of commands; its seed is `seed`.
render::Program drawing_to_program(const Drawing& drawing, const render::PainterSettings& settings,
                                   const StrokeFitOptions& options = {}, uint64_t seed = 0);

// Intersection over union of the ink of two gray images of the same size, a pixel being ink
// when its value is below `threshold` (1 when neither has ink).
double ink_iou(const Image& a, const Image& b, int threshold = 128);

}  // namespace spiral::data
