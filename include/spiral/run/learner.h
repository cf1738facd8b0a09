// A learning rank's part of a training run: its population member, trainer, link to the other
// roles and files, and the loop that sync and async runs share (stop or checkpoint when due, one
// update, record it).
#pragma once

#include <filesystem>

#include "spiral/core/config.h"
#include "spiral/core/signals.h"
#include "spiral/dist/mpi.h"
#include "spiral/run/placement.h"

namespace spiral::run {

// Trains this learning rank of `world` until the budget, a signal or divergence stops the run;
// returns the run's exit code. `plan`'s Trainer settings are completed for this rank (gradient
// averaging, a population member's seed and hyperparameters).
int run_learner(const Config& config, RunPlan& plan, const Membership& member, const Roles& roles,
                const dist::Communicator& world, const std::filesystem::path& run_dir,
                const SignalGuard& signals);

}  // namespace spiral::run
