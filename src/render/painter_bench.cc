// The painter's benchmark: Painter::step against a bare loop of the same libmypaint calls.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/render/painter.h"

extern "C" {
#include <mypaint-brush.h>
#include <mypaint-tiled-surface.h>
}

namespace spiral::render {
namespace {

constexpr int kTile = MYPAINT_TILE_SIZE;
constexpr int kTileValues = kTile * kTile * 4;
constexpr uint16_t kWhite = 1 << 15;

std::vector<std::vector<Command>> random_episodes(const ActionSpec& spec, int episodes, int length,
                                                  uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Command>> result(episodes, std::vector<Command>(length));
  for (auto& episode : result) {
    for (Command& command : episode) {
      for (const ActionPart& part : spec.parts()) {
        command.push_back(std::uniform_int_distribution<int32_t>(0, part.size - 1)(rng));
      }
    }
  }
  return result;
}

// The least a program needs to paint the same strokes: a tile buffer behind a libmypaint
// surface, a brush, the stroke_to calls, and a read-back of the written tiles per step.
class BareLoop {
 public:
  BareLoop(const PainterSettings& settings, std::string brush_text)
      : settings_(settings),
        brush_text_(std::move(brush_text)),
        scale_(settings.supersample),
        viewzoom_(64.0f / (settings.canvas * settings.supersample)),
        tiles_per_side_(settings.canvas * settings.supersample / kTile),
        values_(static_cast<size_t>(tiles_per_side_) * tiles_per_side_ * kTileValues, kWhite),
        scratch_(kTileValues),
        written_(static_cast<size_t>(tiles_per_side_) * tiles_per_side_),
        pixels_(values_.size() / 4 * 3) {
    mypaint_tiled_surface2_init(&c_.base, &BareLoop::start, &BareLoop::end);
    c_.owner = this;
    written_list_.reserve(written_.size());
  }
  ~BareLoop() { mypaint_tiled_surface2_destroy(&c_.base); }
  BareLoop(const BareLoop&) = delete;
  BareLoop& operator=(const BareLoop&) = delete;

  void run(const std::vector<Command>& episode, uint64_t reset_seed) {
    std::fill(values_.begin(), values_.end(), kWhite);
    brush_.reset(mypaint_brush_new());
    mypaint_brush_from_string(brush_.get(), brush_text_.c_str());
    mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_PAINT_MODE, 0);
    for (int i = 0; i < 2; ++i) {
      mypaint_brush_stroke_to_2(brush_.get(), surface(), 0, 0, 0, 0, 0, 0.1, viewzoom_, 0, 0);
    }
    if (!settings_.rgb) {
      mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_COLOR_H, 0);
      mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_COLOR_S, 0);
      mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_COLOR_V, 0);
    }
    for (uint64_t i = 0; i < reset_seed % kPainterJitterStreams; ++i) {
      mypaint_brush_reset(brush_.get());
      mypaint_brush_stroke_to_2(brush_.get(), surface(), 0, 0, 0, 0, 0, 0.1, viewzoom_, 0, 0);
    }
    jump(0, 0);
    double pressure = 0;
    bool down = false;
    for (const Command& command : episode) {
      const PainterAction a = decode_painter_command(settings_, command);
      if (!a.paint) {
        jump(a.end_x, a.end_y);
        down = false;
        continue;
      }
      mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_RADIUS_LOGARITHMIC,
                                   std::log(a.radius * scale_));
      if (settings_.rgb) {
        mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_COLOR_H, a.hue);
        mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_COLOR_S, a.saturation);
        mypaint_brush_set_base_value(brush_.get(), MYPAINT_BRUSH_SETTING_COLOR_V, a.value);
      }
      const double p0 = down ? pressure : a.pressure;
      if (!down) mypaint_brush_set_state(brush_.get(), MYPAINT_BRUSH_STATE_PRESSURE, p0);
      mypaint_surface_begin_atomic(&c_.base.parent.parent);
      for (int k = 1; k <= 50; ++k) {
        const double t = k / 50.0, u = 1 - t;
        const double x = u * u * x_ + 2 * u * t * a.control_x + t * t * a.end_x;
        const double y = u * u * y_ + 2 * u * t * a.control_y + t * t * a.end_y;
        mypaint_brush_stroke_to_2(brush_.get(), surface(), x * scale_, y * scale_,
                                  p0 + (a.pressure - p0) * t, 0, 0, 0.1, viewzoom_, 0, 0);
      }
      mypaint_surface2_end_atomic(surface(), nullptr);
      x_ = a.end_x;
      y_ = a.end_y;
      pressure = a.pressure;
      down = true;
      read_back();
    }
  }

  // Pixel (x, y) of the painted surface as the painter's observation shows it (scale 1 only).
  float pixel(int x, int y, int c) const {
    const size_t tile = static_cast<size_t>(y / kTile) * tiles_per_side_ + x / kTile;
    const uint16_t* p = &values_[tile * kTileValues + ((y % kTile) * kTile + x % kTile) * 4];
    if (settings_.rgb) return p[c] * (1.0f / kWhite);
    return std::min(static_cast<float>(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / kWhite, 1.0f);
  }

 private:
  struct CSurface {
    MyPaintTiledSurface2 base;
    BareLoop* owner;
  };
  static void start(MyPaintTiledSurface2* base, MyPaintTileRequest* request) {
    BareLoop& self = *reinterpret_cast<CSurface*>(base)->owner;
    const int n = self.tiles_per_side_;
    if (request->tx < 0 || request->ty < 0 || request->tx >= n || request->ty >= n) {
      request->buffer = self.scratch_.data();
      return;
    }
    const int tile = request->ty * n + request->tx;
    request->buffer = self.values_.data() + static_cast<size_t>(tile) * kTileValues;
    if (!request->readonly && !self.written_[tile]) {
      self.written_[tile] = 1;
      self.written_list_.push_back(tile);
    }
  }
  static void end(MyPaintTiledSurface2*, MyPaintTileRequest*) {}

  MyPaintSurface2* surface() { return &c_.base.parent; }

  // To (x, y) in canvas pixels, as the painter jumps.
  void jump(double x, double y) {
    mypaint_brush_reset(brush_.get());
    mypaint_brush_new_stroke(brush_.get());
    mypaint_brush_set_state(brush_.get(), MYPAINT_BRUSH_STATE_X, x * scale_);
    mypaint_brush_set_state(brush_.get(), MYPAINT_BRUSH_STATE_Y, y * scale_);
    mypaint_brush_stroke_to_2(brush_.get(), surface(), x * scale_, y * scale_, 0, 0, 0, 0.1,
                              viewzoom_, 0, 0);
    x_ = x;
    y_ = y;
  }

  // Converts the written tiles to floats (gray or RGB, tile by tile).
  void read_back() {
    const int channels = settings_.rgb ? 3 : 1;
    for (int tile : written_list_) {
      const uint16_t* in = values_.data() + static_cast<size_t>(tile) * kTileValues;
      float* out = pixels_.data() + static_cast<size_t>(tile) * kTile * kTile * channels;
      for (int i = 0; i < kTile * kTile; ++i, in += 4) {
        if (channels == 1) {
          out[i] = static_cast<float>(0.299 * in[0] + 0.587 * in[1] + 0.114 * in[2]) / kWhite;
        } else {
          for (int c = 0; c < 3; ++c) out[i * 3 + c] = in[c] * (1.0f / kWhite);
        }
      }
      written_[tile] = 0;
    }
    written_list_.clear();
  }

  CSurface c_{};
  const PainterSettings settings_;
  const std::string brush_text_;
  const int scale_;
  const float viewzoom_;
  const int tiles_per_side_;
  std::vector<uint16_t> values_, scratch_;
  std::vector<uint8_t> written_;
  std::vector<int> written_list_;
  std::vector<float> pixels_;
  std::unique_ptr<MyPaintBrush, decltype(&mypaint_brush_unref)> brush_{nullptr,
                                                                       &mypaint_brush_unref};
  double x_ = 0, y_ = 0;  // the pen, in canvas pixels
};

