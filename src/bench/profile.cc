// `spiral bench profile`: where one update of an input file's training goes, phase by phase
// (rendering, inference while acting, rewards, the policy's forward, backward and Adam step, D's
// updates, the held-out evaluation amortised over --eval-every), with the floating-point
// operations of each phase and the share of this machine's peak it reaches, the peak measured as
// a plain fp32 matrix product on the same threads.
#include <ATen/Parallel.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "spiral/bench/actions.h"
#include "spiral/bench/util.h"
#include "spiral/core/command.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/learn/phase_times.h"
#include "spiral/learn/trainer.h"
#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/render/options.h"
#include "spiral/run/train_settings.h"

namespace spiral::bench {
namespace {

constexpr int64_t kPeakSide = 2048;  // of the square matrices whose product measures the peak

// GFLOP/s of a product of two kPeakSide-square matrices of `dtype`: the best of `repeats`.
double peak_gflops(torch::ScalarType dtype, int repeats) {
  const torch::Tensor a = torch::randn({kPeakSide, kPeakSide}).to(dtype);
  const torch::Tensor b = torch::randn({kPeakSide, kPeakSide}).to(dtype);
  const Timing timing = time_repeats([&] { torch::mm(a, b); }, 1, repeats, [] {});
  return 2.0 * kPeakSide * kPeakSide * kPeakSide / timing.min / 1e9;
}

// One phase's row: milliseconds per update, share of the update, GFLOP per update, GFLOP/s, and
// the share of `peak` ("-" where the phase does no counted arithmetic).
std::vector<std::string> phase_row(const std::string& name, double seconds, double total,
                                   double gflop, double peak) {
  const bool counted = gflop > 0 && seconds > 0;
  return {name,
          fixed(1000 * seconds, 2),
          fixed(100 * seconds / total, 1),
          counted ? fixed(gflop, 3) : "-",
          counted ? fixed(gflop / seconds, 1) : "-",
          counted ? fixed(100 * gflop / seconds / peak, 1) : "-"};
}

int run_bench_profile(const Config& config, CommandContext&) {
  const render::EnvironmentSettings environment = render::environment_settings(config);
  learn::TrainerConfig settings = run::trainer_config(config, environment);
  const int updates = static_cast<int>(config.get_int("updates"));
  const int warmup = static_cast<int>(config.get_int("warmup"));
  const int64_t eval_every = config.get_int("eval-every");
  const int threads = at::get_num_threads();
  const double peak = peak_gflops(torch::kFloat, 3);
  std::cout << "peak: fp32 " << kPeakSide << "^3 matrix product on " << threads
            << " LibTorch thread(s): " << fixed(peak, 1) << " GFLOP/s\n";
  if (settings.bf16) {
    std::cout << "bf16 " << kPeakSide
              << "^3 matrix product: " << fixed(peak_gflops(torch::kBFloat16, 3), 1)
              << " GFLOP/s (pct_of_peak below is of the fp32 peak, for every phase)\n";
  }

  const std::shared_ptr<const data::Dataset> dataset =
      data::open_dataset(config.get_text("dataset"));
  learn::Trainer trainer(settings, dataset);
  const model::PolicyConfig& policy = trainer.policy()->config();
  const double policy_flops =
      static_cast<double>(model::policy_forward_flops(policy, trainer.policy()->spec()));
  const double d_flops =
      static_cast<double>(model::discriminator_forward_flops(trainer.discriminator()->config()));
  model::PolicyConfig paper_policy = policy;
  paper_policy.torso_width = 32;
  paper_policy.first_stride = 1;
  paper_policy.residual_blocks = 8;
  paper_policy.lstm_size = 256;
  std::cout << "policy forward: " << fixed(policy_flops / 1e6, 2) << " MFLOP per frame (this file; "
            << fixed(model::policy_forward_flops(paper_policy, trainer.policy()->spec()) / 1e6, 2)
            << " with the paper's torso, blocks and LSTM on this action space); discriminator "
            << "forward: " << fixed(d_flops / 1e6, 2) << " MFLOP per image\n";

  log_info("profile: ", warmup, " warm-up update(s), then ", updates);
  for (int i = 0; i < warmup; ++i) trainer.train_step();
  learn::PhaseTimes phases;
  int64_t frames = 0;
  learn::Stopwatch clock;
  for (int i = 0; i < updates; ++i) {
    const learn::TrainStepStats stats = trainer.train_step();
    phases += stats.phases;
    frames += stats.frames;
  }
  const double wall = clock.lap();
  trainer.held_out();
  const double evaluation = clock.lap() / static_cast<double>(eval_every);

  const double n = updates;
  const double frames_per_update = static_cast<double>(frames) / n;
  const double steps = frames_per_update / settings.batch;  // an update plays --batch episodes
  const double held_frames =
      static_cast<double>(learn::held_out_images(*dataset, settings.held_out).size()) * steps;
  // D: one forward and a backward of twice its cost per image, real and fake, per D update (the
  // gradient penalty's extra passes not counted).
  const double d_images = 2.0 * settings.batch * settings.discriminator_updates;
  const bool uses_d = settings.reward.discriminator_weight != 0;
  // D scores every step's canvas for per-step rewards, the final one alone otherwise.
  const double d_reward_images =
      static_cast<double>(settings.batch) *
      (settings.reward.discriminator_mode == learn::DiscriminatorReward::kFinal ? 1.0 : steps + 1);
  const double total = phases.total() / n + evaluation;
  const double g = 1e-9;
  FigureTable table(
      {"phase", "ms_per_update", "share_pct", "gflop_per_update", "gflops", "pct_of_peak"});
  table.add_row(phase_row("render", phases.render / n, total, 0, peak));
  table.add_row(phase_row("inference (acting)", phases.inference / n, total,
                          g * policy_flops * frames_per_update, peak));
  table.add_row(phase_row("rewards", phases.rewards / n, total,
                          uses_d ? g * d_flops * d_reward_images : 0, peak));
  table.add_row(phase_row("policy forward", phases.forward / n, total,
                          g * policy_flops * frames_per_update, peak));
  table.add_row(phase_row("policy backward", phases.backward / n, total,
                          g * 2 * policy_flops * frames_per_update, peak));
  table.add_row(phase_row("policy Adam", phases.optimizer / n, total, 0, peak));
  table.add_row(phase_row("discriminator", phases.discriminator / n, total,
                          uses_d ? g * 3 * d_flops * d_images : 0, peak));
  table.add_row(phase_row("evaluation (1/" + std::to_string(eval_every) + ")", evaluation, total,
                          g * policy_flops * held_frames / static_cast<double>(eval_every), peak));
  table.add_row({"total", fixed(1000 * total, 2), "100.0", "-", "-", "-"});
  emit_table(table, config.get_text("csv"));
  std::cout << "frames/s: " << fixed(static_cast<double>(frames) / wall, 1) << " over " << updates
            << " updates (" << fixed(frames_per_update, 0)
            << " frames each; evaluation not included), " << fixed(frames_per_update / total, 1)
            << " with the evaluation amortised\n";
  return 0;
}

}  // namespace

Command profile_action() {
  std::vector<OptionGroup> groups = run::train_option_groups();
  groups.push_back({"profile",
                    {
                        int_option("updates", 20, 1, 1000000, "updates", "Updates timed"),
                        int_option("warmup", 2, 0, 1000000, "updates", "Updates run untimed first"),
                        text_option("csv", "", "Also write the table to this CSV file"),
                    }});
  return {"profile",
          "One update of an input file's training, phase by phase: milliseconds, FLOPs and the "
          "share of this machine's peak.",
          groups,
          run_bench_profile,
          {}};
}

}  // namespace spiral::bench
