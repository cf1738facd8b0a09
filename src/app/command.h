// A `spiral` subcommand: its name, summary, options and entry point.
#pragma once

#include <string>
#include <vector>

#include "spiral/core/command.h"
#include "spiral/core/config.h"

namespace spiral::app {

// Parses `args` for `command` (or, for a command with actions, for the action named by the
// first word) and runs it; returns the exit code. `words` is "spiral <name>" for messages.
int dispatch(const Command& command, const std::string& words, const std::vector<std::string>& args,
             CommandContext& context);

// Every subcommand, in the order `spiral --help` lists them.
std::vector<Command> all_commands();

// Applies the common options (log level, LibTorch's thread count).
void apply_common_options(const Config& config);

// The `spiral train` command.
Command train_command();

// The `spiral render` command.
Command render_command();

// The `spiral bench` command.
Command bench_command();

// The version report of `spiral --version`.
std::string version_report();

}  // namespace spiral::app
