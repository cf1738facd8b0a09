// The libmypaint painting environment (SPIRAL.md, "Painting environment"), its SVG export and
// its benchmark.
//
// Semantics, in canvas pixels (x right, y down); everything is painted at supersample x canvas and
// scaled by that factor:
// - Grid cell (row, col), location index row * grid + col, is the point
//   (canvas * col / grid, canvas * row / grid). The pen starts at (0, 0), lifted.
// - Paint (flag 1): size and colour take effect at once (radius setting log(size * canvas *
//   supersample / 64); colour given to the brush as HSV; grayscale paints black). The pen follows
//   the quadratic Bezier from its position through `control` to `end`, sampled at 51 points,
//   through 50 stroke_to calls of dtime 0.1. Pressure goes linearly from the start pressure to the
//   command's pressure. Start pressure: the previous command's pressure when the previous command
//   was a paint (the stroke goes on); the command's own pressure when the pen was lifted (after a
//   reset or a jump), so a new stroke starts with even pressure instead of fading in from 0.
// - Jump (flag 0): the brush is reset, a new stroke starts and the pen moves to `end` with
//   pressure 0 (nothing is painted). The pen's x and y are exactly `end` (DeepMind's release swaps
//   them; we do not).
// - Motion is given to libmypaint with viewzoom 64 / (canvas * supersample), so its speed
//   dynamics see the same speeds at every resolution and a program renders alike at any size.
//   Colours mix in plain RGB (the brush's paint_mode, spectral "pigment" mixing, is set to 0).
// - The observation is the canvas shrunk from supersample x canvas with an area filter; gray is
//   the Rec. 601 luma of the painted RGB.
//
// Randomness: libmypaint's brush jitters its dabs with an RNG that mypaint_brush_new() always
// seeds with 1000 and that no API can reseed. reset(seed) therefore builds a fresh brush from the
// brush file and skips `seed % kPainterJitterStreams` draws of its RNG (each skip is a brush reset
// followed by one stroke_to, which draws exactly one number and paints nothing). So the same seed
// and commands always give identical pixels; seeds that differ modulo kPainterJitterStreams give
// different jitter (different pixels for any stroke with jitter); seeds equal modulo it are the
// same episode.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/render/action_spec.h"
#include "spiral/render/environment.h"
#include "spiral/render/settings.h"

namespace spiral::render {

// Number of distinct brush jitter sequences that reset(seed) selects from (seed % this).
inline constexpr uint64_t kPainterJitterStreams = 256;

// The painter's command parts: flag, end, control, [size], pressure, [red, green, blue]. Throws
// UserError for a grid out of range and std::invalid_argument for a part without values.
ActionSpec painter_action_spec(const PainterSettings& settings);

// Throws UserError naming the first of `settings`' numbers that is out of range.
void check_painter_settings(const PainterSettings& settings);

// Checks `settings` and returns the text of its brush file. Throws UserError naming the first
// setting out of range, or the brush that is missing from its folder or does not parse.
std::string load_painter_brush(const PainterSettings& settings);

// One command decoded with the painter's settings: what the pen does, in canvas pixels.
struct PainterAction {
  bool paint = false;  // true: a Bezier stroke to `end`; false: a jump to `end`
  double end_x = 0, end_y = 0;
  double control_x = 0, control_y = 0;
  double radius = 0;                    // brush radius: the chosen brush size scaled by canvas / 64
  double pressure = 0;                  // linspace(0.1, 1, pressure_levels)
  double red = 0, green = 0, blue = 0;  // ink in [0, 1]; black when grayscale
  double hue = 0, saturation = 0, value = 0;  // the same ink as HSV, each in [0, 1]
};

// Decodes `command`, which must pass painter_action_spec(settings).check(). No allocation.
PainterAction decode_painter_command(const PainterSettings& settings, const Command& command);

// The libmypaint painter: a white canvas painted with quadratic Bezier brush strokes.
class Painter : public Environment {
 public:
  // Validates `settings` (UserError) and loads the brush; the painter starts as after reset(0).
  explicit Painter(const PainterSettings& settings);
  ~Painter() override;
  Painter(const Painter&) = delete;
  Painter& operator=(const Painter&) = delete;

  const ActionSpec& action_spec() const override;
  int episode_length() const override;
  const Observation& reset(uint64_t seed) override;
  const Observation& step(const Command& command) override;
  PartMask mask(const Command& command) const override;
  Image canvas() const override;

  // The settings this painter was built with.
  const PainterSettings& settings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An SVG picture of a program: a white rect, then one quadratic Bezier path
// ("M x0 y0 Q cx cy x y", canvas pixels) per paint command, with stroke-width twice the brush
// radius, the command's colour, and stroke-opacity equal to the command's pressure. viewBox
// "0 0 canvas canvas". Throws UserError for invalid settings or an invalid command.
std::string painter_svg(const PainterSettings& settings, const std::vector<Command>& commands);

// Throughput of the painter against a bare loop of the same libmypaint calls.
struct PainterBenchResult {
  double env_steps_per_second = 0;   // Painter::step, resets included, per core
  double bare_steps_per_second = 0;  // the bare loop on the same commands
  double ratio = 0;                  // Painter time / bare loop time (1.0 = no overhead)
  int steps = 0;                     // steps timed in each of the two
};

// Times the Painter and a bare loop of the same libmypaint calls (same brush, same stroke_to
// sequence, one read-back of the touched tiles per step) on `episodes` episodes of
// settings.episode_length random commands drawn from `seed` (uniform over every part), the two
// alternating episode by episode on this thread, timed by this thread's CPU clock so that other
// processes on the machine do not count. Throws logic_error if the two paint different pixels
// (checked when supersample is 1).
PainterBenchResult bench_painter(const PainterSettings& settings, int episodes, uint64_t seed);

}  // namespace spiral::render
