#include "spiral/render/options.h"

#include <cstdlib>

#include "spiral/core/errors.h"
#include "spiral/core/option_lists.h"

namespace spiral::render {
namespace {

std::vector<double> parse_sizes(const std::string& text) {
  std::vector<double> sizes;
  for (const std::string& item : split(text, ',')) {
    char* end = nullptr;
    const double size = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(size > 0 && size <= 1000)) {
      throw UserError("--brush-sizes: expected radii in (0, 1000] separated by commas, got '" +
                      text + "'");
    }
    sizes.push_back(size);
  }
  if (sizes.empty()) throw UserError("--brush-sizes: expected at least one radius");
  return sizes;
}

}  // namespace

OptionGroup environment_options() {
  return {
      "environment",
      {
          choice_option("env", "painter", {"painter", "scene"},
                        "Renderer: the libmypaint painter or the MuJoCo scene builder"),
          int_option("canvas", 64, 64, 4096, "px",
                     "Canvas (painter, a multiple of 64) or image (scene) side"),
          int_option("grid", 0, 0, 256, "cells",
                     "Side of the location grid (0: painter 32, scene 16)"),
          int_option("episode-length", 0, 0, 100000, "steps",
                     "Commands per episode (0: painter 19, scene 20)"),
          choice_option("color", "gray", {"gray", "rgb"}, "Painter canvas colours"),
          text_option("brush", "classic/dry_brush", "Painter brush, by mypaint-brushes name"),
          text_option("brush-sizes", "1,2,4,8,12,24",
                      "Painter brush radii in pixels of a 64 px canvas, comma separated"),
          int_option("pressure-levels", 10, 1, 1000, "levels", "Painter pressure values"),
          int_option("color-levels", 20, 1, 1000, "levels", "Painter values per colour channel"),
          int_option("supersample", 1, 1, 8, "x",
                     "Painter paints at this multiple of the canvas, then shrinks"),
          int_option("max-objects", 5, 1, 64, "objects", "Scene objects at most"),
          bool_option("scene-skip", true,
                      "Scene commands may skip (the paper); false: each adds or modifies an "
                      "object"),
          choice_option("gl", "auto", {"auto", "egl", "osmesa"},
                        "Scene OpenGL backend (auto: EGL, else OSMesa)"),
      }};
}

EnvironmentSettings environment_settings(const Config& config) {
  EnvironmentSettings settings;
  const int canvas = static_cast<int>(config.get_int("canvas"));
  const int grid = static_cast<int>(config.get_int("grid"));
  const int length = static_cast<int>(config.get_int("episode-length"));
  if (config.get_text("env") == "painter") {
    settings.kind = EnvironmentSettings::Kind::kPainter;
    PainterSettings& painter = settings.painter;
    if (canvas % 64 != 0) {
      throw UserError("--canvas: the painter's canvas must be a multiple of 64, got " +
                      std::to_string(canvas));
    }
    painter.canvas = canvas;
    if (grid != 0) painter.grid = grid;
    if (length != 0) painter.episode_length = length;
    painter.rgb = config.get_text("color") == "rgb";
    painter.brush = config.get_text("brush");
    painter.brush_sizes = parse_sizes(config.get_text("brush-sizes"));
    painter.pressure_levels = static_cast<int>(config.get_int("pressure-levels"));
    painter.color_levels = static_cast<int>(config.get_int("color-levels"));
    painter.supersample = static_cast<int>(config.get_int("supersample"));
  } else {
    settings.kind = EnvironmentSettings::Kind::kScene;
    SceneSettings& scene = settings.scene;
    scene.image_size = canvas;
    if (grid != 0) scene.grid = grid;
    if (length != 0) scene.episode_length = length;
    scene.max_objects = static_cast<int>(config.get_int("max-objects"));
    scene.skip = config.get_bool("scene-skip");
    scene.gl = config.get_text("gl");
  }
  return settings;
}

}  // namespace spiral::render
