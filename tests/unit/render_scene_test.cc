// Tests of the MuJoCo scene environment, at the pixel level: where objects appear, their colour,
// occlusion, the episode logic, determinism across threads, and the OSMesa backend (in a child
// process, since MuJoCo 2.2 binds OpenGL once per process).
#include <gtest/gtest.h>
#include <mujoco/mujoco.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/render/gl_context.h"
#include "spiral/render/scene.h"
#include "spiral/render/scene_parse.h"

namespace spiral::render {
namespace {

// True when `text` contains `part`.
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr int kGrid = 16;

int cell(int row, int col) { return row * kGrid + col; }

// Pixels (x, y) where `image` differs from `base` by more than `threshold` in some channel.
std::vector<std::pair<int, int>> changed_pixels(const Image& image, const Image& base,
                                                int threshold = 12) {
  std::vector<std::pair<int, int>> result;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        if (std::abs(image.at(y, x, c) - base.at(y, x, c)) > threshold) {
          result.emplace_back(x, y);
          break;
        }
      }
    }
  }
  return result;
}

// Mean position of `pixels`, at pixel centres.
std::array<double, 2> centroid(const std::vector<std::pair<int, int>>& pixels) {
  double x = 0;
  double y = 0;
  for (const auto& [px, py] : pixels) {
    x += px + 0.5;
    y += py + 0.5;
  }
  return {x / pixels.size(), y / pixels.size()};
}

struct Bin {
  int red, green, blue;
};

// The colour bin that most of `pixels` show. Lights are white and shading stays within [0.7, 1]
// (scene.h), so a pixel votes for a bin when it is that bin's colour scaled by 0.68 to 1.0, within
// 12 levels. Edge pixels blended with the floor rarely match any bin.
Bin dominant_bin(const Image& image, const std::vector<std::pair<int, int>>& pixels, int levels) {
  Bin best{-1, -1, -1};
  int best_votes = 0;
  const double top = levels - 1;
  for (int r = 0; r < levels; ++r) {
    for (int g = 0; g < levels; ++g) {
      for (int b = 0; b < levels; ++b) {
        const double bin[3] = {r / top, g / top, b / top};
        const double norm = bin[0] * bin[0] + bin[1] * bin[1] + bin[2] * bin[2];
        int votes = 0;
        for (const auto& [x, y] : pixels) {
          double p[3];
          double along = 0;
          for (int c = 0; c < 3; ++c) {
            p[c] = image.at(y, x, c) / 255.0;
            along += p[c] * bin[c];
          }
          const double scale = norm == 0 ? 1 : std::clamp(along / norm, 0.68, 1.0);
          double worst = 0;
          for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(p[c] - scale * bin[c]));
          if (worst <= 12 / 255.0) ++votes;
        }
        if (votes > best_votes) {
          best_votes = votes;
          best = {r, g, b};
        }
      }
    }
  }
  return best;
}

bool same_pixels(const Image& a, const Image& b) {
  return a.height == b.height && a.width == b.width && a.channels == b.channels &&
         a.pixels == b.pixels;
}

Command command(int mode, const SceneObject& object) {
  return {mode, object.type, object.position, object.size, object.red, object.green, object.blue};
}

// A scene with one object of each type plus one more, away from each other.
std::vector<SceneObject> sample_scene() {
  return {{kSphere, cell(2, 2), 2, 3, 0, 0},
          {kBox, cell(2, 13), 2, 0, 3, 0},
          {kCylinder, cell(13, 2), 2, 0, 0, 3},
          {kCapsule, cell(13, 13), 2, 3, 3, 0},
          {kBox, cell(8, 8), 1, 1, 2, 3}};
}

TEST(SceneActionSpec, PartsInOrderWithTheirSizes) {
  const ActionSpec spec = scene_action_spec(SceneSettings());
  EXPECT_EQ(spec.describe(), "mode:3 type:4 position:256 size:3 red:4 green:4 blue:4");
  int64_t commands = 1;
  for (const ActionPart& part : spec.parts()) commands *= part.size;
  EXPECT_EQ(commands, 589824);
  SceneSettings small;
  small.grid = 8;
  small.size_levels = 2;
  small.color_levels = 5;
  EXPECT_EQ(scene_action_spec(small).describe(),
            "mode:3 type:4 position:64 size:2 red:5 green:5 blue:5");
  small.skip = false;  // add and modify only
  EXPECT_EQ(scene_action_spec(small).describe(),
            "mode:2 type:4 position:64 size:2 red:5 green:5 blue:5");
}

