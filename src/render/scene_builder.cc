// SceneBuilder: the scene environment's episode logic on top of a SceneRenderer.
#include <stdexcept>

#include "spiral/render/scene.h"
#include "spiral/render/scene_parse.h"

namespace spiral::render {

SceneBuilder::SceneBuilder(const SceneSettings& settings)
    : settings_(settings), spec_(scene_action_spec(settings)), renderer_(settings) {
  renderer_.render({}, &empty_);
  objects_.reserve(settings_.max_objects);
  reset(0);
}

const Observation& SceneBuilder::reset(uint64_t /*seed*/) {
  objects_.clear();
  image_ = empty_;
  observation_.step = 0;
  observation_.done = false;
  observation_.mask.assign(spec_.size(), 0);
  observe();
  return observation_;
}

bool SceneBuilder::apply(const Command& command) {
  if (observation_.done) throw std::logic_error("SceneBuilder::step after the episode is done");
  spec_.check(command);
  observation_.mask = mask(command);
  const bool changed = apply_scene_command(settings_, command, &objects_);
  observation_.step += 1;
  observation_.done = observation_.step >= settings_.episode_length;
  return changed;
}

const Observation& SceneBuilder::step(const Command& command) {
  if (apply(command)) {
    renderer_.render(objects_, &image_);
    observe();
  }
  return observation_;
}

const Observation& SceneBuilder::replay(uint64_t seed, const std::vector<Command>& program) {
  reset(seed);
  bool changed = false;
  for (const Command& command : program) changed = apply(command) || changed;
  if (changed) {
    renderer_.render(objects_, &image_);
    observe();
  }
  return observation_;
}

PartMask SceneBuilder::mask(const Command& command) const {
  PartMask result(spec_.size(), 1);
  const int mode = command.empty() ? kSceneSkip : command[0];
  const bool ignored_add =
      mode == kSceneAdd && static_cast<int>(objects_.size()) >= settings_.max_objects;
  if (mode == kSceneSkip || ignored_add) {
    for (size_t i = 1; i < result.size(); ++i) result[i] = 0;
  }
  return result;
}

void SceneBuilder::observe() {
  observation_.height = image_.height;
  observation_.width = image_.width;
  observation_.channels = image_.channels;
  observation_.canvas.resize(image_.pixels.size());
  for (size_t i = 0; i < image_.pixels.size(); ++i) {
    observation_.canvas[i] = image_.pixels[i] * (1.0f / 255.0f);
  }
}

}  // namespace spiral::render
