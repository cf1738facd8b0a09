// Scene programs replayed without rendering, and the matching that scores a reconstruction.
#include "spiral/render/scene_parse.h"

#include <cstdlib>
#include <functional>

namespace spiral::render {
namespace {

// Whether `a` and `b` agree in everything but the cell.
bool same_but_cell(const SceneObject& a, const SceneObject& b) {
  return a.type == b.type && a.size == b.size && a.red == b.red && a.green == b.green &&
         a.blue == b.blue;
}

// The largest matching of targets to built objects where `matches(target, built)` holds
// (augmenting paths; scenes hold at most 64 objects).
int largest_matching(const std::vector<SceneObject>& target, const std::vector<SceneObject>& built,
                     const std::function<bool(const SceneObject&, const SceneObject&)>& matches) {
  std::vector<int> owner(built.size(), -1);  // the target each built object is matched to
  std::vector<char> visited;
  std::function<bool(size_t)> augment = [&](size_t t) {
    for (size_t b = 0; b < built.size(); ++b) {
      if (visited[b] || !matches(target[t], built[b])) continue;
      visited[b] = 1;
      if (owner[b] < 0 || augment(static_cast<size_t>(owner[b]))) {
        owner[b] = static_cast<int>(t);
        return true;
      }
    }
    return false;
  };
  int matched = 0;
  for (size_t t = 0; t < target.size(); ++t) {
    visited.assign(built.size(), 0);
    if (augment(t)) ++matched;
  }
  return matched;
}

double share(int part, int whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

bool apply_scene_command(const SceneSettings& settings, const Command& command,
                         std::vector<SceneObject>* objects) {
  const int mode = command.at(0);
  if (mode == kSceneModify && !objects->empty()) {
    objects->back() = scene_object(command);
    return true;
  }
  if (mode != kSceneSkip && static_cast<int>(objects->size()) < settings.max_objects) {
    objects->push_back(scene_object(command));
    return true;
  }
  return false;
}

std::vector<SceneObject> scene_objects_of_program(const SceneSettings& settings,
                                                  const std::vector<Command>& program) {
  const ActionSpec spec = scene_action_spec(settings);
  std::vector<SceneObject> objects;
  for (const Command& command : program) {
    spec.check(command);
    apply_scene_command(settings, command, &objects);
  }
  return objects;
}

SceneParse parse_scene(const SceneSettings& settings, const std::vector<SceneObject>& target,
                       const std::vector<SceneObject>& built) {
  SceneParse parse;
  parse.target_objects = static_cast<int>(target.size());
  parse.built_objects = static_cast<int>(built.size());
  parse.exact = largest_matching(target, built,
                                 [](const SceneObject& t, const SceneObject& b) { return t == b; });
  const int grid = settings.grid;
  parse.within_one_cell =
      largest_matching(target, built, [grid](const SceneObject& t, const SceneObject& b) {
        return same_but_cell(t, b) && std::abs(t.position / grid - b.position / grid) <= 1 &&
               std::abs(t.position % grid - b.position % grid) <= 1;
      });
  const auto on_cell_and =
      [&](const std::function<bool(const SceneObject&, const SceneObject&)>& also) {
        return largest_matching(target, built, [&](const SceneObject& t, const SceneObject& b) {
          return t.position == b.position && also(t, b);
        });
      };
  parse.on_cell = on_cell_and([](const SceneObject&, const SceneObject&) { return true; });
  parse.on_cell_type =
      on_cell_and([](const SceneObject& t, const SceneObject& b) { return t.type == b.type; });
  parse.on_cell_size =
      on_cell_and([](const SceneObject& t, const SceneObject& b) { return t.size == b.size; });
  parse.on_cell_colour = on_cell_and([](const SceneObject& t, const SceneObject& b) {
    return t.red == b.red && t.green == b.green && t.blue == b.blue;
  });
  for (const SceneObject& object : target) ++parse.target_by_type.at(object.type);
  for (const SceneObject& object : built) ++parse.built_by_type.at(object.type);
  for (int type = 0; type < kSceneObjectTypes; ++type) {
    parse.exact_by_type[type] = largest_matching(
        target, built,
        [type](const SceneObject& t, const SceneObject& b) { return t.type == type && t == b; });
  }
  return parse;
}

SceneParse& SceneParse::operator+=(const SceneParse& other) {
  for (int SceneParse::*count :
       {&SceneParse::target_objects, &SceneParse::built_objects, &SceneParse::exact,
        &SceneParse::within_one_cell, &SceneParse::on_cell, &SceneParse::on_cell_type,
        &SceneParse::on_cell_size, &SceneParse::on_cell_colour}) {
    this->*count += other.*count;
  }
  for (int type = 0; type < kSceneObjectTypes; ++type) {
    target_by_type[type] += other.target_by_type[type];
    built_by_type[type] += other.built_by_type[type];
    exact_by_type[type] += other.exact_by_type[type];
  }
  return *this;
}

SceneParseTotals::SceneParseTotals(const std::vector<SceneParse>& parses) {
  for (const SceneParse& parse : parses) add(parse);
}

void SceneParseTotals::add(const SceneParse& parse) {
  ++scenes;
  sum += parse;
  absolute_count_error += std::abs(parse.count_error());
}

double SceneParseTotals::exact_share() const { return share_of_targets(sum.exact); }

double SceneParseTotals::within_one_cell_share() const {
  return share_of_targets(sum.within_one_cell);
}

double SceneParseTotals::share_of_targets(int part) const {
  return share(part, sum.target_objects);
}

double SceneParseTotals::mean_absolute_count_error() const {
  return share(absolute_count_error, scenes);
}

}  // namespace spiral::render