// Each position value's point is where an object standing on that cell shows: a middle-sized box
// covers the pixel there, and the empty floor fills it otherwise. The points follow the camera's
// perspective, not the painter's square grid: far rows are narrower and nearer each other.
TEST(SceneActionSpec, PositionPointsLieOnTheObjectsOfTheirCells) {
  SceneSettings settings;
  settings.grid = 8;
  const ActionSpec spec = scene_action_spec(settings);
  const std::vector<std::array<float, 2>>& points = spec.parts()[2].points;
  ASSERT_EQ(points.size(), 64u);
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(spec.parts()[i].points.empty() || i == 2) << i;
  SceneRenderer renderer(settings);
  const Image floor = renderer.render({});
  const auto pixel = [&](const Image& image, const std::array<float, 2>& point) {
    const int x = static_cast<int>(point[0] * settings.image_size);
    const int y = static_cast<int>(point[1] * settings.image_size);
    const size_t at = (static_cast<size_t>(y) * image.width + x) * image.channels;
    return std::vector<uint8_t>(image.pixels.begin() + at, image.pixels.begin() + at + 3);
  };
  for (int position = 0; position < 64; ++position) {
    const Image box = renderer.render({{kBox, position, 1, 3, 0, 0}});
    EXPECT_NE(pixel(box, points[position]), pixel(floor, points[position])) << position;
  }
  // Row 0 (the far edge) spans less of the image than row 7, and both lie inside it.
  EXPECT_LT(points[7][0] - points[0][0], points[63][0] - points[56][0]);
  EXPECT_LT(points[0][1], points[56][1]);
  EXPECT_GT(points[0][0], 0.1f);  // the painter's grid would put cell 0 at (0, 0)
  EXPECT_LT(points[63][1], 1.0f);
}

TEST(SceneActionSpec, PointsAreOnePerValueOrNone) {
  EXPECT_NO_THROW(ActionSpec({{"position", 4, {{0, 0}, {1, 0}, {0, 1}, {1, 1}}}}));
  EXPECT_THROW(ActionSpec({{"position", 4, {{0, 0}, {1, 0}}}}), std::invalid_argument);
  // Where each value shows is not part of what the commands are.
  EXPECT_EQ(ActionSpec({{"position", 4, {{0, 0}, {1, 0}, {0, 1}, {1, 1}}}}),
            ActionSpec({{"position", 4}}));
}

TEST(SceneActionSpec, BadSettingsAreUserErrors) {
  auto expect_user_error = [](SceneSettings settings, const std::string& name) {
    try {
      scene_action_spec(settings);
      ADD_FAILURE() << "no error for " << name;
    } catch (const UserError& error) {
      EXPECT_TRUE(contains(error.what(), "'" + name + "'")) << error.what();
    }
  };
  SceneSettings settings;
  settings.grid = 0;
  expect_user_error(settings, "grid");
  settings = SceneSettings();
  settings.color_levels = 1;
  expect_user_error(settings, "color_levels");
  settings = SceneSettings();
  settings.size_levels = 0;
  expect_user_error(settings, "size_levels");
  settings = SceneSettings();
  settings.max_objects = 0;
  expect_user_error(settings, "max_objects");
  settings = SceneSettings();
  settings.image_size = 0;
  expect_user_error(settings, "image_size");
  settings = SceneSettings();
  settings.episode_length = 0;
  expect_user_error(settings, "episode_length");
  settings = SceneSettings();
  settings.gl = "vulkan";
  expect_user_error(settings, "gl");
  EXPECT_THROW(SceneRenderer{settings}, UserError);
  EXPECT_THROW(SceneBuilder{settings}, UserError);
  EXPECT_THROW(GlContext("vulkan"), UserError);
}

TEST(SceneBuilderMask, SkipAndIgnoredAddsMaskAllButMode) {
  SceneSettings settings;
  settings.max_objects = 1;
  SceneBuilder builder(settings);
  const SceneObject object{kBox, cell(5, 5), 1, 1, 1, 1};
  const PartMask all(7, 1);
  const PartMask mode_only = {1, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(builder.reset(0).mask, PartMask(7, 0));
  EXPECT_EQ(builder.mask(command(kSceneSkip, object)), mode_only);
  EXPECT_EQ(builder.mask(command(kSceneAdd, object)), all);
  EXPECT_EQ(builder.mask(command(kSceneModify, object)), all);
  EXPECT_EQ(builder.step(command(kSceneAdd, object)).mask, all);
  // Full: a further add is ignored, so none of its other parts matter; modify still acts.
  EXPECT_EQ(builder.mask(command(kSceneAdd, object)), mode_only);
  EXPECT_EQ(builder.mask(command(kSceneModify, object)), all);
  EXPECT_EQ(builder.step(command(kSceneSkip, object)).mask, mode_only);
}

class SceneRender : public ::testing::Test {
 protected:
  SceneRender() : renderer_(settings_), empty_(renderer_.render({})) {}

  // The pixels that `objects` change on the empty floor.
  std::vector<std::pair<int, int>> footprint(const std::vector<SceneObject>& objects) {
    return changed_pixels(renderer_.render(objects), empty_);
  }

  SceneSettings settings_;
  SceneRenderer renderer_;
  Image empty_;
};

TEST_F(SceneRender, ImageIsTheFloorWhenEmpty) {
  ASSERT_EQ(empty_.height, 64);
  ASSERT_EQ(empty_.width, 64);
  ASSERT_EQ(empty_.channels, 3);
  // The floor fills the view: no black background anywhere.
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) ASSERT_GT(empty_.at(y, x, 0), 60) << x << "," << y;
  }
  EXPECT_FALSE(renderer_.backend().empty());
}

