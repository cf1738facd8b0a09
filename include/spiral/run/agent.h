// A trained policy rebuilt from a checkpoint, for the commands that run agents (reconstruct,
// sample), and the files they write.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spiral/core/config.h"
#include "spiral/core/image.h"
#include "spiral/learn/checkpoint.h"
#include "spiral/learn/rollout.h"
#include "spiral/model/policy.h"
#include "spiral/render/settings.h"

namespace spiral::io {
class Group;
}  // namespace spiral::io

namespace spiral::run {

// A policy with the training configuration and environment it was trained in.
struct Agent {
  std::string checkpoint;                   // the file it came from
  learn::CheckpointHeader header;           // its counters and descriptions
  Config config;                            // the checkpoint's resolved training configuration
  render::EnvironmentSettings environment;  // from that configuration
  model::Policy policy{nullptr};            // in eval mode, on the CPU
};

// Opens and verifies `path`, rebuilds the policy from its stored sizes and the stored
// configuration's environment, and loads its parameters (UserError naming the file on mismatch).
Agent load_agent(const std::string& path);

// One batch of episodes of an agent, moved to what the files need.
struct Episodes {
  std::vector<Image> renders;                          // final canvases
  std::vector<uint64_t> seeds;                         // each environment's reset seed
  std::vector<std::vector<render::Command>> commands;  // [episode][step] commands
  std::vector<std::vector<Image>> canvases;  // [episode][0..T]: blank, then after each step
  torch::Tensor final_canvases;              // [K, C, H, W] in [0, 1]
};

// Plays `count` episodes of `agent` (for `target` [K, C, H, W], or undefined when unconditional)
// on `threads` rendering threads, seeded from `seed`.
Episodes play_agent(Agent& agent, int count, const torch::Tensor& target, bool greedy,
                    uint64_t seed, int threads);

// Writes every episode's program as <dir>/program-<i>.json, and .svg for painter programs.
void write_programs(const std::string& dir, const Agent& agent, const Episodes& episodes);

// Writes `episodes`' commands [K, T, P] (int32), renders [K, H, W, C] (uint8), canvases
// [K, T + 1, H, W, C] (uint8) and seeds to the HDF5 file `path` (through a temporary file renamed
// into place); `targets` too when not empty, and whatever `extra` adds to the file's root.
void write_episodes_h5(const std::string& path, const Agent& agent, const Episodes& episodes,
                       const std::vector<Image>& targets,
                       const std::function<void(io::Group&)>& extra = {});

}  // namespace spiral::run
