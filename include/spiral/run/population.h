// Population-based training: the world's ranks split into members, each its own data-parallel
// policy (and, unless shared, discriminator), ranked and evolved every --pbt-interval updates
// (learn/pbt.h decides; this class moves the networks over MPI). In --mode sync every rank of a
// member learns; in --mode async each member runs its own role layout and only its learners take
// part in PBT.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "spiral/core/config.h"
#include "spiral/dist/mpi.h"
#include "spiral/learn/pbt.h"
#include "spiral/learn/trainer.h"

namespace spiral::run {

// The options of population runs, for spiral train.
OptionGroup population_options();

// A population run's settings, from the options.
struct PopulationSettings {
  learn::PbtConfig pbt;
  int64_t interval = 100;            // updates between PBT rounds
  bool shared_discriminator = true;  // one D for every member (SPIRAL++)
  bool draw = true;                  // initial hyper-parameters drawn within the ranges
};

// The settings `config` asks for; UserError for bad ranges, a world of `world_size` ranks that
// does not split into --population equal members, or (--mode async) members of fewer than 3 ranks.
PopulationSettings population_settings(const Config& config, int world_size);

// The seed of member `member`'s networks and random streams (the run's `seed` for member 0).
uint64_t member_seed(uint64_t seed, int member);

// This rank's place in a population and the PBT state every rank keeps alike.
class Population {
 public:
  // Splits `world` into settings.pbt.members equal members of consecutive ranks (collective);
  // `given` is --policy-lr and --entropy-cost, `seed` the run's. `world` holds the ranks that
  // learn: the job's in --mode sync, every member's learners in --mode async.
  Population(const dist::Communicator& world, const PopulationSettings& settings, uint64_t seed,
             const learn::HyperParameters& given);

  const PopulationSettings& settings() const { return settings_; }
  int members() const { return settings_.pbt.members; }
  // This rank's member.
  int member() const { return member_; }
  // This member's ranks (the world for a population of one).
  dist::Communicator team() const;
  // Every member's ranks, which stop together (the `world` it was built over).
  const dist::Communicator& everyone() const { return world_; }
  // The world rank of member `member`'s first rank (which evaluates and reports for it).
  int member_root(int member) const { return member * member_size_; }
  // The seed of this member's networks and random streams (the run's for member 0).
  uint64_t member_seed(uint64_t seed) const;
  // Every member's current hyper-parameters.
  const std::vector<learn::HyperParameters>& hyper() const { return hyper_; }

  // Gives every rank world rank 0's discriminator (a shared D starts alike). Collective.
  void share_discriminator(learn::Trainer& trainer) const;
  // On world rank 0: the rows of every member's first rank, in member order (empty elsewhere).
  // Collective.
  std::vector<std::vector<double>> gather_rows(const std::vector<double>& row) const;
  // One PBT round: every member's `fitness` (that of its first rank counts), ranked
  // (`lower_is_better`); the worst copy a best member's networks (broadcast from its first rank)
  // and take perturbed hyper-parameters, which `trainer` gets. Returns the events. Collective.
  std::vector<learn::PbtEvent> round(learn::Trainer& trainer, double fitness, bool lower_is_better);

  // The PBT state (hyper-parameters and engine) for a checkpoint, and its restoration (UserError
  // for a population of another size).
  std::string state() const;
  void restore(const std::string& state);

 private:
  // Compares the digests of the source's and the copy's networks after `event`'s copy, computed
  // by each member's first rank; throws std::runtime_error when they differ. Collective.
  void check_copy(learn::Trainer& trainer, const learn::PbtEvent& event) const;

  dist::Communicator world_;
  PopulationSettings settings_;
  int member_size_ = 1;
  int member_ = 0;
  dist::OwnedCommunicator team_;
  std::mt19937_64 engine_;
  std::vector<learn::HyperParameters> hyper_;
};

}  // namespace spiral::run
