// The libmypaint painter: brush strokes on a white tiled canvas, read back once per step.
#include "spiral/render/painter.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include <mypaint-brush.h>
#include <mypaint-tiled-surface.h>
}

namespace spiral::render {
namespace {

constexpr int kTile = MYPAINT_TILE_SIZE;            // tile side in pixels
constexpr int kTileValues = kTile * kTile * 4;      // premultiplied RGBA, 15-bit fixed point
constexpr uint16_t kOpaqueWhite = 1 << 15;          // 1.0 in libmypaint's fixed point
constexpr int kStrokeSegments = 50;                 // stroke_to calls per Bezier stroke
constexpr double kStrokeDtime = 0.1;                // seconds per stroke_to call
constexpr double kLuma[3] = {0.299, 0.587, 0.114};  // Rec. 601 gray from RGB

// Owns one reference to a libmypaint brush.
struct BrushUnref {
  void operator()(MyPaintBrush* brush) const { mypaint_brush_unref(brush); }
};
using BrushPtr = std::unique_ptr<MyPaintBrush, BrushUnref>;

// A fresh brush (its RNG seeded by libmypaint with its constant) with the settings in `text`,
// plain RGB mixing, and its per-dab setting values computed. libmypaint 1.6 reads those values
// (for the dab spacing) in its first state update before it has computed them, from
// uninitialised memory; a first stroke_to that paints no dab computes them. It is the call after
// the reset every new brush has pending, at the pen's position with pressure 0: no distance, no
// time-based dabs, no draw from the RNG beyond the reset's one.
BrushPtr new_brush(const std::string& text, MyPaintSurface2* surface, float viewzoom) {
  BrushPtr brush(mypaint_brush_new());
  if (!brush) throw std::bad_alloc();
  if (!mypaint_brush_from_string(brush.get(), text.c_str())) {
    throw std::logic_error("painter: the brush stopped parsing after it was checked");
  }
  mypaint_brush_set_base_value(brush.get(), MYPAINT_BRUSH_SETTING_PAINT_MODE, 0);
  for (int i = 0; i < 2; ++i) {
    mypaint_brush_stroke_to_2(brush.get(), surface, 0, 0, 0, 0, 0, kStrokeDtime, viewzoom, 0, 0);
  }
  return brush;
}

// A square libmypaint surface of 64 x 64 tiles in one buffer, opaque white where nothing was
// painted; it records which tiles the brush wrote to.
class TileCanvas {
 public:
  explicit TileCanvas(int side)
      : tiles_per_side_(side / kTile),
        values_(static_cast<size_t>(tiles_per_side_) * tiles_per_side_ * kTileValues, kOpaqueWhite),
        scratch_(kTileValues, kOpaqueWhite) {
    const size_t tiles = static_cast<size_t>(tiles_per_side_) * tiles_per_side_;
    written_.assign(tiles, 0);
    painted_.assign(tiles, 0);
    written_list_.reserve(tiles);
    painted_list_.reserve(tiles);
    mypaint_tiled_surface2_init(&c_.base, &TileCanvas::request_start, &TileCanvas::request_end);
    c_.owner = this;
  }
  ~TileCanvas() { mypaint_tiled_surface2_destroy(&c_.base); }
  TileCanvas(const TileCanvas&) = delete;
  TileCanvas& operator=(const TileCanvas&) = delete;

  MyPaintSurface2* surface() { return &c_.base.parent; }
  int tiles_per_side() const { return tiles_per_side_; }

  void begin_atomic() { mypaint_surface_begin_atomic(&c_.base.parent.parent); }
  // Renders the queued dabs into the tiles.
  void end_atomic() { mypaint_surface2_end_atomic(&c_.base.parent, nullptr); }

  // Tiles written since the last clear_written(), in first-write order.
  const std::vector<int>& written() const { return written_list_; }
  void clear_written() {
    for (int tile : written_list_) written_[tile] = 0;
    written_list_.clear();
  }

