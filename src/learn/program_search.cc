#include "spiral/learn/program_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/render/environment_batch.h"
#include "spiral/render/program.h"

namespace spiral::learn {
namespace {

// Largest space enumerated command by command.
constexpr double kMaxEnumerated = 1 << 22;

// The parts that matter for each value of the first part (the environments decide what matters
// from the first part alone: a jump, a skip).
std::vector<render::PartMask> masks_by_first_value(const render::Environment& env) {
  const render::ActionSpec& spec = env.action_spec();
  std::vector<render::PartMask> masks;
  for (int v = 0; v < spec.parts()[0].size; ++v) {
    render::Command command(spec.size(), 0);
    command[0] = v;
    masks.push_back(env.mask(command));
  }
  return masks;
}

// Every distinct command: for each first value, every combination of the parts that matter.
std::vector<render::Command> every_command(const render::ActionSpec& spec,
                                           const std::vector<render::PartMask>& masks) {
  std::vector<render::Command> commands;
  for (size_t v = 0; v < masks.size(); ++v) {
    render::Command command(spec.size(), 0);
    command[0] = static_cast<int32_t>(v);
    bool advanced = true;
    while (advanced) {
      commands.push_back(command);
      // Mixed-radix increment over the parts that matter (part 0 fixed).
      advanced = false;
      for (size_t p = spec.size() - 1; p >= 1 && !advanced; --p) {
        if (!masks[v][p]) continue;
        advanced = ++command[p] < spec.parts()[p].size;
        if (!advanced) command[p] = 0;
      }
    }
  }
  return commands;
}

// `command` with the parts that do not matter set to 0.
render::Command canonical(render::Command command, const std::vector<render::PartMask>& masks) {
  const render::PartMask& mask = masks[static_cast<size_t>(command[0])];
  for (size_t p = 1; p < command.size(); ++p) {
    if (!mask[p]) command[p] = 0;
  }
  return command;
}

// `count` random commands plus nothing else (canonical, duplicates allowed).
std::vector<render::Command> random_commands(const render::ActionSpec& spec,
                                             const std::vector<render::PartMask>& masks,
                                             int64_t count, std::mt19937_64* rng) {
  std::vector<render::Command> commands;
  for (int64_t i = 0; i < count; ++i) {
    render::Command command(spec.size());
    for (size_t p = 0; p < spec.size(); ++p) {
      command[p] = static_cast<int32_t>((*rng)() % static_cast<uint64_t>(spec.parts()[p].size));
    }
    commands.push_back(canonical(std::move(command), masks));
  }
  return commands;
}

// Every command that differs from `best` in one part (the parts that matter, and the first).
std::vector<render::Command> neighbours(const render::ActionSpec& spec,
                                        const std::vector<render::PartMask>& masks,
                                        const render::Command& best) {
  std::vector<render::Command> commands;
  const render::PartMask& mask = masks[static_cast<size_t>(best[0])];
  for (size_t p = 0; p < spec.size(); ++p) {
    if (p > 0 && !mask[p]) continue;
    for (int v = 0; v < spec.parts()[p].size; ++v) {
      if (v == best[p]) continue;
      render::Command command = best;
      command[p] = v;
      commands.push_back(canonical(std::move(command), masks));
    }
  }
  return commands;
}

// Plays the program `prefix` followed by each candidate and keeps the best; a batch of
// environments replays a chunk of candidates at a time.
class Scorer {
 public:
  Scorer(const render::EnvironmentSettings& settings,
         const std::vector<std::vector<float>>& targets, const ProgramSearchOptions& options)
      : targets_(targets),
        seed_(options.environment_seed),
        envs_(settings, std::max(1, options.environments), std::max(1, options.threads)) {}

  // Replaces `best` by the first of `candidates` (played after `prefix`) that scores lower than
  // best_mse(), and so on; updates best_mse() and canvas().
  void improve(const std::vector<render::Command>& prefix,
               const std::vector<render::Command>& candidates, render::Command* best) {
    const size_t width = static_cast<size_t>(envs_.size());
    for (size_t start = 0; start < candidates.size(); start += width) {
      const size_t count = std::min(width, candidates.size() - start);
      // Each environment plays the prefix and then its candidate (the last chunk's spare
      // environments repeat its first candidate).
      std::vector<render::Command> chunk(width, candidates[start]);
      std::copy_n(candidates.begin() + static_cast<std::ptrdiff_t>(start), count, chunk.begin());
      std::vector<std::vector<render::Command>> programs(width, prefix);
      for (size_t i = 0; i < width; ++i) programs[i].push_back(chunk[i]);
      envs_.replay(std::vector<uint64_t>(width, seed_), programs);
      scored_ += static_cast<int64_t>(count);
      for (size_t i = 0; i < count; ++i) {
        const std::vector<float>& canvas = envs_.observation(static_cast<int>(i)).canvas;
        const double mse = mean_error(canvas);
        if (mse < best_mse_) {
          *best = chunk[i];
          best_mse_ = mse;
          canvas_ = canvas;
        }
      }
    }
  }

  // Mean over targets of the MSE of `canvas`.
  double mean_error(const std::vector<float>& canvas) const {
    double total = 0;
    for (const std::vector<float>& target : targets_) total += mean_squared_error(canvas, target);
    return total / static_cast<double>(targets_.size());
  }

  void start_step() { best_mse_ = std::numeric_limits<double>::infinity(); }
  double best_mse() const { return best_mse_; }
  const std::vector<float>& canvas() const { return canvas_; }
  int64_t scored() const { return scored_; }

