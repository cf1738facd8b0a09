// Population-based training (PBT) decisions: the members' initial hyper-parameters, and which
// members exploit (copy) which and how they explore (perturb) after a round of ranking. Pure and
// deterministic for a seed: every rank of a population run computes the same decisions.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace spiral::learn {

// The hyper-parameters PBT evolves for one member.
struct HyperParameters {
  double policy_lr = 1e-4;
  double entropy_cost = 0.01;
};

// How a population evolves (SPIRAL: policy lr 1e-5..3e-4, entropy cost 2e-3..1e-1).
struct PbtConfig {
  int members = 1;
  double lr_min = 1e-5;
  double lr_max = 3e-4;
  double entropy_min = 2e-3;
  double entropy_max = 1e-1;
  double fraction = 0.2;  // share of members ranked worst (and best) in each round
  // Throws UserError for empty or inverted ranges, a non-positive bound or no member.
  void check() const;
};

// One exploit-and-explore step of a round: member `member` took `source`'s networks and
// perturbed hyper-parameters.
struct PbtEvent {
  int member = 0;
  int source = 0;
  HyperParameters before;  // the member's own before the copy
  HyperParameters after;   // the source's, perturbed and clipped
  double member_fitness = 0;
  double source_fitness = 0;
};

// The members' hyper-parameters at the start: log-uniform draws within the ranges from
// `engine` when `draw`, else `given` for every member (clipped to nothing: taken as given).
std::vector<HyperParameters> initial_hyper_parameters(const PbtConfig& config, bool draw,
                                                      const HyperParameters& given,
                                                      std::mt19937_64& engine);

// The number of members that exploit in each round: max(1, round(fraction x members)) for 2
// members or more, none for a population of one.
int exploit_count(const PbtConfig& config);

// Members ordered best first by `fitness` (`lower_is_better` for an MSE; NaN ranks last; ties by
// member index).
std::vector<int> rank_members(const std::vector<double>& fitness, bool lower_is_better);

// One PBT round: the exploit_count() worst members each copy a member drawn uniformly from the
// as many best, and multiply its policy lr and entropy cost each by 0.8 or 1.2 (drawn), clipped
// to the ranges. `hyper` is updated in place; the events say what changed, worst member first.
std::vector<PbtEvent> pbt_round(const PbtConfig& config, const std::vector<double>& fitness,
                                bool lower_is_better, std::vector<HyperParameters>* hyper,
                                std::mt19937_64& engine);

// The state a checkpoint keeps: every member's hyper-parameters and the engine, as text.
std::string pbt_state_text(const std::vector<HyperParameters>& hyper,
                           const std::mt19937_64& engine);
// Reads pbt_state_text(); UserError when malformed or for another number of members than
// `members`.
void parse_pbt_state(const std::string& text, int members, std::vector<HyperParameters>* hyper,
                     std::mt19937_64* engine);

}  // namespace spiral::learn