TEST_F(SceneRender, ObjectAppearsOverItsGridCell) {
  std::array<double, 2> centres[2][2];  // [far, near][left, right]
  const int rows[2] = {2, 13};
  const int cols[2] = {2, 13};
  for (int type = 0; type < kSceneObjectTypes; ++type) {
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 2; ++c) {
        const SceneObject object{type, cell(rows[r], cols[c]), 1, 3, 1, 0};
        const auto pixels = footprint({object});
        ASSERT_GE(pixels.size(), 6u) << "type " << type << " cell " << rows[r] << "," << cols[c];
        centres[r][c] = centroid(pixels);
        const auto expected = scene_project(settings_, scene_geom(settings_, object).center);
        EXPECT_NEAR(centres[r][c][0], expected[0], 2.5) << "type " << type << " row " << rows[r];
        EXPECT_NEAR(centres[r][c][1], expected[1], 2.5) << "type " << type << " col " << cols[c];
      }
    }
    // Columns grow to the right, rows towards the camera (down the image).
    for (int r = 0; r < 2; ++r) EXPECT_GT(centres[r][1][0] - centres[r][0][0], 20);
    for (int c = 0; c < 2; ++c) EXPECT_GT(centres[1][c][1] - centres[0][c][1], 20);
  }
}

TEST_F(SceneRender, ProjectionOfTheGridFitsTheImage) {
  for (int position : {cell(0, 0), cell(0, 15), cell(15, 0), cell(15, 15)}) {
    const auto pixel = scene_project(settings_, scene_cell_center(settings_, position));
    EXPECT_GT(pixel[0], 2);
    EXPECT_LT(pixel[0], 62);
    EXPECT_GT(pixel[1], 8);
    EXPECT_LT(pixel[1], 62);
  }
}

TEST_F(SceneRender, ObjectShowsItsColourBin) {
  const int bins[][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}, {1, 2, 3}, {3, 3, 1},
                         {0, 0, 0}, {1, 1, 1}, {2, 0, 2}, {3, 3, 3}, {0, 1, 2}};
  const int positions[] = {cell(10, 4), cell(6, 11), cell(12, 12)};
  int n = 0;
  for (const auto& bin : bins) {
    for (int type = 0; type < kSceneObjectTypes; ++type) {
      const SceneObject object{type, positions[n++ % 3], 2, bin[0], bin[1], bin[2]};
      const Image image = renderer_.render({object});
      const auto pixels = changed_pixels(image, empty_);
      ASSERT_FALSE(pixels.empty());
      const Bin got = dominant_bin(image, pixels, settings_.color_levels);
      EXPECT_EQ(got.red, bin[0]) << "type " << type << " bin " << bin[0] << bin[1] << bin[2];
      EXPECT_EQ(got.green, bin[1]) << "type " << type << " bin " << bin[0] << bin[1] << bin[2];
      EXPECT_EQ(got.blue, bin[2]) << "type " << type << " bin " << bin[0] << bin[1] << bin[2];
    }
  }
}

TEST_F(SceneRender, SizeLevelsGrowTheObject) {
  size_t previous = 0;
  for (int size = 0; size < settings_.size_levels; ++size) {
    const size_t area = footprint({{kSphere, cell(8, 8), size, 3, 0, 0}}).size();
    EXPECT_GT(area, previous + 10) << "size " << size;
    previous = area;
  }
}

TEST_F(SceneRender, NearerObjectOccludesTheFartherOne) {
  // Five rows apart: far enough not to touch (a size-2 box is about five cells wide).
  const SceneObject far{kCapsule, cell(3, 8), 2, 3, 0, 0};
  const SceneObject near{kBox, cell(8, 8), 2, 0, 3, 0};
  const Image far_only = renderer_.render({far});
  const Image near_only = renderer_.render({near});
  const Image both = renderer_.render({far, near});
  EXPECT_TRUE(same_pixels(both, renderer_.render({near, far})));
  const auto far_pixels = changed_pixels(far_only, empty_);
  const auto near_pixels = changed_pixels(near_only, empty_);
  std::vector<std::pair<int, int>> overlap;
  for (const auto& p : far_pixels) {
    if (std::find(near_pixels.begin(), near_pixels.end(), p) != near_pixels.end()) {
      overlap.push_back(p);
    }
  }
  // Inside the overlap: its edge pixels mix both objects and the floor (multisampling).
  const auto in_overlap = [&](int x, int y) {
    return std::find(overlap.begin(), overlap.end(), std::make_pair(x, y)) != overlap.end();
  };
  std::vector<std::pair<int, int>> inside;
  for (const auto& [x, y] : overlap) {
    if (in_overlap(x - 1, y) && in_overlap(x + 1, y) && in_overlap(x, y - 1) &&
        in_overlap(x, y + 1)) {
      inside.push_back({x, y});
    }
  }
  ASSERT_GE(inside.size(), 15u) << "the test's objects should overlap in the image";
  int near_wins = 0;
  for (const auto& [x, y] : inside) {
    int to_near = 0;
    int to_far = 0;
    for (int c = 0; c < 3; ++c) {
      to_near += std::abs(both.at(y, x, c) - near_only.at(y, x, c));
      to_far += std::abs(both.at(y, x, c) - far_only.at(y, x, c));
    }
    if (to_near < to_far) ++near_wins;
  }
  EXPECT_GE(near_wins, static_cast<int>(inside.size() * 9 / 10));
  const Bin bin = dominant_bin(both, inside, settings_.color_levels);
  EXPECT_EQ(bin.red, 0);
  EXPECT_EQ(bin.green, 3);
  EXPECT_EQ(bin.blue, 0);
}