  // Paints every tile written since the last call white again.
  void clear_painted() {
    for (int tile : painted_list_) {
      std::fill_n(values_.begin() + static_cast<size_t>(tile) * kTileValues, kTileValues,
                  kOpaqueWhite);
      painted_[tile] = 0;
    }
    painted_list_.clear();
    clear_written();
  }

  // Channel `c` (0 red, 1 green, 2 blue) of pixel (x, y), in fixed point.
  uint16_t at(int x, int y, int c) const {
    const size_t tile = static_cast<size_t>(y / kTile) * tiles_per_side_ + x / kTile;
    return values_[tile * kTileValues + ((y % kTile) * kTile + x % kTile) * 4 + c];
  }
  const uint16_t* tile_values(int tile) const {
    return values_.data() + static_cast<size_t>(tile) * kTileValues;
  }

 private:
  // The libmypaint surface "subclass": the C struct first, so libmypaint's pointer is ours.
  struct CSurface {
    MyPaintTiledSurface2 base;
    TileCanvas* owner;
  };

  static void request_start(MyPaintTiledSurface2* base, MyPaintTileRequest* request) {
    reinterpret_cast<CSurface*>(base)->owner->start(request);
  }
  static void request_end(MyPaintTiledSurface2*, MyPaintTileRequest*) {}

  void start(MyPaintTileRequest* request) {
    const int tx = request->tx;
    const int ty = request->ty;
    if (tx < 0 || ty < 0 || tx >= tiles_per_side_ || ty >= tiles_per_side_) {
      request->buffer = scratch_.data();  // off the canvas: painted and never read
      return;
    }
    const int tile = ty * tiles_per_side_ + tx;
    request->buffer = values_.data() + static_cast<size_t>(tile) * kTileValues;
    if (!request->readonly) {
      if (!written_[tile]) {
        written_[tile] = 1;
        written_list_.push_back(tile);
      }
      if (!painted_[tile]) {
        painted_[tile] = 1;
        painted_list_.push_back(tile);
      }
    }
  }

  CSurface c_{};
  int tiles_per_side_;
  std::vector<uint16_t> values_;
  std::vector<uint16_t> scratch_;
  std::vector<uint8_t> written_, painted_;
  std::vector<int> written_list_, painted_list_;
};

}  // namespace

struct Painter::Impl {
  explicit Impl(const PainterSettings& s)
      : settings(s),
        brush_text(load_painter_brush(s)),
        spec(painter_action_spec(s)),
        scale(s.supersample),
        viewzoom(64.0 / (static_cast<double>(s.canvas) * s.supersample)),
        canvas(s.canvas * s.supersample) {
    observation.height = s.canvas;
    observation.width = s.canvas;
    observation.channels = s.rgb ? 3 : 1;
    observation.canvas.assign(static_cast<size_t>(s.canvas) * s.canvas * observation.channels,
                              1.0f);
    observation.mask.assign(spec.size(), 0);
  }

  // Sends the pen to (x, y) in canvas pixels: brush reset, new stroke, pressure 0.
  void jump(double x, double y) {
    MyPaintBrush* b = brush.get();
    const float px = static_cast<float>(x * scale);
    const float py = static_cast<float>(y * scale);
    mypaint_brush_reset(b);
    mypaint_brush_new_stroke(b);
    // The reset stroke_to slow-tracks from the old position before it resets; from the target
    // itself, the pen lands exactly on it.
    mypaint_brush_set_state(b, MYPAINT_BRUSH_STATE_X, px);
    mypaint_brush_set_state(b, MYPAINT_BRUSH_STATE_Y, py);
    mypaint_brush_stroke_to_2(b, canvas.surface(), px, py, 0, 0, 0, kStrokeDtime, viewzoom, 0, 0);
    pen_x = x;
    pen_y = y;
    pen_down = false;
  }

