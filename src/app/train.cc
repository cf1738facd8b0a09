#include <iostream>

#include "command.h"
#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/dist/mpi.h"
#include "spiral/render/options.h"
#include "spiral/render/program.h"

namespace spiral::app {
namespace {

std::vector<OptionGroup> train_options() {
  return {
      {"run",
       {
           text_option("name", "quickstart", "Name of the run; its files go to <run-dir>/<name>"),
           text_option("run-dir", "runs", "Folder that holds run folders"),
           choice_option("mode", "sync", {"sync", "async"},
                         "sync: every rank acts and learns in lock step; async: role layout"),
           text_option("layout", "",
                       "Async roles, e.g. actors:28,replay:2,learners:2 (empty: by world size)"),
           int_option("frames", 1000000, 1, INT64_MAX, "frames", "Training budget in agent steps"),
           real_option("time-limit", 0, 0, 1e9, "s",
                       "Wall-clock limit; checkpoint and exit before it (0: none)"),
           int_option("render-threads", 0, 0, 1024, "threads",
                      "Threads stepping environments per rank (0: as --threads)"),
       }},
      render::environment_options(),
      {"data",
       {
           text_option("dataset", "mnist:inputs/data/mnist",
                       "Target images as kind:location (mnist, omniglot, celeba, folder, scenes)"),
           bool_option("conditional", true, "Condition the agent on a target image"),
       }},
      {"agent",
       {
           int_option("batch", 64, 1, 65536, "episodes", "Episodes per policy update"),
           int_option("envs", 64, 1, 65536, "environments", "Environments per acting rank"),
           real_option("policy-lr", 1e-4, 0, 1, "", "Adam learning rate of the policy"),
           real_option("entropy-cost", 0.01, 0, 10, "", "Weight of the entropy bonus"),
           real_option("grad-clip", 40, 0, 1e9, "", "Gradient norm clip (0: none)"),
           choice_option("reward", "discriminator", {"discriminator", "l2"},
                         "Final reward: D(render) or -L2(render, target)"),
           real_option("discriminator-lr", 1e-4, 0, 1, "", "Adam learning rate of D"),
           real_option("gradient-penalty", 10, 0, 1e6, "", "WGAN-GP penalty weight"),
       }},
  };
}

int run_train(const Config& config, CommandContext& context) {
  const render::EnvironmentSettings environment = render::environment_settings(config);
  dist::MpiRuntime mpi(context.argc, context.argv);
  const dist::Communicator world = mpi.world();
  set_log_identity(world.rank(), "main");
  if (world.rank() == 0) {
    log_info("spiral train on ", world.size(), " rank(s); actions ",
             render::action_spec_for(environment).describe(), "; resolved configuration:");
    std::cout << config.to_ini("spiral train --config FILE reproduces this run") << std::flush;
  }
  log_error("spiral train: training is not built in this version yet");
  return kUserErrorExitCode;
}

}  // namespace

Command train_command() {
  return {"train",
          "Train a SPIRAL agent (painter or MuJoCo scenes) on one or many MPI ranks.",
          train_options(),
          run_train,
          {}};
}

}  // namespace spiral::app