TEST_F(SceneRender, SameSceneSamePixelsWhateverCameBefore) {
  const auto scene = sample_scene();
  const Image first = renderer_.render(scene);
  renderer_.render({{kSphere, cell(1, 1), 0, 1, 1, 1}});
  renderer_.render({scene[4], scene[3], scene[2]});
  EXPECT_TRUE(same_pixels(first, renderer_.render(scene)));
  SceneRenderer other(settings_);
  EXPECT_TRUE(same_pixels(first, other.render(scene)));
  EXPECT_FALSE(same_pixels(first, empty_));
}

TEST_F(SceneRender, SameSceneSamePixelsOnTwoThreads) {
  const auto scene = sample_scene();
  const Image expected = renderer_.render(scene);
  Image images[2];
  std::string errors[2];
  auto work = [&](int i) {
    try {
      SceneRenderer renderer(settings_);
      for (int k = 0; k < 20; ++k) renderer.render(scene, &images[i]);
    } catch (const std::exception& error) {
      errors[i] = error.what();
    }
  };
  std::thread first(work, 0);
  std::thread second(work, 1);
  first.join();
  second.join();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_TRUE(same_pixels(images[i], expected)) << "thread " << i;
  }
  // A renderer made on this thread renders on another one, then here again.
  Image moved;
  std::thread([&] { renderer_.render(scene, &moved); }).join();
  EXPECT_TRUE(same_pixels(moved, expected));
  EXPECT_TRUE(same_pixels(renderer_.render(scene), expected));
}

TEST_F(SceneRender, InvalidScenesAreUserErrors) {
  EXPECT_THROW(renderer_.render({{kSceneObjectTypes, 0, 0, 0, 0, 0}}), UserError);
  EXPECT_THROW(renderer_.render({{0, 256, 0, 0, 0, 0}}), UserError);
  EXPECT_THROW(renderer_.render({{0, 0, 3, 0, 0, 0}}), UserError);
  EXPECT_THROW(renderer_.render({{0, 0, 0, 0, 4, 0}}), UserError);
  EXPECT_THROW(renderer_.render({{0, 0, 0, 0, 0, -1}}), UserError);
  std::vector<SceneObject> six(6, SceneObject{});
  try {
    renderer_.render(six);
    ADD_FAILURE() << "six objects rendered";
  } catch (const UserError& error) {
    EXPECT_TRUE(contains(error.what(), "max_objects")) << error.what();
  }
}

TEST_F(SceneRender, OtherImageSizes) {
  SceneSettings settings;
  settings.image_size = 96;
  SceneRenderer renderer(settings);
  const Image empty = renderer.render({});
  const SceneObject object{kSphere, cell(12, 3), 2, 0, 0, 3};
  const Image image = renderer.render({object});
  EXPECT_EQ(image.height, 96);
  EXPECT_EQ(image.width, 96);
  const auto center = centroid(changed_pixels(image, empty));
  const auto expected = scene_project(settings, scene_geom(settings, object).center);
  EXPECT_NEAR(center[0], expected[0], 3.5);
  EXPECT_NEAR(center[1], expected[1], 3.5);
}

TEST(SceneBuilderEpisode, ObservationIsTheCanvasAsFloats) {
  SceneSettings settings;
  settings.episode_length = 3;
  SceneBuilder builder(settings);
  const Observation& start = builder.reset(7);
  EXPECT_EQ(start.height, 64);
  EXPECT_EQ(start.width, 64);
  EXPECT_EQ(start.channels, 3);
  EXPECT_EQ(start.step, 0);
  EXPECT_FALSE(start.done);
  const SceneObject object{kCylinder, cell(9, 9), 2, 2, 1, 3};
  const Observation& after = builder.step(command(kSceneAdd, object));
  const Image canvas = builder.canvas();
  ASSERT_EQ(after.canvas.size(), canvas.pixels.size());
  for (size_t i = 0; i < canvas.pixels.size(); ++i) {
    ASSERT_FLOAT_EQ(after.canvas[i], canvas.pixels[i] / 255.0f);
  }
  EXPECT_EQ(after.step, 1);
  SceneRenderer renderer(settings);
  EXPECT_TRUE(same_pixels(canvas, renderer.render({object})));
  builder.step(command(kSceneSkip, object));
  EXPECT_TRUE(builder.step(command(kSceneSkip, object)).done);
  EXPECT_THROW(builder.step(command(kSceneSkip, object)), std::logic_error);
  // A new episode starts from the empty floor.
  builder.reset(8);
  EXPECT_TRUE(builder.objects().empty());
  EXPECT_TRUE(same_pixels(builder.canvas(), renderer.render({})));
}