  void paint(const PainterAction& a) {
    MyPaintBrush* b = brush.get();
    mypaint_brush_set_base_value(b, MYPAINT_BRUSH_SETTING_RADIUS_LOGARITHMIC,
                                 static_cast<float>(std::log(a.radius * scale)));
    if (settings.rgb) {
      mypaint_brush_set_base_value(b, MYPAINT_BRUSH_SETTING_COLOR_H, static_cast<float>(a.hue));
      mypaint_brush_set_base_value(b, MYPAINT_BRUSH_SETTING_COLOR_S,
                                   static_cast<float>(a.saturation));
      mypaint_brush_set_base_value(b, MYPAINT_BRUSH_SETTING_COLOR_V, static_cast<float>(a.value));
    }
    const double start_pressure = pen_down ? pen_pressure : a.pressure;
    if (!pen_down) mypaint_brush_set_state(b, MYPAINT_BRUSH_STATE_PRESSURE, start_pressure);
    canvas.begin_atomic();
    for (int k = 1; k <= kStrokeSegments; ++k) {
      const double t = static_cast<double>(k) / kStrokeSegments;
      const double u = 1 - t;
      const double x = u * u * pen_x + 2 * u * t * a.control_x + t * t * a.end_x;
      const double y = u * u * pen_y + 2 * u * t * a.control_y + t * t * a.end_y;
      const double pressure = start_pressure + (a.pressure - start_pressure) * t;
      mypaint_brush_stroke_to_2(b, canvas.surface(), static_cast<float>(x * scale),
                                static_cast<float>(y * scale), static_cast<float>(pressure), 0, 0,
                                kStrokeDtime, viewzoom, 0, 0);
    }
    canvas.end_atomic();
    pen_x = a.end_x;
    pen_y = a.end_y;
    pen_pressure = a.pressure;
    pen_down = true;
  }

  // Copies the tiles written since the last call into the observation, shrinking by `scale`.
  void read_back() {
    for (int tile : canvas.written()) {
      if (scale == 1) {
        copy_tile(tile);
      } else {
        shrink_tile(tile);
      }
    }
    canvas.clear_written();
  }

  // Writes the observation pixel at `out` from the fixed-point RGB `sum` of `count` pixels.
  void write_pixel(const uint32_t sum[3], int count, float* out) const {
    const double unit = 1.0 / (static_cast<double>(kOpaqueWhite) * count);
    if (observation.channels == 1) {
      const double gray = kLuma[0] * sum[0] + kLuma[1] * sum[1] + kLuma[2] * sum[2];
      out[0] = static_cast<float>(std::min(gray * unit, 1.0));
    } else {
      for (int c = 0; c < 3; ++c) out[c] = static_cast<float>(sum[c] * unit);
    }
  }

  // Supersample 1: the tile's pixels are observation pixels.
  void copy_tile(int tile) {
    const int tps = canvas.tiles_per_side();
    const int x0 = (tile % tps) * kTile, y0 = (tile / tps) * kTile;
    const int channels = observation.channels;
    const uint16_t* in = canvas.tile_values(tile);
    for (int y = 0; y < kTile; ++y) {
      float* out = observation.canvas.data() +
                   (static_cast<size_t>(y0 + y) * settings.canvas + x0) * channels;
      for (int x = 0; x < kTile; ++x, in += 4, out += channels) {
        const uint32_t rgb[3] = {in[0], in[1], in[2]};
        write_pixel(rgb, 1, out);
      }
    }
  }

  // Supersample s: every observation pixel whose s x s block overlaps the tile (blocks straddle
  // tiles when s does not divide 64) becomes the mean of its block.
  void shrink_tile(int tile) {
    const int s = scale, tps = canvas.tiles_per_side();
    const int x0 = (tile % tps) * kTile, y0 = (tile / tps) * kTile;
    const int ox1 = std::min(settings.canvas, (x0 + kTile + s - 1) / s);
    const int oy1 = std::min(settings.canvas, (y0 + kTile + s - 1) / s);
    for (int oy = y0 / s; oy < oy1; ++oy) {
      for (int ox = x0 / s; ox < ox1; ++ox) {
        uint32_t sum[3] = {0, 0, 0};
        for (int y = oy * s; y < (oy + 1) * s; ++y) {
          for (int x = ox * s; x < (ox + 1) * s; ++x) {
            for (int c = 0; c < 3; ++c) sum[c] += canvas.at(x, y, c);
          }
        }
        write_pixel(sum, s * s,
                    observation.canvas.data() +
                        (static_cast<size_t>(oy) * settings.canvas + ox) * observation.channels);
      }
    }
  }

