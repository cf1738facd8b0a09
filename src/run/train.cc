// One training run on this rank. Every rank checks the run's plan and claims its folder; the ranks
// then take their roles (an async run's replay holders and actors go to their loops) and the
// learners train until the budget, a signal or divergence stops the run.
#include "spiral/run/train.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/core/signals.h"
#include "spiral/learn/trainer.h"
#include "spiral/run/async_roles.h"
#include "spiral/run/learner.h"
#include "spiral/run/placement.h"
#include "spiral/run/report.h"
#include "spiral/run/run_folder.h"
#include "spiral/run/start_checks.h"

namespace spiral::run {
namespace {

// An actor's Trainer settings: --envs environments on --actor-device (a GPU picked by the rank's
// place on its node).
learn::TrainerConfig actor_config(const Config& config, learn::TrainerConfig settings, int rank,
                                  int node_rank) {
  settings.batch = static_cast<int>(config.get_int("envs"));
  settings.render_threads = std::min(settings.render_threads, settings.batch);
  settings.rank = rank;
  settings.held_out = 1;  // actors do not evaluate
  settings.device = torch::kCPU;
  if (config.get_text("actor-device") == "cuda") {
    if (!torch::cuda::is_available()) {
      throw UserError("--actor-device cuda: no CUDA device is visible to this LibTorch build");
    }
    const int gpus = static_cast<int>(torch::cuda::device_count());
    settings.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(node_rank % gpus));
  }
  return settings;
}

}  // namespace

int train(const Config& config, const dist::Communicator& world, bool* abort_on_error) {
  set_log_identity(world.rank(), "main");
  RunPlan plan = check_plan(config, world);
  // Held until the run ends, so that no other run writes into its folder.
  std::optional<RunFolderClaim> claim;
  check_on_every_rank(world, [&] {
    claim.emplace(claim_run_folder(world, config.get_text("run-dir"), config.get_text("name"),
                                   config.get_text("resume").empty()));
  });
  const std::filesystem::path run_dir = claim->path();
  if (world.rank() == 0) {
    for (const std::string& line :
         run_summary(config, plan.settings, plan.held_out, world.size(), run_dir)) {
      log_info(line);
    }
    if (config.get_bool("echo-config")) {
      std::cout << config.to_ini("spiral train --config FILE reproduces this run") << std::flush;
    }
  }
  const Membership member(config, world, plan, run_dir);
  // Every rank has checked that the run folder is free before rank 0 writes into it.
  world.barrier();
  *abort_on_error = plan.async;
  const Roles roles(world, plan, member);
  // Signals reach every rank; learners decide when the run stops and tell the others.
  SignalGuard signals;
  if (roles.role == dist::Role::kReplay) {
    set_log_identity(world.rank(), "replay");
    return run_replay_holder(member.world, *plan.async_settings, signals);
  }
  if (roles.role == dist::Role::kActor) {
    set_log_identity(world.rank(), "actor");
    learn::TrainerConfig member_settings = plan.settings;
    if (member.members > 1) member_settings.seed = member_seed(plan.settings.seed, member.index);
    learn::Trainer actor(actor_config(config, member_settings, world.rank(), roles.node_rank),
                         plan.dataset);
    return run_actor(member.world, *plan.async_settings, *roles.route, actor, signals);
  }
  if (plan.async) set_log_identity(world.rank(), "learner");
  return run_learner(config, plan, member, roles, world, run_dir, signals);
}

}  // namespace spiral::run
