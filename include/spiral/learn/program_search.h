// Greedy program search over an environment's commands: how far the reconstruction error of
// targets can fall in an action space, the reference that learning figures are a share of.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "spiral/render/action_spec.h"
#include "spiral/render/environment.h"
#include "spiral/render/settings.h"

namespace spiral::learn {

// How greedy_program_search() scores commands.
struct ProgramSearchOptions {
  // Commands scored per step: 0 = every distinct command (those whose parts that do not matter
  // are 0); otherwise this many drawn at random, then every value of each part of the best one
  // with its other parts kept (one pass of coordinate search).
  int64_t candidates = 0;
  uint64_t environment_seed = 1;  // reset seed of every episode (the brush's jitter)
  uint64_t sample_seed = 1;       // draws of the random candidates
  int environments = 64;          // environments stepped together
  int threads = 1;                // rendering threads
  // Called after each step with the step (1-based) and the mean error after it (may be empty).
  std::function<void(int step, double mse)> progress;
};

// A program found by the search and its error.
struct ProgramSearchResult {
  std::vector<render::Command> program;  // one command per step of the episode
  double mse = 0;                        // mean over targets of the final canvas's MSE
  std::vector<double> target_mse;        // the final canvas's MSE against each target
  std::vector<float> canvas;             // the final canvas (the observation's layout)
  int64_t commands_scored = 0;           // episodes played by the search
};

// A program of `env`'s episode length, each command drawn uniformly over every part's values (the
// parts that do not matter set to 0).
std::vector<render::Command> random_program(const render::Environment& env, std::mt19937_64* rng);

// The canvas (the observation's layout) after `env` plays `program` from a reset with `seed`.
std::vector<float> play_program(render::Environment& env,
                                const std::vector<render::Command>& program, uint64_t seed);

// Mean over values of (a - b)^2; a and b have the same size.
double mean_squared_error(const std::vector<float>& a, const std::vector<float>& b);

// Number of distinct commands of an environment (a jump counts once per end point), as a double
// since full action spaces overflow 64 bits.
double distinct_command_count(const render::EnvironmentSettings& settings);

// The program built step by step, each step taking the command after which the canvas's mean
// squared error against `targets` (each in the observation's layout, values in [0, 1]) is
// lowest. One target: its greedy reconstruction. Several: the best program painted identically
// under every target (what an agent that ignores its target can reach at best, greedily).
// Throws UserError when every command is asked for (candidates 0) in a space of more than 2^22
// distinct commands, or for targets of the wrong size.
ProgramSearchResult greedy_program_search(const render::EnvironmentSettings& settings,
                                          const std::vector<std::vector<float>>& targets,
                                          const ProgramSearchOptions& options);

// How local_program_search() spends its renders.
struct LocalSearchOptions {
  // Programs played, in increasing order: a result is taken after each of these counts.
  std::vector<int64_t> budgets = {100};
  uint64_t environment_seed = 1;  // reset seed of every episode
  uint64_t sample_seed = 1;       // the random program and the changes drawn
};

// Stochastic hill climbing over whole programs (MCMC at zero temperature, the kind of search the
// paper compares its agents with): the first program is random, each next one is the best so far
// with one part that matters of one command redrawn, kept when its error is no higher. Each
// program is played once from a reset (one render for the scene builder, which renders only the
// last scene). Returns the best program after each of options.budgets programs.
std::vector<ProgramSearchResult> local_program_search(const render::EnvironmentSettings& settings,
                                                      const std::vector<float>& target,
                                                      const LocalSearchOptions& options);

}  // namespace spiral::learn
