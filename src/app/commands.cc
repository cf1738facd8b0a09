#include "command.h"

namespace spiral::app {

std::vector<Command> all_commands() {
  return {
      train_command(), reconstruct_command(), sample_command(), render_command(),
      bench_command(), inspect_command(),     data_command(),
  };
}

}  // namespace spiral::app
