#include "spiral/run/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/io/png.h"
#include "spiral/learn/checkpoint.h"
#include "spiral/render/program.h"
#include "spiral/run/train_settings.h"

namespace spiral::run {
namespace {

// How many held-out images the run scores (`used`), and why fewer than --held-out asked for.
std::string held_out_text(size_t used, int asked) {
  std::string text = std::to_string(used) + " held-out images";
  if (used < static_cast<size_t>(asked)) {
    text += " (--held-out " + std::to_string(asked) + ": its held-out side holds no more)";
  }
  return text;
}

// The progress line's part on the last evaluation: " held_out_mse 0.0621 (0.60x blank)" (a scene
// builder's: "x floor"), or an unconditional agent's " samples distinct 12/32 blank 3/32"; "-"
// before a resumed run's first evaluation.
std::string progress_quality(bool conditional, const learn::HeldOutResult& held) {
  std::ostringstream text;
  if (conditional && std::isnan(held.mse)) {
    text << " held_out_mse -";
  } else if (conditional) {
    text << " held_out_mse " << held.mse;
    if (held.blank_mse > 0) {
      text << " (" << std::fixed << std::setprecision(2) << held.mse / held.blank_mse << "x "
           << (held.empty_floor ? "floor" : "blank") << ")";
    }
  } else {
    text << " samples " << sample_text(held);
  }
  return text.str();
}

}  // namespace

std::string sample_text(const learn::HeldOutResult& held) {
  if (held.renders.empty()) return "-";  // not evaluated yet (a resumed run)
  const std::string of = "/" + std::to_string(held.renders.size());
  return "distinct " + std::to_string(held.distinct) + of + " blank " + std::to_string(held.blank) +
         of;
}

std::vector<std::string> run_summary(const Config& config, const learn::TrainerConfig& settings,
                                     size_t held_out, int ranks,
                                     const std::filesystem::path& run_dir) {
  const render::EnvironmentSettings& environment = settings.environment;
  const bool painter = environment.kind == render::EnvironmentSettings::Kind::kPainter;
  const Budget budget = budget_of(config);
  std::ostringstream run, env, data, agent, limits;
  run << "spiral train on " << ranks << " rank(s), --mode " << config.get_text("mode")
      << "; run folder " << run_dir.string();
  if (!config.get_text("resume").empty()) run << " (--resume " << config.get_text("resume") << ")";
  env << "environment " << config.get_text("env") << ": "
      << (painter ? environment.painter.canvas : environment.scene.image_size) << " px, "
      << (painter ? environment.painter.episode_length : environment.scene.episode_length)
      << " steps per episode; actions " << render::action_spec_for(environment).describe();
  data << "dataset " << config.get_text("dataset") << ", "
       << (settings.conditional ? "conditional (the agent reconstructs a target image)"
                                : "unconditional (the agent paints from noise)")
       << ", " << held_out_text(held_out, settings.held_out);
  const std::string reward = config.get_text("reward");
  agent << "reward " << reward << " (";
  if (reward != "none") agent << config.get_text("reward-timing");
  if (reward == "l2") {
    agent << ", " << config.get_text("l2-form");
    if (settings.reward.l2_blur > 0) agent << ", blurred by " << settings.reward.l2_blur << " px";
  }
  if (reward == "discriminator" && settings.discriminator.input_pool > 1) {
    agent << ", D on " << settings.discriminator.input_pool << " x "
          << settings.discriminator.input_pool << " averages";
  }
  if (settings.hindsight > 0) {
    agent << (reward != "none" ? ", " : "") << "hindsight " << settings.hindsight;
  }
  if (settings.random_parts > 0) agent << ", " << settings.random_parts << " of parts random";
  agent << "); policy " << config.get_text("policy-size") << " (" << settings.policy.residual_blocks
        << " residual blocks, LSTM " << settings.policy.lstm_size
        << (settings.policy.first_stride > 1
                ? ", first convolution at stride " + std::to_string(settings.policy.first_stride)
                : std::string())
        << "); batch " << settings.batch << " episodes per update; "
        << (settings.bf16 ? "bf16 convolutions (policy torso, D)" : "fp32")
        << (config.get_text("precision") == "auto" ? " (--precision auto)" : "")
        << (settings.policy.channels_last ? ", channels-last" : "");
  limits << "budget: --frames " << budget.frames << ", --duration " << limit_text(budget.duration)
         << ", --time-limit " << limit_text(budget.time_limit);
  return {run.str(),
          env.str(),
          data.str(),
          agent.str(),
          limits.str(),
          "full configuration: " + (run_dir / "config.cfg").string() +
              " (spiral train --print-config prints it)"};
}

std::string policy_lag_text(const Config& config) {
  if (!vtrace_on(config)) return "not corrected (--vtrace false)";
  if (config.get_int("episodes-per-target") == 1) return "corrected with V-trace";
  return "corrected: each step's advantage over the target's other episodes is weighted by "
         "V-trace's importance weight min(1, pi/mu)";
}

std::string mse_beside_start(const learn::HeldOutResult& held) {
  std::ostringstream text;
  text << held.mse << " (" << (held.empty_floor ? "empty floor " : "blank canvas ")
       << held.blank_mse << ")";
  return text.str();
}

std::string evaluation_text(bool conditional, const learn::HeldOutResult& held) {
  std::ostringstream text;
  if (conditional) {
    text << "held-out MSE " << mse_beside_start(held);
  } else {
    text << "samples " << sample_text(held);
  }
  return text.str();
}

std::string progress_line(const Progress& p) {
  std::ostringstream line;
  line << "frames " << p.frames << " frames/s " << static_cast<int64_t>(p.fps + 0.5)
       << " policy_loss " << p.stats.policy_loss + 0.0  // a zero loss prints 0, not -0
       << " value_loss " << p.stats.value_loss << " entropy " << p.stats.entropy;
  if (!std::isnan(p.stats.hindsight_loss)) line << " hindsight_loss " << p.stats.hindsight_loss;
  if (!std::isnan(p.policy_lr)) line << " policy_lr " << p.policy_lr;
  if (!std::isnan(p.stats.discriminator_loss)) line << " D_loss " << p.stats.discriminator_loss;
  line << " reward " << p.stats.reward << progress_quality(p.conditional, p.held) << p.recognition
       << " elapsed " << format_duration(p.elapsed) << " ETA " << format_duration(p.eta);
  if (p.flow != nullptr) {  // where an asynchronous run's time goes
    line.precision(3);
    line << " | produced " << static_cast<int64_t>(p.produced) << " queue "
         << p.flow->holders.queued << " lag " << p.flow->lag_mean << " waiting "
         << static_cast<int64_t>(100 * p.flow->total_wait_seconds / std::max(p.elapsed, 1e-9))
         << "%";
  }
  return line.str();
}

void write_grid(const std::filesystem::path& run_dir, int64_t step,
                const learn::HeldOutResult& held) {
  const bool samples = held.targets.empty();  // an unconditional agent's samples
  char name[64];
  std::snprintf(name, sizeof name, "%s-%08lld.png", samples ? "samples" : "reconstruction",
                static_cast<long long>(step));
  const std::filesystem::path path = run_dir / "images" / name;
  const size_t columns = std::min<size_t>(8, held.renders.size());
  if (columns == 0) return;
  std::vector<Image> cells;
  if (samples) {  // two rows of samples
    cells.assign(held.renders.begin(),
                 held.renders.begin() + std::min<size_t>(2 * columns, held.renders.size()));
  } else {  // targets above their reconstructions
    cells.assign(held.targets.begin(), held.targets.begin() + columns);
    cells.insert(cells.end(), held.renders.begin(), held.renders.begin() + columns);
  }
  io::write_png(path.string(), tile_grid(cells, static_cast<int>(columns), 128));
}

std::optional<std::filesystem::path> newest_grid(const std::filesystem::path& run_dir,
                                                 int64_t max_step) {
  std::optional<std::filesystem::path> newest;
  int64_t newest_step = -1;
  std::error_code error;  // no images folder: no grid
  for (const auto& entry : std::filesystem::directory_iterator(run_dir / "images", error)) {
    const std::string stem = entry.path().stem().string();
    const size_t dash = stem.rfind('-');
    if (entry.path().extension() != ".png" || dash == std::string::npos) continue;
    const std::string digits = stem.substr(dash + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const int64_t step = std::stoll(digits);
    if (step > newest_step && step <= max_step) {
      newest_step = step;
      newest = entry.path();
    }
  }
  return newest;
}

std::string newest_checkpoint_name(const std::filesystem::path& run_dir) {
  const std::vector<std::filesystem::path> checkpoints = learn::list_checkpoints(run_dir);
  return checkpoints.empty() ? "none" : checkpoints.front().string();
}

}  // namespace spiral::run
