#include "spiral/run/start_checks.h"

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::run {

void check_on_every_rank(const dist::Communicator& world, const std::function<void()>& check) {
  // Empty: this rank's checks passed; else 'U' (the user's mistake) or 'I' (an internal error),
  // then the message. Every rank takes part in the agreement, whatever it caught.
  std::string refusal;
  try {
    check();
  } catch (const UserError& error) {
    refusal = std::string("U") + error.what();
  } catch (const std::exception& error) {
    refusal = std::string("I") + error.what();
  }
  std::string first;
  const std::vector<std::string> refusals = world.gather(refusal);
  for (size_t r = 0; r < refusals.size() && first.empty(); ++r) {
    if (refusals[r].empty()) continue;
    first = refusals[r].substr(0, 1) + (r == 0 ? "" : "rank " + std::to_string(r) + ": ") +
            refusals[r].substr(1);
  }
  first = world.broadcast(first, 0);
  if (first.empty()) return;
  if (world.rank() != 0) throw RefusedOnRankZero();
  if (first[0] == 'U') throw UserError(first.substr(1));
  throw std::runtime_error(first.substr(1));
}

}  // namespace spiral::run
