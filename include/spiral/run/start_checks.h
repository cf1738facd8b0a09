// Start-up checks under MPI: a refusal is one line from rank 0, not one per rank.
#pragma once

#include <functional>
#include <stdexcept>

#include "spiral/dist/mpi.h"

namespace spiral::run {

// Thrown on every rank but 0 when a start-up check refused the run: rank 0 has said why, this rank
// exits with the user-error code in silence.
class RefusedOnRankZero : public std::runtime_error {
 public:
  RefusedOnRankZero() : std::runtime_error("refused; rank 0 says why") {}
};

// Runs `check` on every rank of `world`, then has the ranks agree: when it threw on any rank, rank
// 0 throws the lowest such rank's error again (a UserError as one, anything else as a
// std::runtime_error) and the others throw RefusedOnRankZero. `check` may hold collective calls
// only where every rank reaches them.
void check_on_every_rank(const dist::Communicator& world, const std::function<void()>& check);

}  // namespace spiral::run
