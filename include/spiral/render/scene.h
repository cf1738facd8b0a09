// The MuJoCo scene environment (SPIRAL.md, "3D scene environment"): up to max_objects primitives
// on a floor grid, seen by a fixed camera under fixed lights, rendered off screen.
//
// The world: the grid covers [-1, 1] x [-1, 1] of the floor (z = 0, z up); row 0 is the far edge
// (+y), column 0 the left edge (-x); cell index = row * grid + col. The camera looks at the grid
// from the front (-y) and above, so far rows are at the top of the image. Objects stand on the
// floor, centred on their cell; size levels span half-heights 0.12 to 0.3 (a cell is 0.125 wide at
// grid 16). Lights are white: MuJoCo's headlight (ambient 0.7, diffuse 0.15) and a light straight
// down (diffuse 0.175), so a top face shows an object's colour exactly and no surface drops below
// 0.7 of it (the colour bins stay readable); no specular highlights. No shadows: on Mesa they
// tripled the cost of a frame (about 5 ms instead of 1.6) for barely visible gain. 4x multisampling
// (about twice the cost of none) keeps small, far objects from flickering. All of it is in the
// MJCF that scene_model_xml returns, the record a dataset keeps.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/render/action_spec.h"
#include "spiral/render/environment.h"
#include "spiral/render/settings.h"

namespace spiral::render {

// Object types, in the order of the command's `type` part.
enum SceneObjectType : int { kSphere = 0, kBox = 1, kCylinder = 2, kCapsule = 3 };
inline constexpr int kSceneObjectTypes = 4;
// Their names (MuJoCo's geom types), in that order.
inline constexpr std::array<const char*, kSceneObjectTypes> kSceneObjectTypeNames = {
    "sphere", "box", "cylinder", "capsule"};
// The names joined by commas ("sphere,box,cylinder,capsule"), as files record them.
std::string scene_object_type_list();

// Command modes, in the order of the `mode` part.
enum SceneMode : int { kSceneAdd = 0, kSceneModify = 1, kSceneSkip = 2 };
inline constexpr int kSceneModes = 3;

// The fixed view (world units; see the top of this file).
inline constexpr std::array<double, 3> kSceneCameraPosition = {0.0, -2.0, 3.0};
inline constexpr std::array<double, 3> kSceneCameraTarget = {0.0, 0.05, 0.0};
inline constexpr double kSceneCameraFovy = 40.0;  // vertical field of view, degrees

// One object; every field is the value of the command part of the same name: type (a
// SceneObjectType), position (row * grid + col), size level, and colour bins (value bin / (levels
// - 1) per channel).
struct SceneObject {
  int type = 0;
  int position = 0;
  int size = 0;
  int red = 0;
  int green = 0;
  int blue = 0;

  bool operator==(const SceneObject& other) const {
    return type == other.type && position == other.position && size == other.size &&
           red == other.red && green == other.green && blue == other.blue;
  }
};

// The MuJoCo geom that shows an object: geom type (mjtGeom), size, centre and bounding radius.
struct SceneGeom {
  int mj_type = 0;
  std::array<double, 3> size = {0, 0, 0};
  std::array<double, 3> center = {0, 0, 0};
  double rbound = 0;
};

// Throws UserError naming the first setting out of range.
void check_scene_settings(const SceneSettings& settings);

// The parts of a scene command, in order: mode (3), type (4), position (grid * grid), size
// (size_levels), red, green, blue (color_levels each). Throws UserError on bad settings.
ActionSpec scene_action_spec(const SceneSettings& settings);

// The object that the type, position, size and colour parts of a valid command describe.
SceneObject scene_object(const Command& command);

// Throws UserError naming the object and field when `objects` is not a valid scene.
void check_scene_objects(const SceneSettings& settings, const std::vector<SceneObject>& objects);

// The geom that shows `object` (resting on the floor at the centre of its cell).
SceneGeom scene_geom(const SceneSettings& settings, const SceneObject& object);

// The floor point at the centre of grid cell `position`.
std::array<double, 3> scene_cell_center(const SceneSettings& settings, int position);

// Where the world point `point` appears in a rendered image: {x, y} in pixels from the top-left
// corner (x to the right, y down; pixel i spans [i, i + 1)).
std::array<double, 2> scene_project(const SceneSettings& settings,
                                    const std::array<double, 3>& point);

// The MJCF every SceneRenderer compiles: floor, camera, lights and, for each type, max_objects
// hidden geoms that a render moves, sizes and colours.
std::string scene_model_xml(const SceneSettings& settings);

// Makes MuJoCo errors throw std::runtime_error (instead of waiting for Enter and exiting) and sends
// its warnings to the log. Idempotent and thread-safe; every SceneRenderer calls it.
void install_mujoco_error_handler();

// Renders scenes to image_size x image_size RGB images. Owns one GL context and one compiled
// model, reused by every render, which only moves, sizes and colours pool geoms (about 5x faster
// than compiling a model per scene). render() binds the context to the calling thread for the call
// only, so any thread may use a renderer, one at a time. The same scene always gives the same
// pixels (for one backend and GL driver).
class SceneRenderer {
 public:
  // Throws UserError on bad settings or when the requested GL backend is unavailable.
  explicit SceneRenderer(const SceneSettings& settings);
  ~SceneRenderer();
  SceneRenderer(SceneRenderer&& other) noexcept;
  SceneRenderer& operator=(SceneRenderer&& other) noexcept;

  // Renders `objects` (UserError when they are not a valid scene, see check_scene_objects).
  Image render(const std::vector<SceneObject>& objects);
  // The same into `image`, reusing its memory.
  void render(const std::vector<SceneObject>& objects, Image* image);

  const SceneSettings& settings() const;
  // The backend, platform and GL renderer, e.g. "egl surfaceless: llvmpipe (LLVM 15.0.6, ...)".
  std::string backend() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The scene environment. add appends an object; when max_objects are already placed it is ignored
// (the canvas stays, and mask() marks only `mode` as mattering). modify replaces the last object
// and acts as add when there is none. skip changes nothing (only `mode` matters). reset's seed is
// unused: the environment has no randomness.
class SceneBuilder : public Environment {
 public:
  explicit SceneBuilder(const SceneSettings& settings);

  const ActionSpec& action_spec() const override { return spec_; }
  int episode_length() const override { return settings_.episode_length; }
  const Observation& reset(uint64_t seed) override;
  const Observation& step(const Command& command) override;
  // Renders once, after the whole program.
  const Observation& replay(uint64_t seed, const std::vector<Command>& program) override;
  PartMask mask(const Command& command) const override;
  Image canvas() const override { return image_; }

  // The objects placed so far, oldest first.
  const std::vector<SceneObject>& objects() const { return objects_; }
  const SceneRenderer& renderer() const { return renderer_; }

 private:
  // Applies `command` to the objects (not the image); returns whether they changed.
  bool apply(const Command& command);
  void observe();

  SceneSettings settings_;
  ActionSpec spec_;
  SceneRenderer renderer_;
  std::vector<SceneObject> objects_;
  Image empty_;  // the empty floor, rendered once
  Image image_;
  Observation observation_;
};

// What bench_scene measured.
struct SceneBenchResult {
  double renders_per_second = 0;
  int renders = 0;
  std::string backend;
};

// Times `renders` renders of random scenes (1 to max_objects random objects, from `seed`) on one
// thread with one SceneRenderer, after one untimed warm-up render.
SceneBenchResult bench_scene(const SceneSettings& settings, int renders, uint64_t seed);

}  // namespace spiral::render
