// One training run on this rank: sync, async roles or a population, from a resolved `spiral
// train` configuration to its exit code.
#pragma once

#include "spiral/core/config.h"
#include "spiral/dist/mpi.h"

namespace spiral::run {

// The run on this rank of `world`; returns its exit code. `abort_on_error` is set once the ranks of
// an asynchronous run go their own ways: from then on an error must end the whole job.
int train(const Config& config, const dist::Communicator& world, bool* abort_on_error);

}  // namespace spiral::run
