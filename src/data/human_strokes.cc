#include "spiral/data/human_strokes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/data/preprocess.h"
#include "spiral/render/painter.h"

namespace spiral::data {
namespace {

struct Point {
  double x = 0;
  double y = 0;
};

double distance(Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Distance from `p` to the segment [a, b].
double segment_distance(Point p, Point a, Point b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double length2 = dx * dx + dy * dy;
  double t = length2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return distance(p, {a.x + t * dx, a.y + t * dy});
}

// Distance from `p` to the polyline points[first .. last].
double polyline_distance(Point p, const std::vector<Point>& points, size_t first, size_t last) {
  double best = distance(p, points[first]);
  for (size_t i = first; i < last; ++i) {
    best = std::min(best, segment_distance(p, points[i], points[i + 1]));
  }
  return best;
}

// The quadratic Bezier from p0 through control c to p2, sampled as the painter does (51 points).
std::vector<Point> bezier(Point p0, Point c, Point p2) {
  constexpr int kSamples = 51;
  std::vector<Point> curve(kSamples);
  for (int k = 0; k < kSamples; ++k) {
    const double t = static_cast<double>(k) / (kSamples - 1);
    const double a = (1 - t) * (1 - t), b = 2 * t * (1 - t), d = t * t;
    curve[k] = {a * p0.x + b * c.x + d * p2.x, a * p0.y + b * c.y + d * p2.y};
  }
  return curve;
}

// Grid locations of the painter: index row * grid + col is the point (canvas * col / grid,
// canvas * row / grid).
class Grid {
 public:
  explicit Grid(const render::PainterSettings& settings)
      : canvas_(settings.canvas), grid_(settings.grid) {}

  Point point(int index) const {
    return {static_cast<double>(canvas_) * (index % grid_) / grid_,
            static_cast<double>(canvas_) * (index / grid_) / grid_};
  }
  int row_col(int row, int col) const {
    return std::clamp(row, 0, grid_ - 1) * grid_ + std::clamp(col, 0, grid_ - 1);
  }
  int nearest(Point p) const {
    return row_col(static_cast<int>(std::lround(p.y * grid_ / canvas_)),
                   static_cast<int>(std::lround(p.x * grid_ / canvas_)));
  }
  int grid() const { return grid_; }

 private:
  int canvas_;
  int grid_;
};

// A fitted segment: its grid end and control points and how far it strays from the pen path.
struct Segment {
  int end = 0;
  int control = 0;
  double error = std::numeric_limits<double>::infinity();
};

// The largest distance between the curve pen -> control -> end and points[first .. last], both
// ways (every human point to the curve, every curve sample to the human path).
double segment_error(const Grid& grid, int pen, int control, int end,
                     const std::vector<Point>& points, size_t first, size_t last) {
  const std::vector<Point> curve = bezier(grid.point(pen), grid.point(control), grid.point(end));
  double error = 0;
  for (size_t i = first; i <= last; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k + 1 < curve.size(); ++k) {
      best = std::min(best, segment_distance(points[i], curve[k], curve[k + 1]));
    }
    error = std::max(error, best);
  }
  for (const Point& sample : curve) {
    error = std::max(error, polyline_distance(sample, points, first, last));
  }
  return error;
}

// Fits one segment from the grid point `pen` (standing for points[first]) to points[last]: the
// end is the grid point nearest points[last], the control the least-squares control point for
// chord-length parameters, then the best of the grid points around it.
Segment fit_segment(const Grid& grid, int pen, const std::vector<Point>& points, size_t first,
                    size_t last) {
  Segment segment;
  segment.end = grid.nearest(points[last]);
  const Point p0 = grid.point(pen), p2 = grid.point(segment.end);
  std::vector<double> lengths(last - first + 1, 0);
  for (size_t i = first + 1; i <= last; ++i) {
    lengths[i - first] = lengths[i - first - 1] + distance(points[i - 1], points[i]);
  }
  double numerator_x = 0, numerator_y = 0, denominator = 0;
  for (size_t i = first; i <= last; ++i) {
    const double t = lengths.back() > 0 ? lengths[i - first] / lengths.back() : 0;
    const double a = (1 - t) * (1 - t), w = 2 * t * (1 - t), d = t * t;
    numerator_x += w * (points[i].x - a * p0.x - d * p2.x);
    numerator_y += w * (points[i].y - a * p0.y - d * p2.y);
    denominator += w * w;
  }
  const Point control = denominator > 1e-9
                            ? Point{numerator_x / denominator, numerator_y / denominator}
                            : Point{(p0.x + p2.x) / 2, (p0.y + p2.y) / 2};
  const int center = grid.nearest(control);
  for (int dr = -1; dr <= 1; ++dr) {
    for (int dc = -1; dc <= 1; ++dc) {
      const int candidate = grid.row_col(center / grid.grid() + dr, center % grid.grid() + dc);
      const double error = segment_error(grid, pen, candidate, segment.end, points, first, last);
      if (error < segment.error) {
        segment.error = error;
        segment.control = candidate;
      }
    }
  }
  return segment;
}

// Builds painter commands part by part, by name, so any painter layout works.
class CommandMaker {
 public:
  CommandMaker(const render::PainterSettings& settings, const StrokeFitOptions& options)
      : spec_(render::painter_action_spec(settings)) {
    const int pressure = options.pressure < 0 ? settings.pressure_levels - 1 : options.pressure;
    base_.assign(spec_.size(), 0);
    set("size", options.size);
    set("pressure", pressure);
  }