TEST(SceneBuilderEpisode, BadCommandsAreUserErrors) {
  SceneBuilder builder{SceneSettings()};
  EXPECT_THROW(builder.step({0, 0, 0}), UserError);
  EXPECT_THROW(builder.step({3, 0, 0, 0, 0, 0, 0}), UserError);
  EXPECT_THROW(builder.step({0, 4, 0, 0, 0, 0, 0}), UserError);
  EXPECT_THROW(builder.step({0, 0, 256, 0, 0, 0, 0}), UserError);
  EXPECT_THROW(builder.step({0, 0, 0, 0, 0, 0, -1}), UserError);
  EXPECT_EQ(builder.reset(0).step, 0);
}

TEST(SceneBuilderEpisode, ModifyReplacesTheLastObject) {
  SceneSettings settings;
  SceneBuilder builder(settings);
  SceneRenderer renderer(settings);
  const Image empty = renderer.render({});
  const SceneObject a{kSphere, cell(3, 3), 2, 3, 0, 0};
  const SceneObject b{kBox, cell(3, 12), 2, 0, 3, 0};
  const SceneObject c{kCapsule, cell(12, 8), 2, 0, 0, 3};
  builder.step(command(kSceneAdd, a));
  builder.step(command(kSceneAdd, b));
  const auto b_pixels = changed_pixels(builder.canvas(), renderer.render({a}));
  ASSERT_GE(b_pixels.size(), 10u);
  builder.step(command(kSceneModify, c));
  EXPECT_EQ(builder.objects(), (std::vector<SceneObject>{a, c}));
  const Image canvas = builder.canvas();
  EXPECT_TRUE(same_pixels(canvas, renderer.render({a, c})));
  // Where b stood is floor again.
  for (const auto& [x, y] : b_pixels) {
    for (int ch = 0; ch < 3; ++ch) ASSERT_EQ(canvas.at(y, x, ch), empty.at(y, x, ch));
  }
  // Modify with no object acts as add.
  builder.reset(0);
  builder.step(command(kSceneModify, b));
  EXPECT_EQ(builder.objects(), std::vector<SceneObject>{b});
  EXPECT_TRUE(same_pixels(builder.canvas(), renderer.render({b})));
}

TEST(SceneBuilderEpisode, SkipChangesNothing) {
  SceneBuilder builder{SceneSettings()};
  const SceneObject a{kBox, cell(7, 7), 1, 1, 2, 3};
  builder.step(command(kSceneAdd, a));
  const Image before = builder.canvas();
  const std::vector<float> floats = builder.step(command(kSceneAdd, a)).canvas;
  const Image two = builder.canvas();
  const Observation& skipped = builder.step(command(kSceneSkip, {kSphere, cell(1, 1), 2, 3, 3, 3}));
  EXPECT_EQ(skipped.step, 3);
  EXPECT_EQ(skipped.canvas, floats);
  EXPECT_TRUE(same_pixels(builder.canvas(), two));
  EXPECT_EQ(builder.objects().size(), 2u);
  EXPECT_FALSE(same_pixels(before, SceneRenderer(SceneSettings()).render({})));
}

