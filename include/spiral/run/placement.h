// Where a training run's ranks stand: the plan every rank checks before the ranks go their own
// ways, the member of a population each rank belongs to, and each rank's role.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>

#include "spiral/core/config.h"
#include "spiral/data/dataset.h"
#include "spiral/dist/delivery.h"
#include "spiral/dist/layout.h"
#include "spiral/dist/mpi.h"
#include "spiral/learn/trainer.h"
#include "spiral/run/async.h"
#include "spiral/run/classifier_figures.h"
#include "spiral/run/population.h"

namespace spiral::run {

// What every rank has checked before the ranks go their own ways.
struct RunPlan {
  bool async = false;  // --mode async
  learn::TrainerConfig settings;
  PopulationSettings population;
  std::shared_ptr<const data::Dataset> dataset;
  size_t held_out = 0;                          // images in the held-out set
  std::optional<AsyncSettings> async_settings;  // --mode async; its run folder once claimed
  // --classifier: what it recognises in an unconditional agent's held-out samples (rank 0).
  std::shared_ptr<DigitFigures> digits;
};

// The plan of `config`, checked on every rank of `world`: a refusal is one line from rank 0.
RunPlan check_plan(const Config& config, const dist::Communicator& world);

// The member of a population this rank belongs to: with --mode async, each member runs its own role
// layout on its consecutive ranks (the whole job for a single agent); its actors play and its
// holders queue for it alone.
struct Membership {
  // Collective over `world`. Completes `plan`'s async settings with `run_dir` and the member.
  Membership(const Config& config, const dist::Communicator& world, RunPlan& plan,
             const std::filesystem::path& run_dir);

  int members;
  int size;   // ranks per member
  int index;  // this rank's member
  dist::OwnedCommunicator split;
  dist::Communicator world;  // the member's ranks (async; the job's in sync mode)
};

// This rank's role, and the links an async run's roles need.
struct Roles {
  // Collective over `world` (and the member's ranks).
  Roles(const dist::Communicator& world, const RunPlan& plan, const Membership& member);

  dist::Role role;
  dist::OwnedCommunicator learner_group;  // async: the learners of every member, in rank order
  int node_rank;
  // The path of parameters from the member's learner 0 to its actors (async).
  std::optional<dist::DeliveryRoute> route;
};

}  // namespace spiral::run
