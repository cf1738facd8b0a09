// `spiral bench learner`: one policy learning step (evaluate_unroll + A2C loss + backward + Adam)
// and one WGAN-GP discriminator update, on random inputs of the right shapes.
#include <ATen/Parallel.h>

#include <iostream>
#include <string>

#include "spiral/bench/actions.h"
#include "spiral/bench/models.h"
#include "spiral/bench/util.h"
#include "spiral/core/logging.h"
#include "spiral/learn/a2c.h"
#include "spiral/learn/discriminator_loss.h"

namespace spiral::bench {
namespace {

constexpr double kGradClip = 40;  // as `spiral train`'s default --grad-clip

int run_bench_learner(const Config& config, CommandContext&) {
  const torch::Device device = bench_device(config);
  const int64_t batch = config.get_int("batch");
  const int64_t unroll = config.get_int("unroll");
  const int64_t d_batch = config.get_int("d-batch");
  const bool rgb = config.get_text("color") == "rgb";
  const bool conditional = config.get_bool("conditional");
  const std::string size = config.get_text("size");
  const int warmup = static_cast<int>(config.get_int("warmup"));
  const int repeats = static_cast<int>(config.get_int("repeats"));
  const uint64_t seed = static_cast<uint64_t>(config.get_int("seed"));
  const bool tf32 = config.get_bool("tf32") && device.is_cuda();
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
  torch::manual_seed(seed);
  const int threads = at::get_num_threads();
  std::cout << "learning steps on " << device.str()
            << (device.is_cpu() ? ", " + std::to_string(threads) + " LibTorch threads" : "")
            << (device.is_cuda() ? std::string(tf32 ? ", TF32 on" : ", TF32 off") : "") << ", "
            << size << " policy, 64x64 " << (rgb ? "rgb" : "gray") << ", "
            << (conditional ? "conditional" : "unconditional") << ", " << repeats
            << " repeats after " << warmup << " warm-up\n";
  const auto floats = torch::TensorOptions().dtype(torch::kFloat).device(device);
  const auto sync = device_sync(device);
  FigureTable table({"step", "device", "threads", "batch", "unroll", "ms_median", "ms_min",
                     "ms_max", "spread_pct", "frames_per_s", "repeats"});
  auto add = [&](const std::string& step, int64_t rows, int64_t length, const Timing& timing) {
    table.add_row({step, device.str(), device.is_cpu() ? std::to_string(threads) : "-",
                   std::to_string(rows), std::to_string(length), fixed(1000 * timing.median, 2),
                   fixed(1000 * timing.min, 2), fixed(1000 * timing.max, 2),
                   fixed(timing.spread_percent(), 1),
                   fixed(static_cast<double>(rows * length) / timing.median, 1),
                   std::to_string(timing.repeats)});
  };

  {  // The policy: evaluate_unroll over [T, B], A2C loss, backward, clipping, Adam.
    const render::ActionSpec spec = bench_action_spec(rgb);
    const model::PolicyConfig policy_config = bench_policy_config(size, rgb, conditional);
    model::Policy policy(policy_config, spec);
    policy->to(device);
    const auto optimizer = learn::make_adam(policy->parameters(), learn::policy_adam_options(1e-4));
    const int64_t c = policy_config.channels;
    model::PolicyInput inputs;
    inputs.canvas = torch::rand({unroll, batch, c, 64, 64}, floats);
    if (conditional) inputs.target = torch::rand_like(inputs.canvas);
    inputs.prev_commands = random_commands(spec, {unroll, batch}, device);
    inputs.prev_masks =
        model::command_mask(spec, inputs.prev_commands.flatten(0, 1).select(1, 0).cpu())
            .view({unroll, batch, -1})
            .to(device);
    if (policy_config.resolved_noise_dim() > 0) {
      inputs.noise = torch::randn({unroll, batch, policy_config.resolved_noise_dim()}, floats);
    }
    const torch::Tensor commands = random_commands(spec, {unroll, batch}, device);
    torch::Tensor rewards = torch::zeros({unroll, batch}, floats);
    rewards[unroll - 1] = torch::randn({batch}, floats);
    const model::PolicyState start = policy->initial_state(batch);
    log_info("learner: policy step at ", batch, " x ", unroll);
    const Timing timing = time_repeats(
        [&] {
          optimizer->zero_grad();
          const model::PolicyStep step = policy->evaluate_unroll(inputs, start, commands);
          const learn::A2CLoss loss =
              learn::a2c_loss(step.log_prob, step.entropy, step.value, rewards);
          loss.total.backward();
          learn::clip_gradients(policy->parameters(), kGradClip);
          optimizer->step();
        },
        warmup, repeats, sync);
    add("policy_a2c", batch, unroll, timing);
  }

  {  // The discriminator: one WGAN-GP update on d_batch real and d_batch fake images.
    model::Discriminator discriminator(bench_discriminator_config(rgb, conditional));
    discriminator->to(device);
    const auto optimizer =
        learn::make_adam(discriminator->parameters(), learn::discriminator_adam_options());
    const int64_t c = rgb ? 3 : 1;
    const torch::Tensor real = torch::rand({d_batch, c, 64, 64}, floats);
    const torch::Tensor fake = torch::rand({d_batch, c, 64, 64}, floats);
    at::Generator generator = model::make_generator(seed);
    log_info("learner: discriminator step at ", d_batch, " real + ", d_batch, " fake");
    const Timing timing = time_repeats(
        [&] {
          optimizer->zero_grad();
          const learn::DiscriminatorLoss loss = learn::discriminator_loss(
              discriminator, learn::DiscriminatorLossConfig(), real, fake, &generator);
          loss.total.backward();
          optimizer->step();
        },
        warmup, repeats, sync);
    add("discriminator_wgan_gp", 2 * d_batch, 1, timing);
  }
  emit_table(table, config.get_text("csv"));
  return 0;
}

}  // namespace

Command learner_action() {
  return {
      "learner",
      "Frames/s of one policy learning step (B x T) and of one WGAN-GP discriminator update.",
      {{"bench",
        {
            int_option("batch", 64, 1, 65536, "episodes", "Episodes per policy step (B)"),
            int_option("unroll", 19, 1, 10000, "steps", "Steps per episode (T)"),
            int_option("d-batch", 64, 1, 65536, "images",
                       "Real images (and as many fakes) per discriminator update"),
            choice_option("size", "paper", {"paper", "small"},
                          "Policy size: paper (8 blocks, LSTM 256), small (2 blocks, LSTM 128)"),
            choice_option("color", "gray", {"gray", "rgb"}, "Canvas colours"),
            bool_option("conditional", true, "Policy and discriminator see a target image"),
            int_option("repeats", 5, 1, 100000, "repeats", "Timed steps (median reported)"),
            int_option("warmup", 2, 0, 100000, "steps", "Untimed steps first"),
            bool_option("tf32", false, "Allow TF32 matrix products and convolutions (CUDA)"),
            device_option(),
            text_option("csv", "", "Also write the table to this CSV file"),
        }}},
      run_bench_learner,
      {}};
}

}  // namespace spiral::bench