TEST(SceneBuilderEpisode, MaxObjectsRespected) {
  SceneSettings settings;
  settings.max_objects = 2;
  SceneBuilder builder(settings);
  const SceneObject a{kSphere, cell(4, 4), 1, 3, 0, 0};
  const SceneObject b{kBox, cell(4, 11), 1, 0, 3, 0};
  const SceneObject c{kCylinder, cell(11, 8), 1, 0, 0, 3};
  builder.step(command(kSceneAdd, a));
  builder.step(command(kSceneAdd, b));
  const Image full = builder.canvas();
  const Observation& ignored = builder.step(command(kSceneAdd, c));
  EXPECT_EQ(ignored.mask, (PartMask{1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(builder.objects(), (std::vector<SceneObject>{a, b}));
  EXPECT_TRUE(same_pixels(builder.canvas(), full));
  // The default environment holds five objects, no more.
  SceneBuilder five{SceneSettings()};
  for (int i = 0; i < 8; ++i) five.step(command(kSceneAdd, {kBox, cell(i, i), 0, 1, 1, 1}));
  EXPECT_EQ(five.objects().size(), 5u);
}

TEST(SceneBuilderEpisode, ReplayShowsWhatStepByStepShows) {
  SceneSettings settings;
  settings.max_objects = 3;
  SceneBuilder stepped(settings);
  SceneBuilder replayed(settings);
  const std::vector<SceneObject> scene = sample_scene();
  // Adds past max_objects, a modify and a skip: every rule of the episode.
  const std::vector<Command> program = {
      command(kSceneAdd, scene[0]),           command(kSceneSkip, scene[1]),
      command(kSceneAdd, scene[1]),           command(kSceneAdd, scene[2]),
      command(kSceneAdd, scene[3]),           command(kSceneModify, scene[4]),
      command(kSceneSkip, {0, 0, 0, 0, 0, 0})};
  replayed.step(command(kSceneAdd, scene[3]));  // replay starts from a reset
  for (size_t length = 0; length <= program.size(); ++length) {
    const std::vector<Command> prefix(program.begin(), program.begin() + length);
    const Observation* expected = &stepped.reset(0);
    for (const Command& c : prefix) expected = &stepped.step(c);
    const Observation& got = replayed.replay(0, prefix);
    EXPECT_EQ(got.canvas, expected->canvas) << length;
    EXPECT_EQ(got.mask, expected->mask) << length;
    EXPECT_EQ(got.step, expected->step);
    EXPECT_EQ(got.done, expected->done);
    EXPECT_EQ(replayed.objects(), stepped.objects()) << length;
    EXPECT_EQ(scene_objects_of_program(settings, prefix), stepped.objects()) << length;
  }
  EXPECT_EQ(replayed.objects(), (std::vector<SceneObject>{scene[0], scene[1], scene[4]}));
  EXPECT_THROW(scene_objects_of_program(settings, {{0, 4, 0, 0, 0, 0, 0}}), UserError);
}

TEST(SceneParse, ASceneBuiltByItsOwnProgramIsRecoveredWhole) {
  const SceneSettings settings;
  const std::vector<SceneObject> target = sample_scene();
  std::vector<Command> program;
  for (const SceneObject& object : target) program.push_back(command(kSceneAdd, object));
  const SceneParse parse =
      parse_scene(settings, target, scene_objects_of_program(settings, program));
  EXPECT_EQ(parse.target_objects, 5);
  EXPECT_EQ(parse.built_objects, 5);
  EXPECT_EQ(parse.exact, 5);
  EXPECT_EQ(parse.within_one_cell, 5);
  EXPECT_EQ(parse.count_error(), 0);
  // The order in which objects are placed does not matter.
  std::vector<SceneObject> reversed(target.rbegin(), target.rend());
  EXPECT_EQ(parse_scene(settings, target, reversed).exact, 5);
}

TEST(SceneParse, AnObjectMovedTwoCellsIsNotRecovered) {
  const SceneSettings settings;
  const std::vector<SceneObject> target = sample_scene();
  std::vector<SceneObject> built = target;
  built[4].position = cell(8, 10);  // two columns right
  SceneParse parse = parse_scene(settings, target, built);
  EXPECT_EQ(parse.exact, 4);
  EXPECT_EQ(parse.within_one_cell, 4);
  built[4].position = cell(9, 9);  // one row down and one column right
  parse = parse_scene(settings, target, built);
  EXPECT_EQ(parse.exact, 4);
  EXPECT_EQ(parse.within_one_cell, 5);
  built[4].position = cell(8, 8);
  built[4].red = 3;  // the right cell in the wrong colour
  parse = parse_scene(settings, target, built);
  EXPECT_EQ(parse.exact, 4);
  EXPECT_EQ(parse.within_one_cell, 4);
  // Cells one apart across a row's end are far apart on the floor.
  const std::vector<SceneObject> edge = {{kBox, cell(3, 15), 0, 1, 1, 1}};
  EXPECT_EQ(parse_scene(settings, edge, {{kBox, cell(4, 0), 0, 1, 1, 1}}).within_one_cell, 0);
}

TEST(SceneParse, EachBuiltObjectMatchesOneTargetAndTheMatchingIsTheLargest) {
  const SceneSettings settings;
  // Two like boxes side by side; one built box between them may stand for either, not both.
  const SceneObject left{kBox, cell(5, 5), 1, 2, 2, 2};
  SceneObject right = left;
  right.position = cell(5, 7);
  SceneObject middle = left;
  middle.position = cell(5, 6);
  SceneParse parse = parse_scene(settings, {left, right}, {middle});
  EXPECT_EQ(parse.within_one_cell, 1);
  EXPECT_EQ(parse.count_error(), -1);
  // Matching `right` first to `middle` would leave `left` unmatched; the largest matches both.
  SceneObject far_right = left;
  far_right.position = cell(5, 8);
  parse = parse_scene(settings, {right, left}, {middle, far_right});
  EXPECT_EQ(parse.within_one_cell, 2);
  EXPECT_EQ(parse.exact, 0);
  // A duplicate built object counts once, and the extra object is a count error.
  parse = parse_scene(settings, {left}, {left, left});
  EXPECT_EQ(parse.exact, 1);
  EXPECT_EQ(parse.count_error(), 1);

  SceneParseTotals totals;
  totals.add(parse_scene(settings, {left, right}, {left}));  // 1 of 2, |error| 1
  totals.add(parse_scene(settings, {left}, {left, right}));  // 1 of 1, |error| 1
  totals.add(parse_scene(settings, {right}, {}));            // 0 of 1, |error| 1
  EXPECT_DOUBLE_EQ(totals.exact_share(), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(totals.mean_absolute_count_error(), 1.0);
  EXPECT_EQ(SceneParseTotals().exact_share(), 0.0);
}

TEST(SceneParse, TheMissesAreCountedByWhatWentWrongOnTheCell) {
  const SceneSettings settings;
  const std::vector<SceneObject> target = sample_scene();
  std::vector<SceneObject> built = target;
  built[0].type = kBox;              // the right cell, the wrong type
  built[1].size = 0;                 // ... the wrong size
  built[2].green = 2;                // ... the wrong colour
  built[3].position = cell(12, 13);  // one row off: on no target's cell
  const SceneParse parse = parse_scene(settings, target, built);
  EXPECT_EQ(parse.exact, 1);
  EXPECT_EQ(parse.on_cell, 4);
  EXPECT_EQ(parse.on_cell_type, 3);    // all of the four on their cells but the first
  EXPECT_EQ(parse.on_cell_size, 3);    // ... but the second
  EXPECT_EQ(parse.on_cell_colour, 3);  // ... but the third
  // Two built objects on one cell stand for one target object there, and either may agree.
  SceneObject sphere = target[0];
  sphere.type = kSphere;
  SceneObject box = target[0];
  box.type = kBox;
  const SceneParse doubled = parse_scene(settings, {target[0]}, {box, sphere});
  EXPECT_EQ(doubled.on_cell, 1);
  EXPECT_EQ(doubled.on_cell_type, 1);

  SceneParseTotals totals;
  totals.add(parse);
  totals.add(doubled);
  EXPECT_EQ(totals.sum.on_cell_colour, 4);
  EXPECT_DOUBLE_EQ(totals.share_of_targets(totals.sum.on_cell_type), 4.0 / 6.0);
}

TEST(SceneParse, ObjectsAreCountedByType) {
  const SceneSettings settings;
  const SceneObject sphere{kSphere, cell(2, 3), 1, 1, 2, 3};
  const SceneObject box{kBox, cell(4, 4), 2, 3, 0, 1};
  SceneObject cylinder_for_sphere = sphere;  // the sphere's cell, size and colour, as a cylinder
  cylinder_for_sphere.type = kCylinder;
  const SceneParse parse = parse_scene(settings, {sphere, box}, {cylinder_for_sphere, box, box});
  const std::array<int, kSceneObjectTypes> targets = {1, 1, 0, 0}, built = {0, 2, 1, 0},
                                           exact = {0, 1, 0, 0};
  EXPECT_EQ(parse.target_by_type, targets);
  EXPECT_EQ(parse.built_by_type, built);
  EXPECT_EQ(parse.exact_by_type, exact);
  // Totals add every count, the per-type ones too.
  SceneParseTotals totals;
  totals.add(parse);
  totals.add(parse_scene(settings, {sphere}, {sphere}));
  const std::array<int, kSceneObjectTypes> exact_sum = {1, 1, 0, 0};
  EXPECT_EQ(totals.sum.exact_by_type, exact_sum);
  EXPECT_EQ(totals.sum.exact, 2);
  EXPECT_EQ(totals.sum.target_objects, 3);
  EXPECT_EQ(totals.sum.on_cell_type, 2);
  EXPECT_EQ(totals.absolute_count_error, 1);
  EXPECT_EQ(scene_object_type_list(), "sphere,box,cylinder,capsule");
}

TEST(SceneMuJoCo, ErrorsThrowInsteadOfExiting) {
  install_mujoco_error_handler();
  install_mujoco_error_handler();
  try {
    mju_error_i("test error %d", 7);  // goes through MuJoCo's C frames to our handler
    ADD_FAILURE() << "mju_error returned";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "MuJoCo error: test error 7");
  }
}

TEST(SceneMuJoCo, ModelHasTheRequestedOffscreenBuffer) {
  SceneSettings settings;
  settings.image_size = 80;
  const std::string xml = scene_model_xml(settings);
  EXPECT_TRUE(contains(xml, "offwidth=\"80\" offheight=\"80\"")) << xml;
  EXPECT_TRUE(contains(xml, "shadowsize=\"0\"")) << xml;
  EXPECT_TRUE(contains(xml, "name=\"capsule_4\"")) << xml;
}

TEST(SceneGl, OneBackendPerProcess) {
  SceneRenderer renderer{SceneSettings()};
  ASSERT_TRUE(process_gl_backend().has_value());
  const GlBackend used = *process_gl_backend();
  EXPECT_EQ(GlContext("auto").backend(), used);
  EXPECT_EQ(GlContext(gl_backend_name(used)).backend(), used);
  const std::string other = used == GlBackend::kEgl ? "osmesa" : "egl";
  try {
    GlContext context(other);
    ADD_FAILURE() << other << " accepted after " << gl_backend_name(used);
  } catch (const UserError& error) {
    EXPECT_TRUE(contains(error.what(), "'" + other + "'")) << error.what();
    EXPECT_TRUE(contains(error.what(), "already renders")) << error.what();
  }
}

TEST(SceneBench, ReportsItsFigures) {
  const SceneBenchResult result = bench_scene(SceneSettings(), 5, 3);
  EXPECT_EQ(result.renders, 5);
  EXPECT_GT(result.renders_per_second, 0);
  EXPECT_FALSE(result.backend.empty());
}

// The OSMesa checks run in child processes, this binary started again with kChildOutput set:
// MuJoCo 2.2 cannot switch a process from EGL to OSMesa. A child renders the empty floor and the
// sample scene with the backend kChildGl names, writes "ok <backend description>" and the pixels
// (or "unavailable <why>") to the file kChildOutput names, and exits before GoogleTest starts.
constexpr const char* kChildOutput = "SPIRAL_SCENE_TEST_CHILD_OUTPUT";
constexpr const char* kChildGl = "SPIRAL_SCENE_TEST_CHILD_GL";

int run_child(const char* output, const char* gl) {
  std::ofstream file(output, std::ios::binary);
  SceneSettings settings;
  settings.gl = gl;
  try {
    SceneRenderer renderer(settings);
    const Image empty = renderer.render({});
    const Image scene = renderer.render(sample_scene());
    file << "ok " << renderer.backend() << "\n";
    file.write(reinterpret_cast<const char*>(empty.pixels.data()), empty.pixels.size());
    file.write(reinterpret_cast<const char*>(scene.pixels.data()), scene.pixels.size());
  } catch (const UserError& error) {
    file << "unavailable " << error.what() << "\n";
  }
  return file ? 0 : 1;
}

const bool kIsChild = [] {
  const char* output = std::getenv(kChildOutput);
  const char* gl = std::getenv(kChildGl);
  if (output != nullptr) std::exit(run_child(output, gl ? gl : "osmesa"));
  return false;
}();

// What a child process rendered.
struct ChildRender {
  std::string status;  // "ok <backend>" or "unavailable <why>"
  Image empty;
  Image scene;
};

// Runs this binary as a child with `gl` and the extra environment `environment` ("NAME=value ").
ChildRender render_in_child(const std::string& gl, const std::string& environment) {
  char exe[4096];
  const ssize_t length = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (length <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  exe[length] = '\0';
  const std::string output = ::testing::TempDir() + "scene_child_" + std::to_string(getpid());
  const std::string shell = environment + kChildGl + "='" + gl + "' " + kChildOutput + "='" +
                            output + "' '" + exe + "' > '" + output + ".log' 2>&1";
  const int status = std::system(shell.c_str());
  std::ifstream log_file(output + ".log");
  const std::string log((std::istreambuf_iterator<char>(log_file)), {});
  std::remove((output + ".log").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("child failed: " + log);
  }
  std::ifstream file(output, std::ios::binary);
  ChildRender result;
  std::getline(file, result.status);
  const std::string data((std::istreambuf_iterator<char>(file)), {});
  std::remove(output.c_str());
  const size_t bytes = 64 * 64 * 3;
  if (result.status.rfind("ok ", 0) == 0) {
    if (data.size() != 2 * bytes) throw std::runtime_error("child wrote " + result.status);
    result.empty = {64, 64, 3, std::vector<uint8_t>(data.begin(), data.begin() + bytes)};
    result.scene = {64, 64, 3, std::vector<uint8_t>(data.begin() + bytes, data.end())};
  }
  return result;
}

// Checks a child's render against this process's: close overall, and every object of the sample
// scene where it belongs, in its colour.
void expect_same_scene(const ChildRender& child) {
  SceneRenderer renderer{SceneSettings()};
  const Image expected = renderer.render(sample_scene());
  const Image empty = renderer.render({});
  double difference = 0;
  for (size_t i = 0; i < expected.pixels.size(); ++i) {
    difference += std::abs(child.scene.pixels[i] - expected.pixels[i]);
  }
  EXPECT_LT(difference / expected.pixels.size(), 4.0)
      << child.status << " vs " << renderer.backend();
  for (const SceneObject& object : sample_scene()) {
    const auto footprint = changed_pixels(renderer.render({object}), empty);
    const Bin bin = dominant_bin(child.scene, footprint, 4);
    EXPECT_EQ(bin.red, object.red);
    EXPECT_EQ(bin.green, object.green);
    EXPECT_EQ(bin.blue, object.blue);
  }
  EXPECT_GT(changed_pixels(child.scene, child.empty).size(), 100u);
}

TEST(SceneOsmesa, RendersTheSameSceneAsTheDefaultBackend) {
  const ChildRender child = render_in_child("osmesa", "");
  if (child.status.rfind("unavailable", 0) == 0) GTEST_SKIP() << child.status;
  ASSERT_EQ(child.status.rfind("ok osmesa", 0), 0u) << child.status;
  expect_same_scene(child);
}

TEST(SceneOsmesa, AutoFallsBackToOsmesaWithoutEgl) {
  // glvnd's libEGL with no vendor library offers no EGL platform: "auto" has to take OSMesa in a
  // process that has already loaded libEGL.
  const ChildRender child =
      render_in_child("auto", "__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent/vendor.json ");
  if (child.status.rfind("unavailable", 0) == 0) GTEST_SKIP() << child.status;
  ASSERT_EQ(child.status.rfind("ok osmesa", 0), 0u) << child.status;
  expect_same_scene(child);
}

}  // namespace
}  // namespace spiral::render
