#include <exception>

#include "command.h"
#include "spiral/core/errors.h"
#include "spiral/dist/mpi.h"
#include "spiral/run/start_checks.h"
#include "spiral/run/train.h"
#include "spiral/run/train_settings.h"

namespace spiral::app {
namespace {

int run_train(const Config& config, CommandContext& context) {
  dist::MpiRuntime mpi(context.argc, context.argv);
  bool abort_on_error = false;
  try {
    return run::train(config, mpi.world(), &abort_on_error);
  } catch (const run::RefusedOnRankZero&) {
    return kUserErrorExitCode;
  } catch (const std::exception& error) {
    if (!abort_on_error) throw;
    dist::abort_job(error.what(),
                    dynamic_cast<const UserError*>(&error) != nullptr ? kUserErrorExitCode : 1);
  }
}

}  // namespace

Command train_command() {
  return {"train",
          "Train a SPIRAL agent (painter or MuJoCo scenes) on one or many MPI ranks.",
          run::train_option_groups(),
          run_train,
          {}};
}

}  // namespace spiral::app
