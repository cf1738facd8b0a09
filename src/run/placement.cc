#include "spiral/run/placement.h"

#include <sstream>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/render/options.h"
#include "spiral/run/report.h"
#include "spiral/run/start_checks.h"
#include "spiral/run/train_settings.h"

namespace spiral::run {
namespace {

// The role layout of each member's `ranks` ranks from --layout `text` (members > 1: a population,
// and the refusal says so).
dist::RoleLayout member_layout(const std::string& text, int ranks, int members) {
  try {
    return dist::parse_layout(text, ranks);
  } catch (const UserError& error) {
    if (members == 1) throw;
    throw UserError("--population " + std::to_string(members) + " --mode async: each member has " +
                    std::to_string(ranks) + " of the job's " + std::to_string(ranks * members) +
                    " ranks and its own layout: " + error.what());
  }
}

// The asynchronous run's settings of every role.
AsyncSettings async_settings(const Config& config, const dist::RoleLayout& layout,
                             const std::filesystem::path& run_dir) {
  AsyncSettings a;
  a.layout = layout;
  a.peer_timeout = config.get_real("peer-timeout");
  a.queue_episodes = static_cast<int>(config.get_int("queue-episodes"));
  if (a.queue_episodes == 0) a.queue_episodes = static_cast<int>(4 * config.get_int("batch"));
  if (a.queue_episodes < config.get_int("batch")) {
    throw UserError("--queue-episodes " + std::to_string(a.queue_episodes) +
                    " is smaller than --batch " + std::to_string(config.get_int("batch")) +
                    ": a learner could never get a batch");
  }
  a.max_policy_lag = config.get_int("max-policy-lag");
  a.trajectory_fraction = config.get_real("trajectory-fraction");
  a.run_dir = run_dir;
  a.resume = !config.get_text("resume").empty();
  a.seed = static_cast<uint64_t>(config.get_int("seed"));
  a.parameter_delivery = dist::parse_delivery_path(config.get_text("parameter-delivery"));
  a.ranks_per_node = static_cast<int>(config.get_int("ranks-per-node"));
  return a;
}

// Rank 0's lines on an async run's layout and policy lag.
void log_async_layout(const Config& config, const AsyncSettings& a, int members, int member_size) {
  if (members > 1) {
    log_info("--mode async, a population of ", members, " members of ", member_size,
             " consecutive ranks (member m: ranks ", member_size, "m to ", member_size, "m + ",
             member_size - 1, "), each with the layout ", a.layout.to_string(),
             " (ranks counted from its first):");
  } else {
    log_info("--mode async, layout ", a.layout.to_string(), ":");
  }
  std::istringstream lines(a.layout.describe());
  for (std::string line; std::getline(lines, line);) log_info("  ", line);
  log_info("policy lag: ", policy_lag_text(config));
}

// Rank 0's line on the path of parameters from learner 0 to the actors.
void log_delivery(const dist::DeliveryRoute& route, dist::DeliveryPath path, int members) {
  std::string leaders;
  for (int r : route.downstream_world_ranks()) {
    leaders += (leaders.empty() ? "" : ",") + std::to_string(r);
  }
  log_info("parameters to actors: ", dist::delivery_path_name(path),
           path == dist::DeliveryPath::kTree
               ? " (" + std::to_string(route.actor_nodes()) +
                     " node(s) with actors; leader rank(s) " + leaders +
                     (members > 1 ? " in member 0" : "") + ")"
               : std::string(" (a copy to each actor)"));
}

}  // namespace

RunPlan check_plan(const Config& config, const dist::Communicator& world) {
  RunPlan plan;
  plan.async = config.get_text("mode") == "async";
  check_on_every_rank(world, [&] {
    plan.settings = trainer_config(config, render::environment_settings(config));
    learn::check_trainer_config(plan.settings);
    plan.population = population_settings(config, world.size());
    const int members = plan.population.pbt.members;
    if (plan.async) {
      plan.async_settings = async_settings(
          config, member_layout(config.get_text("layout"), world.size() / members, members), {});
    }
    plan.dataset = data::open_dataset(config.get_text("dataset"));
    plan.held_out = learn::held_out_images(*plan.dataset, plan.settings.held_out).size();
    const std::string classifier = config.get_text("classifier");
    if (!classifier.empty() && plan.settings.conditional) {
      throw UserError(
          "--classifier scores an unconditional agent's samples (--conditional "
          "false); spiral reconstruct --classifier scores reconstructions");
    }
    if (!classifier.empty() && world.rank() == 0) {
      plan.digits = std::make_shared<DigitFigures>(classifier, config.get_text("dataset"),
                                                   static_cast<int>(plan.held_out), "--held-out");
    }
  });
  return plan;
}

Membership::Membership(const Config& config, const dist::Communicator& job, RunPlan& plan,
                       const std::filesystem::path& run_dir)
    : members(plan.population.pbt.members),
      size(job.size() / members),
      index(job.rank() / size),
      split(plan.async && members > 1 ? job.split(index) : MPI_COMM_NULL),
      world(plan.async && members > 1 ? split.get() : job) {
  if (!plan.async) return;
  AsyncSettings& a = *plan.async_settings;
  a.run_dir = run_dir;
  a.first_rank = index * size;
  if (members > 1) a.seed = member_seed(a.seed, index);
  if (job.rank() == 0) log_async_layout(config, a, members, size);
}

Roles::Roles(const dist::Communicator& world, const RunPlan& plan, const Membership& member)
    : role(plan.async ? plan.async_settings->layout.role(member.world.rank())
                      : dist::Role::kLearner),
      learner_group(plan.async ? world.split(role == dist::Role::kLearner ? 0 : 1) : MPI_COMM_NULL),
      node_rank(plan.async ? world.node_rank() : 0) {
  if (!plan.async) return;
  const AsyncSettings& a = *plan.async_settings;
  route.emplace(member.world, a.layout.actor_rank(0), a.parameter_delivery, a.ranks_per_node);
  if (world.rank() == 0) log_delivery(*route, a.parameter_delivery, member.members);
}

}  // namespace spiral::run
