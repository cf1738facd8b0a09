#include "spiral/learn/pbt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "spiral/core/errors.h"

namespace spiral::learn {
namespace {

// A uniform draw in [0, 1) from the engine's next value (the same on every platform, unlike
// std::uniform_real_distribution).
double unit_draw(std::mt19937_64& engine) {
  return static_cast<double>(engine() >> 11) * (1.0 / 9007199254740992.0);
}

// A log-uniform draw in [low, high].
double log_uniform(double low, double high, std::mt19937_64& engine) {
  return std::exp(std::log(low) + unit_draw(engine) * (std::log(high) - std::log(low)));
}

// `value` x 0.8 or x 1.2 (one bit of the engine), clipped to [low, high].
double perturb(double value, double low, double high, std::mt19937_64& engine) {
  const double factor = (engine() & 1) != 0 ? 1.2 : 0.8;
  return std::clamp(value * factor, low, high);
}

// 17 significant digits: a double read back is the same double.
std::string exact(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

void PbtConfig::check() const {
  if (members < 1) throw UserError("--population must be >= 1, got " + std::to_string(members));
  if (!(lr_min > 0 && lr_min <= lr_max)) {
    throw UserError("PBT policy lr range " + exact(lr_min) + ".." + exact(lr_max) +
                    " must be positive and ordered (--pbt-lr-min <= --pbt-lr-max)");
  }
  if (!(entropy_min > 0 && entropy_min <= entropy_max)) {
    throw UserError("PBT entropy cost range " + exact(entropy_min) + ".." + exact(entropy_max) +
                    " must be positive and ordered (--pbt-entropy-min <= --pbt-entropy-max)");
  }
}

std::vector<HyperParameters> initial_hyper_parameters(const PbtConfig& config, bool draw,
                                                      const HyperParameters& given,
                                                      std::mt19937_64& engine) {
  std::vector<HyperParameters> hyper(static_cast<size_t>(config.members), given);
  if (!draw) return hyper;
  for (HyperParameters& h : hyper) {
    h.policy_lr = log_uniform(config.lr_min, config.lr_max, engine);
    h.entropy_cost = log_uniform(config.entropy_min, config.entropy_max, engine);
  }
  return hyper;
}

int exploit_count(const PbtConfig& config) {
  if (config.members < 2) return 0;
  const int count = static_cast<int>(std::lround(config.fraction * config.members));
  return std::clamp(count, 1, config.members / 2);
}

std::vector<int> rank_members(const std::vector<double>& fitness, bool lower_is_better) {
  std::vector<int> order(fitness.size());
  std::iota(order.begin(), order.end(), 0);
  const auto better = [&](int a, int b) {
    const double x = fitness[static_cast<size_t>(a)];
    const double y = fitness[static_cast<size_t>(b)];
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return lower_is_better ? x < y : x > y;
  };
  std::stable_sort(order.begin(), order.end(), better);
  return order;
}

std::vector<PbtEvent> pbt_round(const PbtConfig& config, const std::vector<double>& fitness,
                                bool lower_is_better, std::vector<HyperParameters>* hyper,
                                std::mt19937_64& engine) {
  const int count = exploit_count(config);
  const std::vector<int> order = rank_members(fitness, lower_is_better);
  const std::vector<HyperParameters> old = *hyper;  // sources give what they had at ranking
  std::vector<PbtEvent> events;
  for (int i = 0; i < count; ++i) {
    PbtEvent event;
    event.member = order[order.size() - 1 - static_cast<size_t>(i)];
    event.source = order[static_cast<size_t>(engine() % static_cast<uint64_t>(count))];
    event.before = old[static_cast<size_t>(event.member)];
    const HyperParameters& from = old[static_cast<size_t>(event.source)];
    event.after.policy_lr = perturb(from.policy_lr, config.lr_min, config.lr_max, engine);
    event.after.entropy_cost =
        perturb(from.entropy_cost, config.entropy_min, config.entropy_max, engine);
    event.member_fitness = fitness[static_cast<size_t>(event.member)];
    event.source_fitness = fitness[static_cast<size_t>(event.source)];
    (*hyper)[static_cast<size_t>(event.member)] = event.after;
    events.push_back(event);
  }
  return events;
}

std::string pbt_state_text(const std::vector<HyperParameters>& hyper,
                           const std::mt19937_64& engine) {
  std::ostringstream out;
  out << hyper.size();
  for (const HyperParameters& h : hyper) {
    out << ' ' << exact(h.policy_lr) << ' ' << exact(h.entropy_cost);
  }
  out << ' ' << engine;
  return out.str();
}

void parse_pbt_state(const std::string& text, int members, std::vector<HyperParameters>* hyper,
                     std::mt19937_64* engine) {
  std::istringstream in(text);
  size_t stored = 0;
  if (!(in >> stored)) throw UserError("malformed population state");
  if (stored != static_cast<size_t>(members)) {
    throw UserError("the checkpoint holds a population of " + std::to_string(stored) +
                    ", this run has --population " + std::to_string(members));
  }
  std::vector<HyperParameters> read(stored);
  for (HyperParameters& h : read) in >> h.policy_lr >> h.entropy_cost;
  in >> *engine;
  if (in.fail()) throw UserError("malformed population state");
  *hyper = std::move(read);
}

}  // namespace spiral::learn
