// Tests of the libmypaint painter: action spec, pixels of strokes and jumps, masks, determinism,
// resolution independence, errors, SVG export.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "spiral/render/painter.h"

// Counts C++ heap allocations, to check that steps allocate nothing. (GCC cannot see that the
// replaced operator new allocates with malloc, hence the pragma.)
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace spiral::render {
namespace {

// Default settings: canvas 64, grid 32 (a cell is 2 px), sizes {1, 2, 4, 8, 12, 24}, 10
// pressures. Commands below are {flag, end, control, size, pressure[, red, green, blue]}.
constexpr int kGrid = 32;

int cell(int row, int col) { return row * kGrid + col; }

float value(const Observation& o, int x, int y, int c = 0) {
  return o.canvas[(static_cast<size_t>(y) * o.width + x) * o.channels + c];
}

// Sum over the canvas of (1 - value): how much ink there is.
double ink(const Observation& o) {
  double sum = 0;
  for (float v : o.canvas) sum += 1 - v;
  return sum;
}

int count_below(const Observation& o, float threshold) {
  return static_cast<int>(
      std::count_if(o.canvas.begin(), o.canvas.end(), [&](float v) { return v < threshold; }));
}

struct Point {
  double x, y;
};

Point bezier(Point p0, Point c, Point p1, double t) {
  const double u = 1 - t;
  return {u * u * p0.x + 2 * u * t * c.x + t * t * p1.x,
          u * u * p0.y + 2 * u * t * c.y + t * t * p1.y};
}

// The observation after `commands`, from reset(seed).
Observation run(const PainterSettings& settings, const std::vector<Command>& commands,
                uint64_t seed = 0) {
  Painter painter(settings);
  Observation observation = painter.reset(seed);
  for (const Command& command : commands) observation = painter.step(command);
  return observation;
}

Image render(const PainterSettings& settings, const std::vector<Command>& commands,
             uint64_t seed = 0) {
  Painter painter(settings);
  painter.reset(seed);
  for (const Command& command : commands) painter.step(command);
  return painter.canvas();
}

// Mean and 99th percentile of |a - b| over all pixels, on [0, 1].
struct Difference {
  double mean = 0, p99 = 0;
};
Difference difference(const Image& a, const Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  std::vector<double> d(a.pixels.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = std::abs(a.pixels[i] - b.pixels[i]) / 255.0;
  Difference result;
  for (double v : d) result.mean += v / d.size();
  std::sort(d.begin(), d.end());
  result.p99 = d[d.size() * 99 / 100];
  return result;
}

// A program of thin and medium strokes over the whole canvas.
std::vector<Command> sample_program() {
  return {{0, cell(4, 4), 0, 1, 4},
          {1, cell(6, 28), cell(0, 16), 1, 6},
          {1, cell(26, 26), cell(14, 30), 2, 3},
          {0, cell(28, 4), 0, 0, 0},
          {1, cell(12, 8), cell(24, 16), 0, 8},
          {1, cell(16, 20), cell(8, 14), 3, 2},
          {0, cell(30, 30), 0, 0, 0},
          {1, cell(20, 30), cell(30, 20), 1, 9}};
}

TEST(PainterSpec, GrayPartsInOrder) {
  const ActionSpec spec = painter_action_spec(PainterSettings{});
  EXPECT_EQ(spec.describe(), "flag:2 end:1024 control:1024 size:6 pressure:10");
}

TEST(PainterSpec, RgbAddsColourParts) {
  PainterSettings settings;
  settings.rgb = true;
  settings.grid = 16;
  settings.color_levels = 5;
  EXPECT_EQ(painter_action_spec(settings).describe(),
            "flag:2 end:256 control:256 size:6 pressure:10 red:5 green:5 blue:5");
}

TEST(PainterSpec, SingleBrushSizeDropsSizePart) {
  PainterSettings settings;
  settings.brush_sizes = {4};
  settings.pressure_levels = 3;
  EXPECT_EQ(painter_action_spec(settings).describe(), "flag:2 end:1024 control:1024 pressure:3");
  Painter painter(settings);
  EXPECT_EQ(painter.action_spec(), painter_action_spec(settings));
  const Observation& o = painter.step({1, cell(10, 10), cell(0, 10), 2});
  EXPECT_GT(ink(o), 10);
}

TEST(PainterSpec, DecodeMapsCellsToPixelsAndLevelsToValues) {
  // Grid 10 on a 128 px canvas: cell (row, col) is (128 * col / 10, 128 * row / 10).
  PainterSettings settings;
  settings.rgb = true;
  settings.grid = 10;
  settings.canvas = 128;
  const PainterAction a =
      decode_painter_command(settings, {1, 3 * 10 + 7, 9 * 10 + 0, 2, 0, 19, 0, 10});
  EXPECT_TRUE(a.paint);
  EXPECT_DOUBLE_EQ(a.end_x, 128 * 7 / 10.0);
  EXPECT_DOUBLE_EQ(a.end_y, 128 * 3 / 10.0);
  EXPECT_DOUBLE_EQ(a.control_x, 0);
  EXPECT_DOUBLE_EQ(a.control_y, 128 * 9 / 10.0);
  EXPECT_DOUBLE_EQ(a.radius, 8);  // size 4 px of a 64 px canvas, doubled
  EXPECT_DOUBLE_EQ(a.pressure, 0.1);
  EXPECT_DOUBLE_EQ(a.red, 1);
  EXPECT_DOUBLE_EQ(a.blue, 10 / 19.0);
  EXPECT_NEAR(a.hue, 1 - (10 / 19.0) / 6, 1e-12);  // magenta side of red
  EXPECT_DOUBLE_EQ(a.saturation, 1);
  EXPECT_DOUBLE_EQ(a.value, 1);
  const PainterAction b = decode_painter_command(settings, {0, 0, 0, 0, 9, 0, 0, 0});
  EXPECT_FALSE(b.paint);
  EXPECT_DOUBLE_EQ(b.pressure, 1);
}

TEST(Painter, GrayHasOneChannelRgbThreeAllWhiteAfterReset) {
  PainterSettings settings;
  Painter gray(settings);
  settings.rgb = true;
  Painter rgb(settings);
  for (Painter* painter : {&gray, &rgb}) {
    const Observation& o = painter->reset(7);
    const int channels = painter == &gray ? 1 : 3;
    EXPECT_EQ(o.channels, channels);
    EXPECT_EQ(o.height, 64);
    EXPECT_EQ(o.width, 64);
    ASSERT_EQ(o.canvas.size(), 64u * 64u * channels);
    EXPECT_TRUE(std::all_of(o.canvas.begin(), o.canvas.end(), [](float v) { return v == 1; }));
    EXPECT_EQ(o.step, 0);
    EXPECT_FALSE(o.done);
    EXPECT_EQ(o.mask, PartMask(painter->action_spec().size(), 0));
    const Image image = painter->canvas();
    EXPECT_EQ(image.channels, channels);
    EXPECT_TRUE(
        std::all_of(image.pixels.begin(), image.pixels.end(), [](uint8_t v) { return v == 255; }));
  }
}

TEST(Painter, PaintDarkensAlongItsCurveOnly) {
  // From (8, 8) through (56, 8) to (56, 56): radius 2 px, pressure 0.5.
  const Point start{8, 8}, control{56, 8}, end{56, 56};
  const Observation o =
      run(PainterSettings{}, {{0, cell(4, 4), 0, 0, 0}, {1, cell(28, 28), cell(4, 28), 1, 4}});
  for (int k = 1; k <= 9; ++k) {
    const Point p = bezier(start, control, end, k / 10.0);
    EXPECT_LT(value(o, static_cast<int>(p.x), static_cast<int>(p.y)), 0.8f)
        << "no ink at t=" << k / 10.0 << " (" << p.x << ", " << p.y << ")";
  }
  int far = 0;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      double nearest = 1e9;
      for (int k = 0; k <= 200; ++k) {
        const Point p = bezier(start, control, end, k / 200.0);
        nearest = std::min(nearest, std::hypot(x + 0.5 - p.x, y + 0.5 - p.y));
      }
      if (nearest < 12) continue;
      ++far;
      EXPECT_EQ(value(o, x, y), 1.0f) << "ink at (" << x << ", " << y << "), far from the curve";
    }
  }
  EXPECT_GT(far, 1500);
}

TEST(Painter, JumpPaintsNothingButMovesThePen) {
  Painter painter(PainterSettings{});
  // Jump to x = 40, y = 16 (row 8, column 20).
  const Observation& o = painter.step({0, cell(8, 20), cell(30, 2), 5, 9});
  EXPECT_TRUE(std::all_of(o.canvas.begin(), o.canvas.end(), [](float v) { return v == 1; }));
  EXPECT_EQ(o.step, 1);
  // A straight stroke from the pen to x = 56, y = 16.
  painter.step({1, cell(8, 28), cell(8, 24), 1, 4});
  EXPECT_LT(value(o, 44, 16), 0.8f);
  EXPECT_LT(value(o, 48, 16), 0.8f);
  EXPECT_LT(value(o, 52, 16), 0.8f);
  // No ink near where the stroke would start had the pen stayed at (0, 0), or had its x and y
  // been swapped to (16, 40).
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      if (std::hypot(x, y) < 10 || std::hypot(x - 16, y - 40) < 10 || x < 30) {
        EXPECT_EQ(value(o, x, y), 1.0f) << "ink at (" << x << ", " << y << ")";
      }
    }
  }
}

