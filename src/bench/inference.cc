// `spiral bench inference`: policy act() steps/s over batch sizes, colours and network sizes.
#include <ATen/Parallel.h>

#include <iostream>
#include <string>
#include <vector>

#include "spiral/bench/actions.h"
#include "spiral/bench/models.h"
#include "spiral/bench/util.h"
#include "spiral/core/logging.h"

namespace spiral::bench {
namespace {

// Times `steps` act() calls per repeat on a batch of `batch` random canvases; returns seconds.
Timing time_policy(const model::PolicyConfig& config, const render::ActionSpec& spec, int batch,
                   const torch::Device& device, const Config& options, uint64_t seed) {
  torch::NoGradGuard no_grad;
  model::Policy policy(config, spec);
  policy->to(device);
  policy->eval();
  at::Generator generator = model::make_generator(seed);
  const auto floats = torch::TensorOptions().dtype(torch::kFloat).device(device);
  model::PolicyInput input;
  input.canvas = torch::rand({batch, config.channels, config.canvas, config.canvas}, floats);
  if (config.conditional) input.target = torch::rand_like(input.canvas);
  input.prev_commands = random_commands(spec, {batch}, device);
  input.prev_masks = torch::zeros({batch, static_cast<int64_t>(spec.size())}, floats);
  if (config.resolved_noise_dim() > 0) {
    input.noise = torch::randn({batch, config.resolved_noise_dim()}, floats);
  }
  model::PolicyState state = policy->initial_state(batch);
  const int steps = static_cast<int>(options.get_int("steps"));
  auto work = [&] {
    for (int i = 0; i < steps; ++i) {
      model::PolicyStep step = policy->act(input, state, &generator);
      state = step.state;
      input.prev_commands = step.commands;
      input.prev_masks = step.masks;
    }
  };
  return time_repeats(work, static_cast<int>(options.get_int("warmup")),
                      static_cast<int>(options.get_int("repeats")), device_sync(device));
}

int run_bench_inference(const Config& config, CommandContext&) {
  const torch::Device device = bench_device(config);
  const std::vector<int> batches = parse_int_list("batches", config.get_text("batches"), 1, 65536);
  const std::vector<std::string> sizes =
      parse_word_list("sizes", config.get_text("sizes"), {"paper", "small"});
  const std::vector<std::string> colors =
      parse_word_list("colors", config.get_text("colors"), {"gray", "rgb"});
  const bool conditional = config.get_bool("conditional");
  const int steps = static_cast<int>(config.get_int("steps"));
  const int threads = at::get_num_threads();
  const uint64_t seed = static_cast<uint64_t>(config.get_int("seed"));
  torch::manual_seed(seed);
  std::cout << "policy act() on " << device.str()
            << (device.is_cpu() ? ", " + std::to_string(threads) + " LibTorch threads" : "")
            << ", 64x64 canvas, " << (conditional ? "conditional" : "unconditional") << ", "
            << steps << " steps per repeat, " << config.get_int("repeats") << " repeats after "
            << config.get_int("warmup") << " warm-up\n";
  FigureTable table({"size", "color", "batch", "device", "threads", "steps_per_s", "ms_per_act",
                     "steps_per_s_per_core", "spread_pct", "repeats"});
  for (const std::string& size : sizes) {
    for (const std::string& color : colors) {
      const bool rgb = color == "rgb";
      const render::ActionSpec spec = bench_action_spec(rgb);
      const model::PolicyConfig policy_config = bench_policy_config(size, rgb, conditional);
      for (int batch : batches) {
        log_info("inference: ", size, " ", color, " batch ", batch);
        const Timing timing = time_policy(policy_config, spec, batch, device, config, seed);
        const double steps_per_s = static_cast<double>(batch) * steps / timing.median;
        table.add_row({size, color, std::to_string(batch), device.str(),
                       device.is_cpu() ? std::to_string(threads) : "-", fixed(steps_per_s, 1),
                       fixed(1000.0 * timing.median / steps, 3),
                       device.is_cpu() ? fixed(steps_per_s / threads, 1) : "-",
                       fixed(timing.spread_percent(), 1), std::to_string(timing.repeats)});
      }
    }
  }
  emit_table(table, config.get_text("csv"));
  return 0;
}

}  // namespace

Command inference_action() {
  return {"inference",
          "Policy act() steps/s by batch, colour and network size (CPU per core, or CUDA).",
          {{"bench",
            {
                text_option("batches", "1,8,32,128", "Batch sizes, comma separated"),
                text_option("sizes", "paper,small",
                            "Policy sizes: paper (8 blocks, LSTM 256), small (2 blocks, LSTM 128)"),
                text_option("colors", "gray,rgb", "Canvas colours: gray, rgb"),
                bool_option("conditional", true, "Policy sees a target image"),
                int_option("steps", 10, 1, 1000000, "steps", "act() calls per timed repeat"),
                int_option("repeats", 5, 1, 100000, "repeats", "Timed repeats (median reported)"),
                int_option("warmup", 2, 0, 100000, "repeats", "Untimed repeats first"),
                device_option(),
                text_option("csv", "", "Also write the table to this CSV file"),
            }}},
          run_bench_inference,
          {}};
}

}  // namespace spiral::bench