 private:
  const std::vector<std::vector<float>>& targets_;
  uint64_t seed_;
  render::EnvironmentBatch envs_;
  double best_mse_ = std::numeric_limits<double>::infinity();
  std::vector<float> canvas_;
  int64_t scored_ = 0;
};

}  // namespace

std::vector<render::Command> random_program(const render::Environment& env, std::mt19937_64* rng) {
  return random_commands(env.action_spec(), masks_by_first_value(env), env.episode_length(), rng);
}

std::vector<float> play_program(render::Environment& env,
                                const std::vector<render::Command>& program, uint64_t seed) {
  return env.replay(seed, program).canvas;
}

double mean_squared_error(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    const double d = static_cast<double>(a[k]) - b[k];
    sum += d * d;
  }
  return sum / static_cast<double>(a.size());
}

double distinct_command_count(const render::EnvironmentSettings& settings) {
  const std::unique_ptr<render::Environment> env = render::make_environment(settings);
  const render::ActionSpec& spec = env->action_spec();
  double count = 0;
  for (const render::PartMask& mask : masks_by_first_value(*env)) {
    double combinations = 1;
    for (size_t p = 1; p < spec.size(); ++p) {
      if (mask[p]) combinations *= spec.parts()[p].size;
    }
    count += combinations;
  }
  return count;
}

ProgramSearchResult greedy_program_search(const render::EnvironmentSettings& settings,
                                          const std::vector<std::vector<float>>& targets,
                                          const ProgramSearchOptions& options) {
  const std::unique_ptr<render::Environment> probe = render::make_environment(settings);
  const render::ActionSpec& spec = probe->action_spec();
  const std::vector<render::PartMask> masks = masks_by_first_value(*probe);
  const size_t pixels = probe->reset(options.environment_seed).canvas.size();
  if (targets.empty()) throw UserError("program search: no targets");
  for (const std::vector<float>& target : targets) {
    if (target.size() != pixels) {
      throw UserError("program search: a target has " + std::to_string(target.size()) +
                      " values, the canvas " + std::to_string(pixels));
    }
  }
  std::vector<render::Command> every;
  if (options.candidates <= 0) {
    const double count = distinct_command_count(settings);
    if (count > kMaxEnumerated) {
      throw UserError("program search: " + std::to_string(static_cast<int64_t>(count)) +
                      " distinct commands are too many to try each; sample some (candidates)");
    }
    every = every_command(spec, masks);
  }
  std::mt19937_64 rng(options.sample_seed);
  Scorer scorer(settings, targets, options);
  ProgramSearchResult result;
  for (int step = 1; step <= probe->episode_length(); ++step) {
    scorer.start_step();
    render::Command best;
    if (!every.empty()) {
      scorer.improve(result.program, every, &best);
    } else {
      scorer.improve(result.program, random_commands(spec, masks, options.candidates, &rng), &best);
      scorer.improve(result.program, neighbours(spec, masks, best), &best);
    }
    result.program.push_back(best);
    if (options.progress) options.progress(step, scorer.best_mse());
  }
  result.mse = scorer.best_mse();
  result.canvas = scorer.canvas();
  for (const std::vector<float>& target : targets) {
    result.target_mse.push_back(mean_squared_error(result.canvas, target));
  }
  result.commands_scored = scorer.scored();
  return result;
}

std::vector<ProgramSearchResult> local_program_search(const render::EnvironmentSettings& settings,
                                                      const std::vector<float>& target,
                                                      const LocalSearchOptions& options) {
  if (options.budgets.empty() || options.budgets.front() < 1 ||
      !std::is_sorted(options.budgets.begin(), options.budgets.end())) {
    throw UserError("local program search: budgets must be increasing counts of at least 1");
  }
  const std::unique_ptr<render::Environment> env = render::make_environment(settings);
  const render::ActionSpec& spec = env->action_spec();
  const std::vector<render::PartMask> masks = masks_by_first_value(*env);
  const size_t pixels = env->reset(options.environment_seed).canvas.size();
  if (pixels != target.size()) {
    throw UserError("local program search: the target has " + std::to_string(target.size()) +
                    " values, the canvas " + std::to_string(pixels));
  }
  std::mt19937_64 rng(options.sample_seed);
  const auto draw = [&](uint64_t below) { return static_cast<int32_t>(rng() % below); };
  ProgramSearchResult best;
  best.program = random_program(*env, &rng);
  best.canvas = play_program(*env, best.program, options.environment_seed);
  best.mse = mean_squared_error(best.canvas, target);
  best.commands_scored = 1;
  std::vector<ProgramSearchResult> results;
  for (const int64_t budget : options.budgets) {
    for (; best.commands_scored < budget; ++best.commands_scored) {
      std::vector<render::Command> program = best.program;
      render::Command& command = program[static_cast<size_t>(draw(program.size()))];
      // A part that matters for the command (the first part always does).
      std::vector<size_t> parts;
      for (size_t p = 0; p < spec.size(); ++p) {
        if (p == 0 || masks[static_cast<size_t>(command[0])][p]) parts.push_back(p);
      }
      const size_t part = parts[static_cast<size_t>(draw(parts.size()))];
      command[part] = draw(static_cast<uint64_t>(spec.parts()[part].size));
      command = canonical(command, masks);
      std::vector<float> canvas = play_program(*env, program, options.environment_seed);
      const double mse = mean_squared_error(canvas, target);
      if (mse <= best.mse) {
        best.program = std::move(program);
        best.canvas = std::move(canvas);
        best.mse = mse;
      }
    }
    results.push_back(best);
    results.back().target_mse = {best.mse};
  }
  return results;
}

}  // namespace spiral::learn