TEST(Painter, BiggerSizeGivesWiderStroke) {
  std::vector<int> inked;
  for (int size : {0, 2, 4}) {
    const Observation o =
        run(PainterSettings{}, {{0, cell(8, 4), 0, 0, 0}, {1, cell(8, 28), cell(8, 16), size, 4}});
    inked.push_back(count_below(o, 0.9f));
  }
  EXPECT_LT(inked[0] * 1.5, inked[1]);
  EXPECT_LT(inked[1] * 1.5, inked[2]);
}

TEST(Painter, HigherPressureGivesMoreInk) {
  const Observation light =
      run(PainterSettings{}, {{0, cell(16, 4), 0, 0, 0}, {1, cell(16, 28), cell(16, 16), 2, 0}});
  const Observation heavy =
      run(PainterSettings{}, {{0, cell(16, 4), 0, 0, 0}, {1, cell(16, 28), cell(16, 16), 2, 9}});
  EXPECT_GT(ink(heavy), 2 * ink(light));
  EXPECT_LT(value(heavy, 32, 32), value(light, 32, 32));
}

// Ink of `o` in columns [x0, x1), rows [0, 24).
double ink_in_columns(const Observation& o, int x0, int x1) {
  double sum = 0;
  for (int y = 0; y < 24; ++y) {
    for (int x = x0; x < x1; ++x) sum += 1 - value(o, x, y);
  }
  return sum;
}

