// The painter's command layout, settings checks, brush loading and command decoding.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "spiral/build_info.h"
#include "spiral/core/errors.h"
#include "spiral/render/painter.h"

extern "C" {
#include <mypaint-brush.h>
}

namespace spiral::render {
namespace {

constexpr int kMaxCanvas = 8192;
constexpr int kMaxSurface = 16384;  // canvas * supersample: 2 GiB of tiles
constexpr int kMaxGrid = 1024;
constexpr int kMaxSupersample = 8;

void require(bool ok, const std::string& what, const std::string& value,
             const std::string& expected) {
  if (!ok) throw UserError("painter " + what + " is " + value + ", expected " + expected);
}

std::string brushes_dir(const PainterSettings& settings) {
  if (!settings.brushes_dir.empty()) return settings.brushes_dir;
  const char* env = std::getenv("MYPAINT_BRUSHES_DIR");
  if (env != nullptr && *env != '\0') return env;
  return SPIRAL_BRUSHES_DIR;
}

// Parses `text` with libmypaint; true when it is a brush it can use.
bool brush_parses(const std::string& text) {
  std::unique_ptr<MyPaintBrush, decltype(&mypaint_brush_unref)> brush(mypaint_brush_new(),
                                                                      &mypaint_brush_unref);
  return brush && mypaint_brush_from_string(brush.get(), text.c_str());
}

// linspace(low, high, levels)[index], numpy's convention (one level is `low`).
double level(double low, double high, int levels, int index) {
  return levels > 1 ? low + (high - low) * index / (levels - 1) : low;
}

void rgb_to_hsv(double r, double g, double b, double* h, double* s, double* v) {
  const double max = std::max({r, g, b});
  const double min = std::min({r, g, b});
  const double delta = max - min;
  *v = max;
  *s = max > 0 ? delta / max : 0;
  if (delta <= 0) {
    *h = 0;
    return;
  }
  double hue;
  if (max == r) {
    hue = (g - b) / delta;
  } else if (max == g) {
    hue = 2 + (b - r) / delta;
  } else {
    hue = 4 + (r - g) / delta;
  }
  hue /= 6;
  *h = hue < 0 ? hue + 1 : hue;
}

}  // namespace

ActionSpec painter_action_spec(const PainterSettings& settings) {
  // Settings read from a file may not have been checked yet; grid * grid must not overflow.
  require(settings.grid >= 2 && settings.grid <= kMaxGrid, "grid", std::to_string(settings.grid),
          "2 to " + std::to_string(kMaxGrid));
  const int locations = settings.grid * settings.grid;
  std::vector<ActionPart> parts = {{"flag", 2}, {"end", locations}, {"control", locations}};
  if (settings.brush_sizes.size() > 1) {
    parts.push_back({"size", static_cast<int>(settings.brush_sizes.size())});
  }
  parts.push_back({"pressure", settings.pressure_levels});
  if (settings.rgb) {
    for (const char* name : {"red", "green", "blue"})
      parts.push_back({name, settings.color_levels});
  }
  return ActionSpec(std::move(parts));
}

void check_painter_settings(const PainterSettings& settings) {
  const PainterSettings& s = settings;
  require(s.canvas > 0 && s.canvas % 64 == 0 && s.canvas <= kMaxCanvas, "canvas",
          std::to_string(s.canvas),
          "a positive multiple of 64 up to " + std::to_string(kMaxCanvas));
  require(s.grid >= 2 && s.grid <= kMaxGrid, "grid", std::to_string(s.grid),
          "2 to " + std::to_string(kMaxGrid));
  require(s.supersample >= 1 && s.supersample <= kMaxSupersample, "supersample",
          std::to_string(s.supersample), "1 to " + std::to_string(kMaxSupersample));
  require(s.canvas * s.supersample <= kMaxSurface, "canvas x supersample",
          std::to_string(s.canvas * s.supersample), "at most " + std::to_string(kMaxSurface));
  require(!s.brush_sizes.empty(), "brush_sizes", "empty", "at least one radius in pixels");
  for (double size : s.brush_sizes) {
    std::ostringstream text;
    text << size;
    require(std::isfinite(size) && size > 0 && size <= 64, "brush size", text.str(),
            "a radius in pixels above 0 and at most 64");
  }
  require(s.pressure_levels >= 1, "pressure_levels", std::to_string(s.pressure_levels),
          "at least 1");
  require(!s.rgb || s.color_levels >= 1, "color_levels", std::to_string(s.color_levels),
          "at least 1");
  require(s.episode_length >= 1, "episode_length", std::to_string(s.episode_length), "at least 1");
  require(!s.brush.empty(), "brush", "empty", "a brush name such as classic/dry_brush");
}

std::string load_painter_brush(const PainterSettings& settings) {
  check_painter_settings(settings);
  const PainterSettings& s = settings;

  const std::string dir = brushes_dir(s);
  const std::string path = (std::filesystem::path(dir) / (s.brush + ".myb")).string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw UserError("brush '" + s.brush + "' not found in brushes folder '" + dir +
                    "': expected the file " + path);
  }
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file || !brush_parses(text.str())) {
    throw UserError("brush file " + path +
                    " is not a MyPaint brush: expected JSON with \"version\": 3 and \"settings\"");
  }
  return text.str();
}

PainterAction decode_painter_command(const PainterSettings& settings, const Command& command) {
  const double canvas = settings.canvas;
  const int grid = settings.grid;
  PainterAction action;
  action.paint = command[0] == 1;
  action.end_x = canvas * (command[1] % grid) / grid;
  action.end_y = canvas * (command[1] / grid) / grid;
  action.control_x = canvas * (command[2] % grid) / grid;
  action.control_y = canvas * (command[2] / grid) / grid;
  size_t part = 3;
  const int size = settings.brush_sizes.size() > 1 ? command[part++] : 0;
  action.radius = settings.brush_sizes[size] * canvas / 64;
  action.pressure = level(0.1, 1.0, settings.pressure_levels, command[part++]);
  if (settings.rgb) {
    action.red = level(0, 1, settings.color_levels, command[part]);
    action.green = level(0, 1, settings.color_levels, command[part + 1]);
    action.blue = level(0, 1, settings.color_levels, command[part + 2]);
  }
  rgb_to_hsv(action.red, action.green, action.blue, &action.hue, &action.saturation, &action.value);
  return action;
}

}  // namespace spiral::render
