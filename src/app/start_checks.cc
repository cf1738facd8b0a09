#include "start_checks.h"

#include <string>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::app {

void check_on_every_rank(const dist::Communicator& world, const std::function<void()>& check) {
  std::string refusal;  // empty: this rank's checks passed
  try {
    check();
  } catch (const UserError& error) {
    refusal = error.what();
    if (refusal.empty()) refusal = "refused without a reason";
  }
  std::string first;
  const std::vector<std::string> refusals = world.gather(refusal);
  for (size_t r = 0; r < refusals.size() && first.empty(); ++r) {
    if (!refusals[r].empty())
      first = (r == 0 ? "" : "rank " + std::to_string(r) + ": ") + refusals[r];
  }
  first = world.broadcast(first, 0);
  if (first.empty()) return;
  if (world.rank() == 0) throw UserError(first);
  throw RefusedOnRankZero();
}

}  // namespace spiral::app
