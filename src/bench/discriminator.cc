// `spiral bench discriminator`: whether an input file's discriminator can serve as a reward. D is
// trained alone, with the training code's loss and options, on real images against a fixed pool
// of renders of graded quality; every --report-every updates it is scored on a second pool, of
// targets it never trained on: does its reward rank renders as their MSE to the target does, and
// does it prefer a target's own render to another target's, without telling every render from
// the real images?
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "spiral/bench/actions.h"
#include "spiral/bench/util.h"
#include "spiral/core/command.h"
#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/split.h"
#include "spiral/learn/a2c.h"
#include "spiral/learn/discriminator_check.h"
#include "spiral/learn/discriminator_loss.h"
#include "spiral/learn/rollout.h"
#include "spiral/learn/trainer.h"
#include "spiral/model/policy.h"
#include "spiral/render/options.h"
#include "spiral/render/program.h"
#include "spiral/run/train_settings.h"

namespace spiral::bench {
namespace {

// `count` indices spread evenly over `indices`, starting `offset` of the way into each stride.
std::vector<size_t> spread(const std::vector<size_t>& indices, size_t count, double offset) {
  std::vector<size_t> picked;
  const double stride = static_cast<double>(indices.size()) / static_cast<double>(count);
  for (size_t i = 0; i < count; ++i) {
    picked.push_back(indices[static_cast<size_t>((static_cast<double>(i) + offset) * stride)]);
  }
  return picked;
}

// The targets of `indices` in the observation's layout, as the program search wants them.
std::vector<std::vector<float>> unit_targets(const data::Dataset& dataset,
                                             const std::vector<size_t>& indices, int canvas,
                                             int channels) {
  std::vector<std::vector<float>> targets;
  for (size_t index : indices) {
    targets.push_back(data::to_unit_floats(learn::target_image(dataset, index, canvas, channels)));
  }
  return targets;
}

// The training side's images (all, or `limit` spread over it) as a [N, C, H, W] tensor.
torch::Tensor real_images(const data::Dataset& dataset, const std::vector<size_t>& indices,
                          int canvas, int channels) {
  std::vector<torch::Tensor> rows;
  for (size_t index : indices) {
    rows.push_back(learn::image_to_tensor(learn::target_image(dataset, index, canvas, channels)));
  }
  return torch::stack(rows);
}

std::string figure(double value) { return std::isfinite(value) ? fixed(value, 3) : "-"; }

// What D trains on and is checked on: renders of one set of training targets and of another set
// (from the side --check-on names), and for an unconditional D, real digits.
struct Pools {
  learn::RenderPool train;
  learn::RenderPool check;
  torch::Tensor reals;    // unconditional: [N, C, H, W]
  size_t targets = 0;     // per pool
  bool held_out = false;  // the check's targets are from the held-out side
};

Pools make_pools(const Config& config, const render::EnvironmentSettings& settings,
                 const learn::TrainerConfig& trainer, const data::Dataset& dataset, int canvas,
                 int channels) {
  Pools pools;
  const data::Split split = data::split_dataset(dataset, data::parse_split_rule("every:10"));
  pools.targets = static_cast<size_t>(config.get_int("pool-targets"));
  pools.held_out = config.get_text("check-on") == "held-out";
  const std::vector<size_t>& check_side = pools.held_out ? split.held_out : split.train;
  if (split.train.size() < 2 * pools.targets || check_side.size() < pools.targets) {
    throw UserError("spiral bench discriminator: " + dataset.name() + " has too few images for " +
                    std::to_string(pools.targets) + " pool targets on each side");
  }
  // D trains on renders of one set of training targets and is checked on another.
  const std::vector<size_t> train_targets = spread(split.train, pools.targets, 0.25);
  const std::vector<size_t> check_targets =
      spread(check_side, pools.targets, pools.held_out ? 0.5 : 0.75);
  learn::RenderPoolOptions options;
  options.random_programs = static_cast<int>(config.get_int("random-programs"));
  options.other_targets =
      trainer.conditional ? static_cast<int>(config.get_int("other-targets")) : 0;
  options.seed = static_cast<uint64_t>(config.get_int("seed"));
  options.search.candidates = config.get_int("candidates");
  options.search.sample_seed = options.seed;
  options.search.threads = trainer.render_threads;
  const auto make_pool = [&](const std::vector<size_t>& indices, const char* which) {
    options.progress = [which](size_t done, size_t total) {
      if (done % 8 == 0 || done == total) {
        log_info("render pool (", which, "): greedy programs of ", done, "/", total, " targets");
      }
    };
    return learn::make_render_pool(settings, unit_targets(dataset, indices, canvas, channels),
                                   options);
  };
  pools.train = make_pool(train_targets, "training");
  pools.check = make_pool(check_targets, "check");
  if (!trainer.conditional) {
    pools.reals =
        real_images(dataset, spread(split.train, std::min<size_t>(split.train.size(), 2000), 0.5),
                    canvas, channels);
  }
  return pools;
}

// Trains `discriminator` for --updates on `pools`' training renders, checking it on the check pool
// every --report-every updates; the figures of each check.
FigureTable train_and_check(const Config& config, const learn::TrainerConfig& trainer,
                            model::Discriminator& discriminator, const Pools& pools) {
  const std::unique_ptr<torch::optim::Adam> optimizer = learn::make_adam(
      discriminator->parameters(), learn::discriminator_adam_options(trainer.discriminator_lr));
  const learn::DiscriminatorLossConfig loss_config = learn::discriminator_loss_config(trainer);
  const bool non_saturating = trainer.gan_loss == learn::GanLoss::kNonSaturating;
  at::Generator generator = model::make_generator(trainer.seed);
  const int64_t updates = config.get_int("updates");
  const int64_t every = config.get_int("report-every");
  FigureTable table({"updates", "d_loss", "rank_corr", "rank_corr_within", "matching_share",
                     "accuracy", "real_over_fake", "real_score", "fake_score"});
  double last_loss = std::nan("");
  for (int64_t update = 0; update <= updates; ++update) {
    if (update % every == 0 || update == updates) {
      const learn::DiscriminatorCheck check = learn::check_discriminator(
          discriminator, pools.check, trainer.complement_discriminator, non_saturating);
      table.add_row({std::to_string(update), figure(last_loss), figure(check.rank_correlation),
                     figure(check.rank_correlation_within), figure(check.matching_share),
                     figure(check.accuracy), figure(check.real_over_fake), figure(check.real_score),
                     figure(check.fake_score)});
      log_info("update ", update, ": rank correlation ", figure(check.rank_correlation),
               ", matching share ", figure(check.matching_share), ", accuracy ",
               figure(check.accuracy));
    }
    if (update == updates) break;
    const learn::RenderPool& train = pools.train;
    const torch::Tensor rows =
        torch::randint(train.renders.size(0), {trainer.batch}, generator, torch::kLong);
    const torch::Tensor fake = train.renders.index_select(0, rows);
    const torch::Tensor real =
        trainer.conditional
            ? train.targets.index_select(
                  0, torch::tensor(train.target_of, torch::kLong).index_select(0, rows))
            : pools.reals.index_select(
                  0, torch::randint(pools.reals.size(0), {trainer.batch}, generator, torch::kLong));
    last_loss =
        learn::discriminator_update(discriminator, *optimizer, loss_config, real, fake, &generator)
            .loss;
  }
  return table;
}

int run_bench_discriminator(const Config& config, CommandContext&) {
  const render::EnvironmentSettings settings = render::environment_settings(config);
  learn::TrainerConfig trainer = run::trainer_config(config, settings);
  if (!trainer.conditional && (trainer.complement_discriminator || trainer.mismatched_fakes)) {
    throw UserError(
        "--complement-discriminator and --mismatched-fakes need --conditional true (they pair "
        "targets)");
  }
  const std::shared_ptr<const data::Dataset> dataset =
      data::open_dataset(config.get_text("dataset"));
  const std::unique_ptr<render::Environment> probe = render::make_environment(settings);
  const render::Observation& blank = probe->reset(1);
  const int canvas = blank.width, channels = blank.channels;
  model::DiscriminatorConfig d_config = trainer.discriminator;
  d_config.canvas = canvas;
  d_config.channels = channels;
  d_config.conditional = trainer.conditional;
  torch::manual_seed(trainer.seed);
  model::Discriminator discriminator(d_config);
  discriminator->to(trainer.device);
  const Pools pools = make_pools(config, settings, trainer, *dataset, canvas, channels);

  std::printf(
      "discriminator check: %s D (widths %s%s%s%s%s), %s, lr %g, batch %d; pools of %zu targets "
      "(%lld renders to train on, %lld to check, the check's targets from the %s side)\n",
      trainer.conditional ? "conditional" : "unconditional",
      config.get_text("discriminator-widths").c_str(),
      d_config.input_pool > 1 ? (", pool " + std::to_string(d_config.input_pool)).c_str() : "",
      d_config.spectral_norm ? ", SN" : "", trainer.complement_discriminator ? ", complement" : "",
      trainer.mismatched_fakes ? ", mismatched fakes" : "",
      trainer.gan_loss == learn::GanLoss::kNonSaturating ? "non-saturating" : "WGAN-GP",
      trainer.discriminator_lr, trainer.batch, pools.targets,
      static_cast<long long>(pools.train.renders.size(0)),
      static_cast<long long>(pools.check.renders.size(0)),
      pools.held_out ? "held-out" : "training");
  std::fflush(stdout);
  emit_table(train_and_check(config, trainer, discriminator, pools), config.get_text("csv"));
  std::printf(
      "rank_corr: Spearman's correlation of D's reward with -MSE over the check pool (1: ranks "
      "as MSE does); matching_share: a target's own greedy render rewarded above another "
      "target's; accuracy: real images against renders (1: D tells every render apart)\n");
  return 0;
}

}  // namespace

Command discriminator_action() {
  std::vector<OptionGroup> groups = run::train_option_groups();
  groups.push_back(
      {"discriminator check",
       {
           int_option("pool-targets", 16, 2, 4096, "images",
                      "Targets in each pool: D trains on renders of one set of training "
                      "targets and is checked on another"),
           choice_option("check-on", "train", {"train", "held-out"},
                         "Side of the split every:10 the check pool's targets come from (choose "
                         "settings on train; report on held-out)"),
           int_option("random-programs", 2, 0, 1000, "programs",
                      "Programs of random commands per target"),
           int_option("other-targets", 2, 0, 1000, "renders",
                      "Conditional D: other targets' greedy programs scored under each target"),
           int_option("candidates", 256, 1, 1 << 24, "commands",
                      "Commands the greedy search scores per step (a random sample, then every "
                      "value of each part of the best)"),
           int_option("updates", 400, 0, 10000000, "updates", "D updates"),
           int_option("report-every", 100, 1, 10000000, "updates",
                      "Updates between rows of the table"),
           text_option("csv", "", "Also write the table to this CSV file"),
       }});
  return {"discriminator",
          "Train D alone against a pool of renders of graded quality and measure it as a "
          "reward: rank correlation with -MSE, matching share, accuracy.",
          groups,
          run_bench_discriminator,
          {}};
}

}  // namespace spiral::bench