  render::Command jump(int end) const { return make(0, end, end); }
  render::Command paint(int end, int control) const { return make(1, end, control); }

 private:
  void set(const char* part, int value) {
    const int index = spec_.index(part);
    if (index >= 0) base_[index] = value;
  }
  render::Command make(int flag, int end, int control) const {
    render::Command command = base_;
    command[spec_.index("flag")] = flag;
    command[spec_.index("end")] = end;
    command[spec_.index("control")] = control;
    return command;
  }

  render::ActionSpec spec_;
  render::Command base_;  // red, green and blue stay 0: black ink
};

}  // namespace

double stroke_to_canvas(double coordinate, int canvas) {
  // A stroke coordinate is a pixel index of the 105 frame (pixel centres, measured against the
  // images: the ink's centroid lies 0.47 px right of and 0.42 px below the pen's, on average).
  return (coordinate + 0.5) * canvas / kOmniglotSide;
}

render::Program drawing_to_program(const Drawing& drawing, const render::PainterSettings& settings,
                                   const StrokeFitOptions& options, uint64_t seed) {
  render::check_painter_settings(settings);
  if (!(options.tolerance > 0)) {
    throw std::invalid_argument("drawing_to_program: tolerance " +
                                std::to_string(options.tolerance));
  }
  const Grid grid(settings);
  const CommandMaker maker(settings, options);
  // Candidate end points past the first that fails the tolerance, before giving up.
  constexpr size_t kLookahead = 4;
  // Human samples closer than this (canvas pixels) to the previous kept one are dropped.
  const double spacing = 0.25 * settings.canvas / grid.grid();

  render::Program program;
  program.seed = seed;
  program.settings.kind = render::EnvironmentSettings::Kind::kPainter;
  program.settings.painter = settings;
  for (const Stroke& stroke : drawing) {
    std::vector<Point> points;
    for (const StrokePoint& sample : stroke) {
      const Point p{stroke_to_canvas(sample.x, settings.canvas),
                    stroke_to_canvas(sample.y, settings.canvas)};
      if (points.empty() || distance(points.back(), p) >= spacing) points.push_back(p);
    }
    if (points.empty()) continue;
    int pen = grid.nearest(points.front());
    program.commands.push_back(maker.jump(pen));
    if (points.size() == 1) {  // a dot: a one-cell dash, since a zero-length stroke paints nothing
      const int col = pen % grid.grid();
      const int next = col + 1 < grid.grid() ? pen + 1 : pen - 1;
      program.commands.push_back(maker.paint(next, next));
      continue;
    }
    size_t first = 0;
    while (first + 1 < points.size()) {
      size_t best_last = first + 1;
      Segment best = fit_segment(grid, pen, points, first, best_last);
      size_t failures = 0;
      for (size_t last = first + 2; last < points.size() && failures < kLookahead; ++last) {
        const Segment segment = fit_segment(grid, pen, points, first, last);
        if (segment.error <= options.tolerance) {
          best = segment;
          best_last = last;
          failures = 0;
        } else {
          ++failures;
        }
      }
      program.commands.push_back(maker.paint(best.end, best.control));
      pen = best.end;
      first = best_last;
    }
  }
  program.settings.painter.episode_length = std::max<int>(1, program.commands.size());
  return program;
}

double ink_iou(const Image& a, const Image& b, int threshold) {
  const Image gray_a = to_gray(a), gray_b = to_gray(b);
  if (gray_a.height != gray_b.height || gray_a.width != gray_b.width) {
    throw std::invalid_argument("ink_iou: images of " + std::to_string(a.height) + "x" +
                                std::to_string(a.width) + " and " + std::to_string(b.height) + "x" +
                                std::to_string(b.width));
  }
  size_t both = 0, either = 0;
  for (size_t i = 0; i < gray_a.pixels.size(); ++i) {
    const bool ink_a = gray_a.pixels[i] < threshold, ink_b = gray_b.pixels[i] < threshold;
    both += ink_a && ink_b;
    either += ink_a || ink_b;
  }
  return either == 0 ? 1.0 : static_cast<double>(both) / either;
}

}  // namespace spiral::data
