#include "spiral/data/commands.h"
#include "command.h"
#include "spiral/learn/classifier_command.h"
#include "spiral/run/commands.h"

namespace spiral::app {
namespace {

// `spiral data`: its actions.
Command data_command() {
  return {"data",
          "Inspect datasets, generate MuJoCo scene datasets and train the digit classifier.",
          {},
          nullptr,
          {data::info_action(), data::generate_scenes_action(), learn::train_classifier_action()}};
}

}  // namespace

std::vector<Command> all_commands() {
  return {
      train_command(), run::reconstruct_command(), run::sample_command(), render_command(),
      bench_command(), run::inspect_command(),     data_command(),
  };
}

}  // namespace spiral::app
