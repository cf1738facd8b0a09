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
  // A command with actions (`spiral data info ...`) takes the action's name as its first word;
  // each action has its own options and entry point, and the command's own are unused.
  std::vector<Command> actions;
};

// Parses `args` for `command` (or, for a command with actions, for the action named by the
// first word) and runs it; returns the exit code. `words` is "spiral <name>" for messages.
int dispatch(const Command& command, const std::string& words, const std::vector<std::string>& args,
             CommandContext& context);

// Every subcommand, in the order `spiral --help` lists them.
std::vector<Command> all_commands();

// The options every command has: log level, threads, seed.
OptionGroup common_options();

// Applies the common options (log level, LibTorch's thread count).
void apply_common_options(const Config& config);

// The `spiral train` command.
Command train_command();

// The option groups of `spiral train` (a checkpoint's stored configuration is read with them).
std::vector<OptionGroup> train_option_groups();

// The `spiral reconstruct` command.
Command reconstruct_command();

// The `spiral sample` command.
Command sample_command();

// The `spiral inspect` command.
Command inspect_command();

// The `spiral render` command.
Command render_command();

// The `spiral bench` command.
Command bench_command();

// The `spiral data` command.
Command data_command();

// The `spiral data train-classifier` action.
Command train_classifier_action();

// The version report of `spiral --version`.
std::string version_report();

}  // namespace spiral::app
