// spiral: the command-line entry point; dispatches to the subcommands.
#include <iostream>

#include "command.h"
#include "spiral/core/allocator.h"
#include "spiral/core/errors.h"

int main(int argc, char** argv) {
  spiral::keep_freed_memory();
  using spiral::Command;
  const Command spiral{
      "spiral", "Train and run SPIRAL agents.", {}, nullptr, spiral::app::all_commands()};
  const std::string first = argc > 1 ? argv[1] : "";
  if (first == "--version") {
    std::cout << spiral::app::version_report();
    return 0;
  }
  spiral::CommandContext context{&argc, &argv};
  return spiral::app::dispatch(spiral, "spiral", std::vector<std::string>(argv + 1, argv + argc),
                               context);
}
