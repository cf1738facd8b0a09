// The renderer an agent acts in: reset, step with a command, observe the canvas.
#pragma once

#include <cstdint>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/render/action_spec.h"

namespace spiral::render {

// What an environment shows the agent after reset or a step. Owned by the environment and
// rewritten in place by the next reset or step (no allocation per step).
struct Observation {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<float> canvas;  // height x width x channels, row-major, values in [0, 1]
  int step = 0;               // commands applied in this episode so far
  PartMask mask;              // parts of the last command that mattered (all 0 after reset)
  bool done = false;          // true once episode_length commands have been applied
};

// A renderer driven by discrete commands, one episode at a time.
class Environment {
 public:
  virtual ~Environment() = default;

  virtual const ActionSpec& action_spec() const = 0;
  // Commands per episode.
  virtual int episode_length() const = 0;
  // Starts an episode on a blank canvas; `seed` fixes every random choice of the renderer.
  virtual const Observation& reset(uint64_t seed) = 0;
  // Applies one command (UserError if it is invalid; logic_error after the episode is done).
  virtual const Observation& step(const Command& command) = 0;
  // reset(seed), then step() with each command of `program`: the same observation, which an
  // environment may reach faster (the scene builder renders only the last scene).
  virtual const Observation& replay(uint64_t seed, const std::vector<Command>& program) {
    const Observation* observation = &reset(seed);
    for (const Command& command : program) observation = &step(command);
    return *observation;
  }
  // The parts of `command` that affect the result, given the current state.
  virtual PartMask mask(const Command& command) const = 0;
  // The canvas now, as an 8-bit image.
  virtual Image canvas() const = 0;
};

}  // namespace spiral::render
