// A subcommand of the `spiral` command line: its name, summary, options and entry point, and the
// options every subcommand has. The modules that own commands' work (run, bench) describe their
// commands with it; the app dispatches them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "spiral/core/config.h"

namespace spiral {

// What a subcommand's entry point receives besides its configuration.
struct CommandContext {
  int* argc;
  char*** argv;
};

// One subcommand of the CLI.
struct Command {
  std::string name;
  std::string summary;
  std::vector<OptionGroup> option_groups;  // besides the common options every command has
  std::function<int(const Config&, CommandContext&)> run;
  // A command with actions (`spiral data info ...`) takes the action's name as its first word;
  // each action has its own options and entry point, and the command's own are unused.
  std::vector<Command> actions;
};

// The options every command has: log level, threads, seed.
OptionGroup common_options();

}  // namespace spiral
