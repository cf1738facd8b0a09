// Tests of population-based training's decisions (learn/pbt.h): initial draws within the ranges,
// ranking, who exploits whom, the perturbation and its clipping, and the checkpointed state.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/learn/pbt.h"

namespace spiral::learn {
namespace {

PbtConfig population(int members) {
  PbtConfig config;
  config.members = members;
  return config;
}

TEST(Pbt, InitialDrawsAreLogUniformWithinTheRangesAndDeterministic) {
  const PbtConfig config = population(12);
  std::mt19937_64 a(3), b(3), c(4);
  const std::vector<HyperParameters> first = initial_hyper_parameters(config, true, {}, a);
  const std::vector<HyperParameters> again = initial_hyper_parameters(config, true, {}, b);
  const std::vector<HyperParameters> other = initial_hyper_parameters(config, true, {}, c);
  ASSERT_EQ(first.size(), 12u);
  std::set<double> distinct;
  for (size_t m = 0; m < first.size(); ++m) {
    EXPECT_GE(first[m].policy_lr, config.lr_min);
    EXPECT_LE(first[m].policy_lr, config.lr_max);
    EXPECT_GE(first[m].entropy_cost, config.entropy_min);
    EXPECT_LE(first[m].entropy_cost, config.entropy_max);
    EXPECT_EQ(first[m].policy_lr, again[m].policy_lr);
    EXPECT_EQ(first[m].entropy_cost, again[m].entropy_cost);
    distinct.insert(first[m].policy_lr);
  }
  EXPECT_EQ(distinct.size(), 12u);
  EXPECT_NE(first[0].policy_lr, other[0].policy_lr);
}

TEST(Pbt, WithoutDrawsEveryMemberStartsAsGiven) {
  std::mt19937_64 engine(1);
  const HyperParameters given{2e-4, 0.05};
  for (const HyperParameters& h : initial_hyper_parameters(population(3), false, given, engine)) {
    EXPECT_EQ(h.policy_lr, given.policy_lr);
    EXPECT_EQ(h.entropy_cost, given.entropy_cost);
  }
}

TEST(Pbt, ExploitCountIsAFifthAndAtLeastOne) {
  EXPECT_EQ(exploit_count(population(1)), 0);
  EXPECT_EQ(exploit_count(population(2)), 1);
  EXPECT_EQ(exploit_count(population(4)), 1);
  EXPECT_EQ(exploit_count(population(12)), 2);
  EXPECT_EQ(exploit_count(population(20)), 4);
}

TEST(Pbt, RankingPutsNaNLastAndBreaksTiesByMember) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(rank_members({0.3, nan, 0.1, 0.3}, true), (std::vector<int>{2, 0, 3, 1}));
  EXPECT_EQ(rank_members({0.3, nan, 0.1, 0.3}, false), (std::vector<int>{0, 3, 2, 1}));
}

TEST(Pbt, TheWorstCopyTheBestAndPerturbByAFifth) {
  PbtConfig config = population(10);
  std::vector<HyperParameters> hyper(10);
  for (int m = 0; m < 10; ++m) hyper[m] = {1e-5 * (m + 1), 2e-3 * (m + 1)};
  const std::vector<HyperParameters> before = hyper;
  // Lower is better: members 0 and 1 are best, 9 and 8 worst.
  std::vector<double> fitness;
  for (int m = 0; m < 10; ++m) fitness.push_back(0.01 * m);
  std::mt19937_64 engine(9);
  const std::vector<PbtEvent> events = pbt_round(config, fitness, true, &hyper, engine);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].member, 9);
  EXPECT_EQ(events[1].member, 8);
  for (const PbtEvent& e : events) {
    EXPECT_TRUE(e.source == 0 || e.source == 1) << e.source;
    const HyperParameters& from = before[e.source];
    const double lr_factor = e.after.policy_lr / from.policy_lr;
    const double entropy_factor = e.after.entropy_cost / from.entropy_cost;
    EXPECT_TRUE(std::abs(lr_factor - 0.8) < 1e-12 || std::abs(lr_factor - 1.2) < 1e-12);
    EXPECT_TRUE(std::abs(entropy_factor - 0.8) < 1e-12 || std::abs(entropy_factor - 1.2) < 1e-12);
    EXPECT_EQ(e.before.policy_lr, before[e.member].policy_lr);
    EXPECT_EQ(hyper[e.member].policy_lr, e.after.policy_lr);
    EXPECT_EQ(e.member_fitness, fitness[e.member]);
    EXPECT_EQ(e.source_fitness, fitness[e.source]);
  }
  for (int m = 0; m < 8; ++m) EXPECT_EQ(hyper[m].policy_lr, before[m].policy_lr);
  // Higher is better: the other end exploits.
  std::mt19937_64 again(9);
  hyper = before;
  EXPECT_EQ(pbt_round(config, fitness, false, &hyper, again)[0].member, 0);
}

TEST(Pbt, PerturbationsStayWithinTheRanges) {
  PbtConfig config = population(2);
  std::vector<HyperParameters> hyper = {{config.lr_max, config.entropy_min},
                                        {config.lr_max, config.entropy_min}};
  std::mt19937_64 engine(5);
  for (int round = 0; round < 50; ++round) {
    for (const PbtEvent& e : pbt_round(config, {0.1, 0.2}, true, &hyper, engine)) {
      EXPECT_EQ(e.member, 1);
      EXPECT_EQ(e.source, 0);
      EXPECT_LE(e.after.policy_lr, config.lr_max);
      EXPECT_GE(e.after.entropy_cost, config.entropy_min);
    }
  }
}

TEST(Pbt, StateRoundTripsExactlyAndRefusesAnotherSize) {
  std::mt19937_64 engine(11);
  std::vector<HyperParameters> hyper = initial_hyper_parameters(population(3), true, {}, engine);
  const std::string text = pbt_state_text(hyper, engine);
  std::vector<HyperParameters> read;
  std::mt19937_64 restored;
  parse_pbt_state(text, 3, &read, &restored);
  ASSERT_EQ(read.size(), 3u);
  for (size_t m = 0; m < 3; ++m) {
    EXPECT_EQ(read[m].policy_lr, hyper[m].policy_lr);
    EXPECT_EQ(read[m].entropy_cost, hyper[m].entropy_cost);
  }
  EXPECT_EQ(restored(), engine());
  EXPECT_THROW(parse_pbt_state(text, 4, &read, &restored), UserError);
  EXPECT_THROW(parse_pbt_state("3 x", 3, &read, &restored), UserError);
}

TEST(Pbt, BadRangesAreRefused) {
  PbtConfig config = population(2);
  config.lr_min = 1e-3;
  config.lr_max = 1e-4;
  EXPECT_THROW(config.check(), UserError);
  config = population(2);
  config.entropy_min = 0;
  EXPECT_THROW(config.check(), UserError);
  EXPECT_NO_THROW(population(2).check());
}

}  // namespace
}  // namespace spiral::learn