// CPU time of this thread: what one core spends, whatever else the machine runs.
double thread_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

}  // namespace

PainterBenchResult bench_painter(const PainterSettings& settings, int episodes, uint64_t seed) {
  if (episodes < 1) throw std::invalid_argument("bench_painter: episodes must be at least 1");
  Painter painter(settings);
  BareLoop bare(settings, load_painter_brush(settings));
  const auto programs =
      random_episodes(painter.action_spec(), episodes, settings.episode_length, seed);
  double env_seconds = 0, bare_seconds = 0;
  for (int e = 0; e < episodes; ++e) {
    const uint64_t reset_seed = seed + static_cast<uint64_t>(e);
    const Observation* observation = nullptr;
    auto run_env = [&] {
      const double start = thread_seconds();
      observation = &painter.reset(reset_seed);
      for (const Command& command : programs[e]) painter.step(command);
      env_seconds += thread_seconds() - start;
    };
    auto run_bare = [&] {
      const double start = thread_seconds();
      bare.run(programs[e], reset_seed);
      bare_seconds += thread_seconds() - start;
    };
    if (e % 2 == 0) {
      run_env();
      run_bare();
    } else {
      run_bare();
      run_env();
    }
    if (settings.supersample == 1) {
      const Observation& o = *observation;
      for (int y = 0; y < o.height; ++y) {
        for (int x = 0; x < o.width; ++x) {
          for (int c = 0; c < o.channels; ++c) {
            const float env = o.canvas[(static_cast<size_t>(y) * o.width + x) * o.channels + c];
            if (std::abs(env - bare.pixel(x, y, c)) > 1e-5f) {
              throw std::logic_error("bench_painter: the painter and the bare loop differ at (" +
                                     std::to_string(x) + ", " + std::to_string(y) + ")");
            }
          }
        }
      }
    }
  }
  PainterBenchResult result;
  result.steps = episodes * settings.episode_length;
  result.env_steps_per_second = result.steps / env_seconds;
  result.bare_steps_per_second = result.steps / bare_seconds;
  result.ratio = env_seconds / bare_seconds;
  return result;
}

}  // namespace spiral::render
