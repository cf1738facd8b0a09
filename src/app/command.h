// A `spiral` subcommand: its name, summary, options and entry point.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "spiral/core/config.h"

namespace spiral::app {

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
};

// A subcommand this version does not implement yet: it parses its options, says so, exits 2.
Command not_built(std::string name, std::string summary);

// Every subcommand, in the order `spiral --help` lists them.
std::vector<Command> all_commands();

// The options every command has: log level, threads, seed.
OptionGroup common_options();

// Applies the common options (log level, LibTorch's thread count).
void apply_common_options(const Config& config);

// The `spiral train` command.
Command train_command();

// The `spiral data` command.
Command data_command();

// The version report of `spiral --version`.
std::string version_report();

}  // namespace spiral::app