TEST(Painter, PressureRampsFromThePreviousPaint) {
  // Up the right edge at pressure 1, then left along y = 8 with pressure 0.1: the second stroke
  // starts at pressure 1 and fades, so it leaves more ink early (x 30..40) than late (x 10..20).
  // After a jump the same stroke has even pressure 0.1 and no such difference.
  const Command up = {1, cell(4, 28), cell(16, 28), 1, 9};
  const Command left = {1, cell(4, 4), cell(4, 16), 1, 0};
  const Observation ramp = run(PainterSettings{}, {{0, cell(28, 28), 0, 0, 0}, up, left});
  EXPECT_GT(ink_in_columns(ramp, 30, 40), 1.5 * ink_in_columns(ramp, 10, 20));
  const Observation even =
      run(PainterSettings{}, {{0, cell(28, 28), 0, 0, 0}, up, {0, cell(4, 28), 0, 0, 0}, left});
  EXPECT_LT(ink_in_columns(even, 30, 40), 1.3 * ink_in_columns(even, 10, 20));
  EXPECT_GT(ink_in_columns(ramp, 30, 40), 1.5 * ink_in_columns(even, 30, 40));
}

TEST(Painter, RgbColoursComeOutWithinTolerance) {
  // A thick stroke there and back; its centre pixel within 0.05 of the requested colour.
  PainterSettings settings;
  settings.rgb = true;
  struct Case {
    int red, green, blue;
  };
  for (const Case& c : {Case{19, 0, 0}, Case{19, 10, 0}, Case{0, 5, 19}, Case{0, 0, 0}}) {
    const Observation o =
        run(settings, {{0, cell(16, 4), 0, 0, 0, 0, 0, 0},
                       {1, cell(16, 28), cell(16, 16), 4, 5, c.red, c.green, c.blue},
                       {1, cell(16, 4), cell(16, 16), 4, 5, c.red, c.green, c.blue}});
    const int levels[3] = {c.red, c.green, c.blue};
    for (int ch = 0; ch < 3; ++ch) {
      EXPECT_NEAR(value(o, 32, 32, ch), levels[ch] / 19.0, 0.05)
          << "channel " << ch << " of colour " << c.red << "," << c.green << "," << c.blue;
    }
  }
}

