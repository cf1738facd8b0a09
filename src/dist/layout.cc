#include "spiral/dist/layout.h"

#include <cstdlib>
#include <sstream>

#include "spiral/core/errors.h"
#include "spiral/core/option_lists.h"

namespace spiral::dist {
namespace {

// "rank 4" or "ranks 2-5".
std::string rank_range(int first, int count) {
  if (count == 1) return "rank " + std::to_string(first);
  return "ranks " + std::to_string(first) + "-" + std::to_string(first + count - 1);
}

// A positive count, or UserError quoting the layout.
int parse_count(const std::string& value, const std::string& layout) {
  if (value.empty() || value.size() > 9 ||
      value.find_first_not_of("0123456789") != std::string::npos) {
    throw UserError("--layout '" + layout + "': '" + value + "' is not a rank count");
  }
  return std::atoi(value.c_str());
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kLearner:
      return "learner";
    case Role::kReplay:
      return "replay holder";
    case Role::kActor:
      return "actor";
  }
  return "?";
}

Role RoleLayout::role(int rank) const {
  if (rank < learners) return Role::kLearner;
  if (rank < learners + replay) return Role::kReplay;
  return Role::kActor;
}

int RoleLayout::index(int rank) const {
  switch (role(rank)) {
    case Role::kLearner:
      return rank;
    case Role::kReplay:
      return rank - learners;
    case Role::kActor:
      return rank - learners - replay;
  }
  return -1;
}

std::vector<int> RoleLayout::actors_of_holder(int replay_index) const {
  std::vector<int> indices;
  for (int a = replay_index; a < actors; a += replay) indices.push_back(a);
  return indices;
}

std::string RoleLayout::to_string() const {
  return "actors:" + std::to_string(actors) + ",replay:" + std::to_string(replay) +
         ",learners:" + std::to_string(learners);
}

std::string RoleLayout::describe() const {
  std::ostringstream out;
  out << (learners == 1 ? "learner: " : "learners: ") << rank_range(0, learners)
      << " (rank 0 writes the run's files)\n";
  for (int h = 0; h < replay; ++h) {
    const std::vector<int> mine = actors_of_holder(h);
    out << "replay holder: rank " << replay_rank(h) << ", episodes of actor rank(s)";
    for (size_t i = 0; i < mine.size(); ++i) out << (i == 0 ? " " : ",") << actor_rank(mine[i]);
    out << '\n';
  }
  out << (actors == 1 ? "actor: " : "actors: ") << rank_range(actor_rank(0), actors);
  return out.str();
}

RoleLayout parse_layout(const std::string& text, int world_size) {
  if (text.empty()) return default_layout(world_size);
  RoleLayout layout{0, 0, 0};
  for (const std::string& item : split(text, ',')) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos) {
      throw UserError("--layout '" + text + "': '" + item +
                      "' is not role:count (roles actors, replay, learners)");
    }
    const std::string name = item.substr(0, colon);
    int* count = name == "actors"     ? &layout.actors
                 : name == "replay"   ? &layout.replay
                 : name == "learners" ? &layout.learners
                                      : nullptr;
    if (count == nullptr) {
      throw UserError("--layout '" + text + "': unknown role '" + name +
                      "' (roles actors, replay, learners)");
    }
    if (*count != 0) throw UserError("--layout '" + text + "': " + name + " given twice");
    *count = parse_count(item.substr(colon + 1), text);
  }
  if (layout.learners < 1 || layout.replay < 1 || layout.actors < 1) {
    throw UserError("--layout '" + text +
                    "': every role needs at least one rank (actors, replay, learners)");
  }
  if (static_cast<long long>(layout.learners) + layout.replay + layout.actors != world_size) {
    throw UserError(
        "--layout '" + text + "' has " +
        std::to_string(static_cast<long long>(layout.learners) + layout.replay + layout.actors) +
        " ranks, the job has " + std::to_string(world_size));
  }
  return layout;
}

RoleLayout default_layout(int world_size) {
  if (world_size < 3) {
    throw UserError(
        "--mode async needs at least 3 ranks (a learner, a replay holder and an "
        "actor); this job has " +
        std::to_string(world_size) + " (use --mode sync)");
  }
  RoleLayout layout;
  layout.learners = 1;
  layout.replay = (world_size - 1 + 16) / 17;  // the fewest holders with 16 actors or fewer each
  layout.actors = world_size - layout.learners - layout.replay;
  return layout;
}

}  // namespace spiral::dist
