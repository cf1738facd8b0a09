#include <iostream>

#include "command.h"
#include "spiral/core/errors.h"
#include "spiral/core/logging.h"

namespace spiral::app {

// A subcommand this version does not implement yet: it parses its options, says so and exits 2.
Command not_built(std::string name, std::string summary) {
  Command command{name, std::move(summary), {}, nullptr, {}};
  command.run = [name](const Config&, CommandContext&) {
    std::cerr << "spiral " << name << ": not implemented in this version of spiral\n";
    return kUserErrorExitCode;
  };
  return command;
}

std::vector<Command> all_commands() {
  return {
      train_command(),
      reconstruct_command(),
      sample_command(),
      render_command(),
      bench_command(),
      not_built("inspect", "Summarise a run directory: config, metrics, checkpoints."),
      data_command(),
  };
}

}  // namespace spiral::app