  void fill_mask(bool paint) {
    std::fill(observation.mask.begin(), observation.mask.end(), paint ? 1 : 0);
    observation.mask[0] = 1;  // flag
    observation.mask[1] = 1;  // end
  }

  const PainterSettings settings;
  const std::string brush_text;
  const ActionSpec spec;
  const int scale;       // surface pixels per canvas pixel
  const float viewzoom;  // 64 / surface side: libmypaint sees speeds of a 64 px canvas
  TileCanvas canvas;
  BrushPtr brush;
  Observation observation;
  double pen_x = 0, pen_y = 0;  // canvas pixels
  double pen_pressure = 0;      // pressure at the end of the last paint command
  bool pen_down = false;        // false after reset and jumps
};

Painter::Painter(const PainterSettings& settings) : impl_(std::make_unique<Impl>(settings)) {
  reset(0);
}

Painter::~Painter() = default;

const ActionSpec& Painter::action_spec() const { return impl_->spec; }

int Painter::episode_length() const { return impl_->settings.episode_length; }

const PainterSettings& Painter::settings() const { return impl_->settings; }

const Observation& Painter::reset(uint64_t seed) {
  Impl& m = *impl_;
  m.brush = new_brush(m.brush_text, m.canvas.surface(), m.viewzoom);
  if (!m.settings.rgb) {
    // Black ink; colours of RGB painters are set by each paint command.
    mypaint_brush_set_base_value(m.brush.get(), MYPAINT_BRUSH_SETTING_COLOR_H, 0);
    mypaint_brush_set_base_value(m.brush.get(), MYPAINT_BRUSH_SETTING_COLOR_S, 0);
    mypaint_brush_set_base_value(m.brush.get(), MYPAINT_BRUSH_SETTING_COLOR_V, 0);
  }
  // Each reset-and-stroke_to draws exactly one number from the brush RNG and paints nothing.
  const uint64_t skips = seed % kPainterJitterStreams;
  for (uint64_t i = 0; i < skips; ++i) {
    mypaint_brush_reset(m.brush.get());
    mypaint_brush_stroke_to_2(m.brush.get(), m.canvas.surface(), 0, 0, 0, 0, 0, kStrokeDtime,
                              m.viewzoom, 0, 0);
  }
  m.jump(0, 0);
  m.canvas.clear_painted();
  std::fill(m.observation.canvas.begin(), m.observation.canvas.end(), 1.0f);
  std::fill(m.observation.mask.begin(), m.observation.mask.end(), 0);
  m.observation.step = 0;
  m.observation.done = false;
  return m.observation;
}

const Observation& Painter::step(const Command& command) {
  Impl& m = *impl_;
  if (m.observation.done) {
    throw std::logic_error("painter: step after the episode's " +
                           std::to_string(m.settings.episode_length) +
                           " commands; call reset first");
  }
  m.spec.check(command);
  const PainterAction action = decode_painter_command(m.settings, command);
  if (action.paint) {
    m.paint(action);
    m.read_back();
  } else {
    m.jump(action.end_x, action.end_y);
  }
  m.fill_mask(action.paint);
  m.observation.step += 1;
  m.observation.done = m.observation.step >= m.settings.episode_length;
  return m.observation;
}

PartMask Painter::mask(const Command& command) const {
  impl_->spec.check(command);
  PartMask mask(impl_->spec.size(), command[0] == 1 ? 1 : 0);
  mask[0] = 1;
  mask[1] = 1;
  return mask;
}

Image Painter::canvas() const {
  const Observation& o = impl_->observation;
  return image_from_unit_floats(o.canvas, o.height, o.width, o.channels);
}

}  // namespace spiral::render
