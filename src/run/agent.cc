#include "spiral/run/agent.h"

#include <filesystem>
#include <random>
#include <utility>

#include "spiral/core/command.h"
#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/hdf5_atomic.h"
#include "spiral/render/environment_batch.h"
#include "spiral/render/options.h"
#include "spiral/render/painter.h"
#include "spiral/render/program.h"
#include "spiral/run/train_settings.h"

namespace spiral::run {
namespace {

// The training configuration stored in a checkpoint, parsed as `spiral train` reads it.
Config stored_config(const std::string& path, const std::string& ini) {
  std::vector<OptionGroup> groups = {common_options()};
  const std::vector<OptionGroup> train = train_option_groups();
  groups.insert(groups.end(), train.begin(), train.end());
  try {
    return parse_command_line("train", groups, {}, "stored configuration", ini).config;
  } catch (const UserError& error) {
    throw UserError(path + ": its stored configuration does not read: " + error.what());
  }
}

}  // namespace

Agent load_agent(const std::string& path) {
  const learn::CheckpointFile file(path);
  Agent agent;
  agent.checkpoint = path;
  agent.header = file.header();
  agent.config = stored_config(path, file.header().config);
  agent.environment = render::environment_settings(agent.config);
  const render::ActionSpec spec = render::action_spec_for(agent.environment);
  const model::PolicyConfig policy_config = file.policy_config();
  file.check_policy(spec, policy_config);
  agent.policy = model::Policy(policy_config, spec);
  file.load_policy(agent.policy);
  agent.policy->eval();
  return agent;
}

Episodes play_agent(Agent& agent, int count, const torch::Tensor& target, bool greedy,
                    uint64_t seed, int threads) {
  render::EnvironmentBatch envs(agent.environment, count, std::max(1, std::min(threads, count)));
  learn::RolloutOptions options;
  options.greedy = greedy;
  std::mt19937_64 engine(seed);
  for (int i = 0; i < count; ++i) options.seeds.push_back(engine());
  at::Generator generator = model::make_generator(seed);
  learn::Rollout rollout =
      learn::play_episodes(agent.policy, envs, target, options, &generator, true);
  Episodes episodes;
  episodes.seeds = options.seeds;
  episodes.final_canvases = rollout.final_canvases;
  episodes.commands.resize(static_cast<size_t>(count));
  for (const torch::Tensor& step : rollout.commands) {
    const torch::Tensor cpu = step.to(torch::kCPU).to(torch::kInt).contiguous();
    const int64_t parts = cpu.size(1);
    const int32_t* values = cpu.data_ptr<int32_t>();
    for (int i = 0; i < count; ++i) {
      episodes.commands[i].emplace_back(values + i * parts, values + (i + 1) * parts);
    }
  }
  for (int i = 0; i < count; ++i) {
    episodes.renders.push_back(learn::tensor_to_image(rollout.final_canvases[i]));
  }
  episodes.canvases.resize(static_cast<size_t>(count));
  for (const torch::Tensor& canvas : learn::episode_canvases(rollout)) {
    for (int i = 0; i < count; ++i) {
      episodes.canvases[i].push_back(learn::tensor_to_image(canvas[i]));
    }
  }
  return episodes;
}

void write_programs(const std::string& dir, const Agent& agent, const Episodes& episodes) {
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < episodes.commands.size(); ++i) {
    render::Program program;
    program.settings = agent.environment;
    program.seed = episodes.seeds[i];
    program.commands = episodes.commands[i];
    const std::string stem = dir + "/program-" + std::to_string(i);
    render::save_program(stem + ".json", program);
    if (agent.environment.kind == render::EnvironmentSettings::Kind::kPainter) {
      write_file_atomically(stem + ".svg",
                            render::painter_svg(agent.environment.painter, program.commands));
    }
  }
}

namespace {

// Images of one shape, in order, as a uint8 array of shape `leading` + [H, W, C].
io::Dataset write_images(io::Group& root, const std::string& name, std::vector<size_t> leading,
                         const std::vector<const Image*>& images) {
  std::vector<uint8_t> pixels;
  for (const Image* image : images) {
    pixels.insert(pixels.end(), image->pixels.begin(), image->pixels.end());
  }
  const Image& first = *images.front();
  for (int size : {first.height, first.width, first.channels}) {
    leading.push_back(static_cast<size_t>(size));
  }
  return root.write_array<uint8_t>(name, leading, pixels);
}

// K images of one shape as a [K, H, W, C] uint8 array.
void write_images(io::Group& root, const std::string& name, const std::vector<Image>& images) {
  std::vector<const Image*> list;
  for (const Image& image : images) list.push_back(&image);
  write_images(root, name, {images.size()}, list)
      .set_attribute("description", "images, height x width x channels, 0 = black");
}

// Every episode's canvases, step by step, as a [K, T + 1, H, W, C] uint8 array.
void write_canvases(io::Group& root, const std::vector<std::vector<Image>>& canvases) {
  std::vector<const Image*> list;
  for (const auto& episode : canvases) {
    for (const Image& image : episode) list.push_back(&image);
  }
  write_images(root, "canvases", {canvases.size(), canvases.front().size()}, list)
      .set_attribute("description",
                     "canvas of each episode before its first step (index 0, blank) and after "
                     "each step t (index t; the last equals renders), height x width x "
                     "channels, 0 = black");
}

}  // namespace

void write_episodes_h5(const std::string& path, const Agent& agent, const Episodes& episodes,
                       const std::vector<Image>& targets,
                       const std::function<void(io::Group&)>& extra) {
  io::write_hdf5_atomically(path, [&](io::Group& root) {
    root.set_attribute("checkpoint", agent.checkpoint);
    root.set_attribute("checkpoint_step", agent.header.counters.step);
    root.set_attribute("action_spec", agent.header.action_spec);
    std::vector<int32_t> commands;
    for (const auto& episode : episodes.commands) {
      for (const render::Command& command : episode) {
        commands.insert(commands.end(), command.begin(), command.end());
      }
    }
    const size_t count = episodes.commands.size();
    const size_t steps = count == 0 ? 0 : episodes.commands.front().size();
    const size_t parts = steps == 0 ? 0 : episodes.commands.front().front().size();
    io::Dataset dataset = root.write_array<int32_t>("commands", {count, steps, parts}, commands);
    dataset.set_attribute("description",
                          "command values per episode and step, parts as in action_spec");
    std::vector<int64_t> seeds(episodes.seeds.begin(), episodes.seeds.end());
    root.write_array<int64_t>("seeds", {seeds.size()}, seeds)
        .set_attribute("description",
                       "environment reset seed of each episode (uint64 bits stored as int64)");
    write_images(root, "renders", episodes.renders);
    if (!targets.empty()) write_images(root, "targets", targets);
    if (!episodes.canvases.empty()) write_canvases(root, episodes.canvases);
    if (extra) extra(root);
  });
}

}  // namespace spiral::run
