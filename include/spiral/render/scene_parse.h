// Scenes as programs: the objects a program of scene commands builds, and how many of a target
// scene's objects a built scene recovers (its parse accuracy, the measure pixels cannot give).
#pragma once

#include <array>
#include <vector>

#include "spiral/render/action_spec.h"
#include "spiral/render/scene.h"
#include "spiral/render/settings.h"

namespace spiral::render {

// Applies `command` to `objects` by the scene builder's rules: add appends unless max_objects are
// placed, modify replaces the last object (or adds when there is none), skip does nothing.
// Returns whether the objects changed.
bool apply_scene_command(const SceneSettings& settings, const Command& command,
                         std::vector<SceneObject>* objects);

// The objects `program` leaves, oldest first (each command checked against the action spec).
std::vector<SceneObject> scene_objects_of_program(const SceneSettings& settings,
                                                  const std::vector<Command>& program);

// How a built scene's objects match a target scene's. Each built object matches at most one
// target object, and the counts are the largest such matchings.
struct SceneParse {
  int target_objects = 0;
  int built_objects = 0;
  int exact = 0;            // matched in type, size, colour and floor cell
  int within_one_cell = 0;  // the same but at most one cell away in row and column (>= exact)
  // Where the misses are: a built object on the target object's cell, and one there that also
  // has its type, its size or its colour (each >= exact).
  int on_cell = 0;
  int on_cell_type = 0;
  int on_cell_size = 0;
  int on_cell_colour = 0;
  // Per object type (in SceneObjectType's order): target objects, built objects, and target
  // objects matched exactly (summing to exact). A type the policy no longer builds shows here.
  std::array<int, kSceneObjectTypes> target_by_type{};
  std::array<int, kSceneObjectTypes> built_by_type{};
  std::array<int, kSceneObjectTypes> exact_by_type{};
  int count_error() const { return built_objects - target_objects; }
  // Adds every count of `other` (for totals over scenes).
  SceneParse& operator+=(const SceneParse& other);
};

// Matches `built` against `target` (both valid scenes of `settings`).
SceneParse parse_scene(const SceneSettings& settings, const std::vector<SceneObject>& target,
                       const std::vector<SceneObject>& built);

// The sums of several scenes' parses and the shares they give.
struct SceneParseTotals {
  int scenes = 0;
  SceneParse sum;                // every count summed over the scenes
  int absolute_count_error = 0;  // sum over scenes of |built - target|

  SceneParseTotals() = default;
  explicit SceneParseTotals(const std::vector<SceneParse>& parses);

  void add(const SceneParse& parse);
  double exact_share() const;               // exact / target objects
  double within_one_cell_share() const;     // within_one_cell / target objects
  double share_of_targets(int part) const;  // part / sum.target_objects (0 without targets)
  double mean_absolute_count_error() const;
};

}  // namespace spiral::render
