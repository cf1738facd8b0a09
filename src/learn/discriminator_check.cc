// A discriminator checked against a pool of renders of graded quality.
#include "spiral/learn/discriminator_check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>

#include "spiral/core/errors.h"
#include "spiral/learn/rewards.h"
#include "spiral/render/environment.h"
#include "spiral/render/program.h"

namespace spiral::learn {
namespace {

// A canvas in the observation's layout (HWC) as a [C, H, W] tensor.
torch::Tensor chw(const std::vector<float>& canvas, int height, int width, int channels) {
  return torch::from_blob(const_cast<float*>(canvas.data()), {height, width, channels},
                          torch::kFloat)
      .permute({2, 0, 1})
      .clone();
}

// Average ranks (1-based) of `values`, ties sharing the mean of their ranks.
std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> rank(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double mean = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = mean;
    i = j + 1;
  }
  return rank;
}

// Pearson's correlation (0 when either series is constant).
double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double mean_a = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mean_b = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Share of (a, b) pairs, a from `high` and b from `low`, with a > b (ties count one half).
double share_above(const std::vector<double>& high, const std::vector<double>& low) {
  if (high.empty() || low.empty()) return std::numeric_limits<double>::quiet_NaN();
  double wins = 0;
  for (double h : high) {
    for (double l : low) wins += h > l ? 1.0 : (h == l ? 0.5 : 0.0);
  }
  return wins / (static_cast<double>(high.size()) * static_cast<double>(low.size()));
}

}  // namespace

const char* pool_render_name(PoolRender kind) {
  switch (kind) {
    case PoolRender::kBlank:
      return "blank";
    case PoolRender::kRandom:
      return "random";
    case PoolRender::kGreedy:
      return "greedy";
    case PoolRender::kOtherTarget:
      return "other-target";
  }
  return "?";
}

RenderPool make_render_pool(const render::EnvironmentSettings& settings,
                            const std::vector<std::vector<float>>& targets,
                            const RenderPoolOptions& options) {
  if (targets.empty()) throw UserError("render pool: no targets");
  const std::unique_ptr<render::Environment> env = render::make_environment(settings);
  const render::Observation blank = env->reset(options.seed);
  const int h = blank.height, w = blank.width, c = blank.channels;
  std::mt19937_64 rng(options.seed);
  RenderPool pool;
  std::vector<torch::Tensor> target_rows, renders;
  const auto add = [&](const std::vector<float>& canvas, size_t target, PoolRender kind,
                       int steps) {
    renders.push_back(chw(canvas, h, w, c));
    pool.target_of.push_back(static_cast<int64_t>(target));
    pool.kinds.push_back(kind);
    pool.steps.push_back(steps);
    pool.mse.push_back(mean_squared_error(canvas, targets[target]));
  };
  ProgramSearchOptions search = options.search;
  search.environment_seed = options.seed;
  std::vector<std::vector<float>> greedy_canvases;
  for (size_t t = 0; t < targets.size(); ++t) {
    target_rows.push_back(chw(targets[t], h, w, c));
    add(blank.canvas, t, PoolRender::kBlank, 0);
    for (int r = 0; r < options.random_programs; ++r) {
      const std::vector<render::Command> program = random_program(*env, &rng);
      add(play_program(*env, program, options.seed), t, PoolRender::kRandom,
          static_cast<int>(program.size()));
    }
    const ProgramSearchResult greedy = greedy_program_search(settings, {targets[t]}, search);
    for (size_t steps = 1; steps <= greedy.program.size(); ++steps) {
      const std::vector<render::Command> prefix(greedy.program.begin(),
                                                greedy.program.begin() + steps);
      add(play_program(*env, prefix, options.seed), t, PoolRender::kGreedy,
          static_cast<int>(steps));
    }
    greedy_canvases.push_back(greedy.canvas);
    if (options.progress) options.progress(t + 1, targets.size());
  }
  const size_t others =
      std::min<size_t>(static_cast<size_t>(std::max(0, options.other_targets)), targets.size() - 1);
  for (size_t t = 0; t < targets.size(); ++t) {
    for (size_t k = 1; k <= others; ++k) {
      add(greedy_canvases[(t + k) % targets.size()], t, PoolRender::kOtherTarget,
          env->episode_length());
    }
  }
  pool.targets = torch::stack(target_rows);
  pool.renders = torch::stack(renders);
  return pool;
}

double rank_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("rank_correlation: lengths differ");
  const auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  if (!finite(a) || !finite(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a.size() < 2) return 0.0;
  return pearson(ranks(a), ranks(b));
}

DiscriminatorCheck check_discriminator(model::Discriminator& discriminator, const RenderPool& pool,
                                       bool complement, bool sign_threshold) {
  const bool training = discriminator->is_training();
  discriminator->eval();
  const torch::Device device = discriminator->parameters().front().device();
  const torch::Tensor index = torch::tensor(pool.target_of, torch::kLong);
  const torch::Tensor paired_targets = pool.targets.index_select(0, index).to(device);
  const std::vector<double> fake = to_vector(
      discriminator_scores(discriminator, pool.renders.to(device), paired_targets, complement));
  const torch::Tensor targets = pool.targets.to(device);
  const std::vector<double> real =
      to_vector(discriminator_scores(discriminator, targets, targets, complement));
  discriminator->train(training);

  DiscriminatorCheck check;
  std::vector<double> quality;  // -MSE
  for (double mse : pool.mse) quality.push_back(-mse);
  check.rank_correlation = rank_correlation(fake, quality);
  double within = 0;
  for (int64_t t = 0; t < pool.targets.size(0); ++t) {
    std::vector<double> f, q;
    for (size_t i = 0; i < fake.size(); ++i) {
      if (pool.target_of[i] == t) {
        f.push_back(fake[i]);
        q.push_back(quality[i]);
      }
    }
    within += rank_correlation(f, q);
  }
  check.rank_correlation_within = within / static_cast<double>(pool.targets.size(0));
  // Matching pairs: each target's whole greedy program against the other targets' under it.
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < fake.size(); ++i) {
    if (pool.kinds[i] != PoolRender::kOtherTarget) continue;
    for (size_t j = 0; j < fake.size(); ++j) {
      if (pool.kinds[j] == PoolRender::kGreedy && pool.target_of[j] == pool.target_of[i] &&
          pool.steps[j] == pool.steps[i]) {
        wins += fake[j] > fake[i] ? 1.0 : (fake[j] == fake[i] ? 0.5 : 0.0);
        pairs += 1;
      }
    }
  }
  check.matching_share = pairs > 0 ? wins / pairs : std::numeric_limits<double>::quiet_NaN();
  check.real_score = std::accumulate(real.begin(), real.end(), 0.0) / real.size();
  check.fake_score = std::accumulate(fake.begin(), fake.end(), 0.0) / fake.size();
  const double threshold = sign_threshold ? 0.0 : 0.5 * (check.real_score + check.fake_score);
  const auto share = [](const std::vector<double>& v, auto above) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), above)) / v.size();
  };
  check.accuracy = 0.5 * (share(real, [&](double s) { return s > threshold; }) +
                          share(fake, [&](double s) { return s <= threshold; }));
  check.real_over_fake = share_above(real, fake);
  return check;
}

}  // namespace spiral::learn
