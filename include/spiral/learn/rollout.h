// Playing whole episodes of a policy in a batch of environments (training, evaluation, sampling).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/learn/phase_times.h"
#include "spiral/model/policy.h"
#include "spiral/render/environment_batch.h"

namespace spiral::learn {

// How to play one batch of episodes.
struct RolloutOptions {
  bool greedy = false;                 // argmax per part instead of sampling
  double random_parts = 0;             // share of sampled parts drawn uniformly (Policy::act)
  std::vector<uint64_t> seeds;         // one reset seed per environment
  torch::Device device = torch::kCPU;  // where canvases, targets and commands live
};

// What one batch of episodes produced.
struct Rollout {
  torch::Tensor final_canvases;            // [B, C, H, W] float in [0, 1]
  std::vector<model::PolicyInput> inputs;  // every step's input, canvas included (when asked for)
  std::vector<torch::Tensor> commands;     // every step's [B, P] int64 commands (when asked)
  std::vector<torch::Tensor> log_probs;    // every step's [B] log-probability of them (when asked)
  PhaseTimes phases;                       // render and inference seconds
};

// [B, C, H, W] float canvases of every environment of `envs` on `device`.
torch::Tensor batch_canvases(const render::EnvironmentBatch& envs, torch::Device device);

// Plays one episode in every environment of `envs` (reset with options.seeds) for `target`
// [B, C, H, W] (undefined: an unconditional policy). Noise for unconditional policies and sampled
// commands are drawn from `generator` (CPU). `record` keeps every step's input and commands.
// Runs without gradients.
Rollout play_episodes(model::Policy& policy, render::EnvironmentBatch& envs,
                      const torch::Tensor& target, const RolloutOptions& options,
                      at::Generator* generator, bool record);

// The canvases of episodes played with `record`: T + 1 tensors [B, C, H, W], the canvas before the
// first step (blank) and then the canvas after each step, the last being final_canvases.
// invalid_argument when the rollout was played without `record`.
std::vector<torch::Tensor> episode_canvases(const Rollout& rollout);

// HxWxC uint8 image -> [C, H, W] float in [0, 1].
torch::Tensor image_to_tensor(const Image& image);
// Images of one shape -> [N, C, H, W] float in [0, 1], on the CPU.
torch::Tensor images_to_tensor(const std::vector<Image>& images);

// Float intensities in [0, 1] (clamped) -> uint8 0..255, rounded, same shape, on the CPU.
torch::Tensor to_uint8(const torch::Tensor& intensities);

// [C, H, W] float in [0, 1] (clamped) -> HxWxC uint8 image.
Image tensor_to_image(const torch::Tensor& chw);

}  // namespace spiral::learn
