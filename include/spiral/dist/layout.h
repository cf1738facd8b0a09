// The roles of an asynchronous run's ranks (--mode async): learners, replay holders and actors.
#pragma once

#include <string>
#include <vector>

namespace spiral::dist {

// What a rank does in an asynchronous run.
enum class Role { kLearner, kReplay, kActor };

// The name a log line or message gives a role: "learner", "replay holder", "actor".
const char* role_name(Role role);

// How many ranks take each role. Ranks are numbered learners first (learner 0 is rank 0, which
// writes the run's files), then replay holders, then actors.
struct RoleLayout {
  int learners = 1;
  int replay = 1;
  int actors = 1;

  int size() const { return learners + replay + actors; }
  Role role(int rank) const;
  // The index of `rank` among the ranks of its role.
  int index(int rank) const;
  int learner_rank(int index) const { return index; }
  int replay_rank(int index) const { return learners + index; }
  int actor_rank(int index) const { return learners + replay + index; }
  // The replay holder an actor sends its episodes to (actors are dealt round the holders).
  int holder_of_actor(int actor_index) const { return replay_rank(actor_index % replay); }
  // The actors (their indices) that send to replay holder `replay_index`.
  std::vector<int> actors_of_holder(int replay_index) const;
  // "actors:2,replay:1,learners:1", the form parse_layout reads.
  std::string to_string() const;
  // One line per role naming its ranks, e.g. "learner: rank 0" / "actors: ranks 2-3 (to ...)".
  std::string describe() const;
};

// The layout for `world_size` ranks from `text` ("actors:A,replay:R,learners:L", any order, every
// role at least 1; empty: default_layout). Throws UserError naming the problem for a malformed
// text, a role with no rank, or counts that do not add up to the world size.
RoleLayout parse_layout(const std::string& text, int world_size);

// One learner, one replay holder per 16 actors (at least one), the other ranks actors. Throws
// UserError for fewer than 3 ranks.
RoleLayout default_layout(int world_size);

}  // namespace spiral::dist
