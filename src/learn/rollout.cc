#include "spiral/learn/rollout.h"

#include <stdexcept>

namespace spiral::learn {

torch::Tensor batch_canvases(const render::EnvironmentBatch& envs, torch::Device device) {
  std::vector<torch::Tensor> rows;
  for (int i = 0; i < envs.size(); ++i) {
    const render::Observation& o = envs.observation(i);
    torch::Tensor hwc = torch::from_blob(const_cast<float*>(o.canvas.data()),
                                         {o.height, o.width, o.channels}, torch::kFloat);
    rows.push_back(hwc.permute({2, 0, 1}).clone());
  }
  return torch::stack(rows).to(device);
}

Rollout play_episodes(model::Policy& policy, render::EnvironmentBatch& envs,
                      const torch::Tensor& target, const RolloutOptions& options,
                      at::Generator* generator, bool record) {
  torch::NoGradGuard no_grad;
  const int64_t batch = envs.size();
  if (options.seeds.size() != static_cast<size_t>(batch)) {
    throw std::invalid_argument("play_episodes: one seed per environment is needed");
  }
  const int64_t parts = static_cast<int64_t>(envs.action_spec().size());
  const torch::Device device = options.device;
  Stopwatch clock;
  Rollout rollout;
  envs.reset(options.seeds);
  model::PolicyState state = policy->initial_state(batch);
  model::PolicyInput input;
  input.target = target;
  input.prev_commands = torch::zeros({batch, parts}, torch::dtype(torch::kLong).device(device));
  input.prev_masks = torch::zeros({batch, parts}, torch::dtype(torch::kFloat).device(device));
  const int noise_dim = policy->config().resolved_noise_dim();
  if (noise_dim > 0) {
    input.noise = generator != nullptr ? torch::randn({batch, noise_dim}, *generator).to(device)
                                       : torch::randn({batch, noise_dim}).to(device);
  }
  rollout.phases.inference += clock.lap();  // the start state
  std::vector<render::Command> step_commands(static_cast<size_t>(batch));
  for (int t = 0; t < envs.episode_length(); ++t) {
    input.canvas = batch_canvases(envs, device);
    rollout.phases.render += clock.lap();
    model::PolicyStep step =
        policy->act(input, state, generator, options.greedy, options.random_parts);
    const torch::Tensor cpu = step.commands.to(torch::kCPU).to(torch::kInt).contiguous();
    rollout.phases.inference += clock.lap();
    const int32_t* values = cpu.data_ptr<int32_t>();
    for (int64_t b = 0; b < batch; ++b) {
      step_commands[b].assign(values + b * parts, values + (b + 1) * parts);
    }
    if (record) {
      rollout.inputs.push_back(input);
      rollout.commands.push_back(step.commands);
      rollout.log_probs.push_back(step.log_prob);
    }
    rollout.phases.inference += clock.lap();
    envs.step(step_commands);
    rollout.phases.render += clock.lap();
    input.prev_commands = step.commands;
    input.prev_masks = step.masks;
    state = step.state;
  }
  rollout.final_canvases = batch_canvases(envs, device);
  rollout.phases.render += clock.lap();
  return rollout;
}

std::vector<torch::Tensor> episode_canvases(const Rollout& rollout) {
  if (rollout.inputs.empty()) {
    throw std::invalid_argument("episode_canvases: the episodes were played without record");
  }
  // Each step's input holds the canvas the policy saw before acting, i.e. after the step before.
  std::vector<torch::Tensor> canvases;
  for (const model::PolicyInput& input : rollout.inputs) canvases.push_back(input.canvas);
  canvases.push_back(rollout.final_canvases);
  return canvases;
}

torch::Tensor image_to_tensor(const Image& image) {
  torch::Tensor pixels =
      torch::from_blob(const_cast<uint8_t*>(image.pixels.data()),
                       {image.height, image.width, image.channels}, torch::kUInt8);
  return pixels.permute({2, 0, 1}).to(torch::kFloat).div(255.0f).contiguous();
}

torch::Tensor images_to_tensor(const std::vector<Image>& images) {
  std::vector<torch::Tensor> rows;
  rows.reserve(images.size());
  for (const Image& image : images) rows.push_back(image_to_tensor(image));
  return torch::stack(rows);
}

torch::Tensor to_uint8(const torch::Tensor& intensities) {
  return intensities.detach().to(torch::kCPU).clamp(0, 1).mul(255.0f).round().to(torch::kUInt8);
}

Image tensor_to_image(const torch::Tensor& chw) {
  const torch::Tensor hwc = to_uint8(chw).permute({1, 2, 0}).contiguous();
  Image image;
  image.height = static_cast<int>(hwc.size(0));
  image.width = static_cast<int>(hwc.size(1));
  image.channels = static_cast<int>(hwc.size(2));
  const uint8_t* data = hwc.data_ptr<uint8_t>();
  image.pixels.assign(data, data + hwc.numel());
  return image;
}

}  // namespace spiral::learn