TEST(Painter, MaskAfterPaintIsAllPartsAfterJumpFlagAndEnd) {
  PainterSettings settings;
  settings.rgb = true;
  Painter painter(settings);
  const Command jump = {0, 5, 6, 1, 2, 3, 4, 5};
  const Command paint = {1, 5, 6, 1, 2, 3, 4, 5};
  EXPECT_EQ(painter.mask(jump), PartMask({1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(painter.mask(paint), PartMask(8, 1));
  EXPECT_EQ(painter.step(paint).mask, PartMask(8, 1));
  EXPECT_EQ(painter.step(jump).mask, PartMask({1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(painter.reset(1).mask, PartMask(8, 0));
}

TEST(Painter, SameSeedAndCommandsGiveIdenticalPixels) {
  Painter a(PainterSettings{});
  Painter b(PainterSettings{});
  const std::vector<Command> program = sample_program();
  b.reset(3);
  for (const Command& command : program) b.step(command);  // a used painter must not matter
  for (uint64_t seed : {3u, 12345u}) {
    a.reset(seed);
    b.reset(seed);
    for (const Command& command : program) {
      a.step(command);
      b.step(command);
    }
    EXPECT_EQ(a.canvas().pixels, b.canvas().pixels) << "seed " << seed;
  }
}

TEST(Painter, SeedSelectsTheJitterModulo256) {
  const std::vector<Command> program = sample_program();
  const Image seed1 = render(PainterSettings{}, program, 1);
  EXPECT_NE(seed1.pixels, render(PainterSettings{}, program, 2).pixels);
  EXPECT_EQ(seed1.pixels, render(PainterSettings{}, program, 1 + kPainterJitterStreams).pixels);
}

TEST(Painter, SupersampledRenderAgreesWithPlainAfterShrinking) {
  // Tolerance: mean |difference| 0.03 and 99% of pixels within 0.25 (strokes 2 to 16 px wide
  // differ at their edges), while the same program painted with another seed (other jitter)
  // differs by twice the mean at least. Supersample 3 has blocks that straddle tiles.
  const Image plain = render(PainterSettings{}, sample_program(), 5);
  const double other_seed = difference(plain, render(PainterSettings{}, sample_program(), 6)).mean;
  for (int supersample : {2, 3}) {
    PainterSettings settings;
    settings.supersample = supersample;
    const Observation o = run(settings, sample_program(), 5);
    EXPECT_EQ(o.height, 64);
    EXPECT_EQ(o.width, 64);
    const Difference d = difference(plain, render(settings, sample_program(), 5));
    EXPECT_LT(d.mean, 0.03) << "supersample " << supersample;
    EXPECT_LT(d.p99, 0.25) << "supersample " << supersample;
    EXPECT_GT(other_seed, 2 * d.mean) << "supersample " << supersample;
  }
}

TEST(Painter, ReplayAt256MatchesCanvas64AtFourTimesTheScale) {
  // The same commands at canvas 256, shrunk to 64 with resize_area: tolerance as above.
  PainterSettings big;
  big.canvas = 256;
  const Image small = render(PainterSettings{}, sample_program(), 5);
  const Image large = render(big, sample_program(), 5);
  ASSERT_EQ(large.width, 256);
  const Difference d = difference(small, resize_area(large, 64, 64));
  EXPECT_LT(d.mean, 0.03);
  EXPECT_LT(d.p99, 0.25);
  EXPECT_GT(difference(small, render(PainterSettings{}, sample_program(), 6)).mean, 2 * d.mean);
}

// The message of the UserError that `f` throws ("" if none).
template <typename F>
std::string user_error(F f) {
  try {
    f();
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

TEST(Painter, BadSettingsAreUserErrors) {
  std::vector<std::string> messages;
  auto error_for = [&](auto change) {
    PainterSettings settings;
    change(settings);
    messages.push_back(user_error([&] { Painter painter(settings); }));
    return messages.back();
  };
  std::string message = error_for([](PainterSettings& s) { s.brush = "no/such_brush"; });
  EXPECT_NE(message.find("brush 'no/such_brush' not found in brushes folder"), std::string::npos)
      << message;
  EXPECT_NE(message.find("no/such_brush.myb"), std::string::npos) << message;
  message = error_for([](PainterSettings& s) { s.brushes_dir = "/no/such/folder"; });
  EXPECT_NE(message.find("'/no/such/folder'"), std::string::npos) << message;
  message = error_for([](PainterSettings& s) { s.canvas = 100; });
  EXPECT_NE(message.find("canvas is 100, expected a positive multiple of 64"), std::string::npos)
      << message;
  message = error_for([](PainterSettings& s) { s.grid = 1; });
  EXPECT_NE(message.find("grid is 1"), std::string::npos) << message;
  message = error_for([](PainterSettings& s) { s.supersample = 9; });
  EXPECT_NE(message.find("supersample is 9, expected 1 to 8"), std::string::npos) << message;
  message = error_for([](PainterSettings& s) { s.brush_sizes = {2, -1}; });
  EXPECT_NE(message.find("brush size is -1"), std::string::npos) << message;
  message = error_for([](PainterSettings& s) { s.pressure_levels = 0; });
  EXPECT_NE(message.find("pressure_levels is 0"), std::string::npos) << message;
  for (const std::string& m : messages) EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  PainterSettings settings;
  settings.brush_sizes = {};
  EXPECT_NE(user_error([&] { painter_svg(settings, {}); }).find("brush_sizes is empty"),
            std::string::npos);
}

TEST(Painter, UnparsableBrushFileIsAUserError) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "spiral_painter_test_brushes";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "broken.myb") << "this is not json";
  PainterSettings settings;
  settings.brushes_dir = dir.string();
  settings.brush = "broken";
  const std::string message = user_error([&] { Painter painter(settings); });
  std::filesystem::remove_all(dir);
  EXPECT_NE(message.find("broken.myb is not a MyPaint brush"), std::string::npos) << message;
}

TEST(Painter, BadCommandsAreUserErrors) {
  Painter painter(PainterSettings{});
  std::string message = user_error([&] { painter.step({1, 1024, 0, 0, 0}); });
  EXPECT_NE(message.find("'end' is 1024, expected 0 to 1023"), std::string::npos) << message;
  message = user_error([&] { painter.step({1, 0, 0, 0, 10}); });
  EXPECT_NE(message.find("'pressure' is 10"), std::string::npos) << message;
  message = user_error([&] { painter.step({1, 0, 0}); });
  EXPECT_NE(message.find("3 values, expected 5"), std::string::npos) << message;
  message = user_error([&] { painter.mask({2, 0, 0, 0, 0}); });
  EXPECT_NE(message.find("'flag' is 2"), std::string::npos) << message;
  EXPECT_EQ(painter.step({1, 0, 0, 0, 0}).step, 1);  // a bad command changes nothing
}

TEST(Painter, StepAfterDoneIsALogicError) {
  PainterSettings settings;
  settings.episode_length = 2;
  Painter painter(settings);
  EXPECT_EQ(painter.episode_length(), 2);
  EXPECT_FALSE(painter.step({1, 40, 3, 1, 1}).done);
  EXPECT_TRUE(painter.step({0, 40, 3, 1, 1}).done);
  EXPECT_THROW(painter.step({1, 40, 3, 1, 1}), std::logic_error);
  EXPECT_FALSE(painter.reset(0).done);
  EXPECT_EQ(painter.step({1, 40, 3, 1, 1}).step, 1);
}

TEST(Painter, StepsAllocateNothing) {
  Painter painter(PainterSettings{});
  const std::vector<Command> program = sample_program();
  for (const Command& command : program) painter.step(command);
  painter.reset(1);
  const long before = g_allocations.load();
  for (const Command& command : program) painter.step(command);
  EXPECT_EQ(g_allocations.load(), before);
}

TEST(PainterSvg, OnePathPerPaintStrokeWithItsCoordinates) {
  const std::vector<Command> program = {
      {0, cell(2, 3), 0, 0, 0},               // jump to (6, 4)
      {1, cell(10, 20), cell(2, 20), 2, 9},   // (6, 4) via (40, 4) to (40, 20), radius 4
      {1, cell(30, 30), cell(20, 10), 0, 0},  // on to (60, 60) via (20, 40), radius 1
      {0, cell(0, 0), 0, 0, 0}};
  const std::string svg = painter_svg(PainterSettings{}, program);
  size_t paths = 0;
  for (size_t at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1)) {
    ++paths;
  }
  EXPECT_EQ(paths, 2u) << svg;
  EXPECT_NE(svg.find("viewBox=\"0 0 64 64\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<rect x=\"0\" y=\"0\" width=\"64\" height=\"64\" fill=\"#ffffff\"/>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("d=\"M 6 4 Q 40 4 40 20\" fill=\"none\" stroke=\"#000000\" "
                     "stroke-opacity=\"1\" stroke-width=\"8\""),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("d=\"M 40 20 Q 20 40 60 60\" fill=\"none\" stroke=\"#000000\" "
                     "stroke-opacity=\"0.1\" stroke-width=\"2\""),
            std::string::npos)
      << svg;
  EXPECT_TRUE(user_error([&] { painter_svg(PainterSettings{}, {{1, 0, 0}}); }).size() > 0);
}

TEST(PainterSvg, RgbStrokeColourAndCanvasScale) {
  PainterSettings settings;
  settings.rgb = true;
  settings.canvas = 128;
  const std::string svg = painter_svg(settings, {{1, cell(16, 16), cell(0, 0), 5, 4, 19, 0, 10}});
  EXPECT_NE(svg.find("d=\"M 0 0 Q 0 0 64 64\" fill=\"none\" stroke=\"#ff0086\" "
                     "stroke-opacity=\"0.5\" stroke-width=\"96\""),
            std::string::npos)
      << svg;
}

TEST(PainterBench, BareLoopPaintsTheSamePixels) {
  // Not a timing test: bench_painter throws if its bare loop and the painter disagree.
  PainterSettings settings;
  settings.episode_length = 5;
  const PainterBenchResult result = bench_painter(settings, 4, 9);
  EXPECT_EQ(result.steps, 20);
  EXPECT_GT(result.env_steps_per_second, 0);
  EXPECT_GT(result.ratio, 0);
}

}  // namespace
}  // namespace spiral::render
