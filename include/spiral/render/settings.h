// Settings of the two environments, shared by the renderers, programs and the CLI.
#pragma once

#include <string>
#include <vector>

namespace spiral::render {

// The libmypaint painter (SPIRAL.md, "Painting environment").
struct PainterSettings {
  int canvas = 64;                          // canvas side in pixels (a multiple of 64)
  int grid = 32;                            // side of the grid of stroke end and control points
  bool rgb = false;                         // RGB canvas with red/green/blue parts; else grayscale
  std::string brush = "classic/dry_brush";  // brush name under the brushes folder
  std::string brushes_dir;                  // "" : $MYPAINT_BRUSHES_DIR, else the build's default
  std::vector<double> brush_sizes = {1, 2, 4, 8, 12, 24};  // radii in pixels of a 64 px canvas
  int pressure_levels = 10;  // pressure values linspace(0.1, 1.0, levels)
  int color_levels = 20;     // values per colour channel, linspace(0, 1, levels)
  int episode_length = 19;   // commands per episode
  int supersample = 1;       // paint at supersample x canvas, shrink with an area filter
};

// The MuJoCo scene builder (SPIRAL.md, "3D scene environment").
struct SceneSettings {
  int image_size = 64;      // rendered image side in pixels
  int grid = 16;            // side of the floor grid of object positions
  int max_objects = 5;      // objects a scene can hold; further adds are ignored
  int size_levels = 3;      // object sizes
  int color_levels = 4;     // bins per RGB channel
  int episode_length = 20;  // commands per episode
  // Commands may skip (the paper). Without skip every command adds an object or modifies the
  // last one, so that an episode cannot end on the empty floor by doing nothing.
  bool skip = true;
  std::string gl = "auto";  // OpenGL backend: auto (EGL, else OSMesa), egl, osmesa
};

// Which environment, with its settings.
struct EnvironmentSettings {
  enum class Kind { kPainter, kScene };
  Kind kind = Kind::kPainter;
  PainterSettings painter;
  SceneSettings scene;
};

}  // namespace spiral::render
