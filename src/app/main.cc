// spiral: the command-line entry point; dispatches to the subcommands.
#include <exception>
#include <iostream>

#include "command.h"
#include "spiral/core/errors.h"

namespace {

void print_usage(std::ostream& out, const std::vector<spiral::app::Command>& commands) {
  out << "Usage: spiral <command> [--config FILE] [--OPTION VALUE ...]\n"
         "       spiral <command> --help | spiral --version\n\n"
         "Commands:\n";
  for (const auto& command : commands) {
    out << "  " << command.name << std::string(14 - command.name.size(), ' ') << command.summary
        << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  using spiral::app::Command;
  const std::vector<Command> commands = spiral::app::all_commands();
  const std::string first = argc > 1 ? argv[1] : "";
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(std::cout, commands);
    return 0;
  }
  if (first == "--version") {
    std::cout << spiral::app::version_report();
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& candidate : commands) {
    if (candidate.name == first) command = &candidate;
  }
  if (command == nullptr) {
    if (first.empty()) {
      print_usage(std::cerr, commands);
    } else {
      std::cerr << "spiral: unknown command '" << first << "' (spiral --help lists them)\n";
    }
    return spiral::kUserErrorExitCode;
  }

  std::vector<spiral::OptionGroup> groups = {spiral::app::common_options()};
  groups.insert(groups.end(), command->option_groups.begin(), command->option_groups.end());
  try {
    const std::vector<std::string> args(argv + 2, argv + argc);
    const spiral::ParsedCommandLine parsed =
        spiral::parse_command_line(command->name, groups, args);
    if (parsed.help) {
      std::cout << spiral::format_help(command->name, command->summary, groups);
      return 0;
    }
    if (parsed.print_config) {
      std::cout << parsed.config.to_ini("spiral " + command->name + " --config FILE reads this");
      return 0;
    }
    spiral::app::apply_common_options(parsed.config);
    spiral::app::CommandContext context{&argc, &argv};
    return command->run(parsed.config, context);
  } catch (const spiral::UserError& error) {
    std::cerr << "spiral " << command->name << ": error: " << error.what() << "\n";
    return spiral::kUserErrorExitCode;
  } catch (const std::exception& error) {
    std::cerr << "spiral " << command->name << ": internal error: " << error.what() << "\n";
    return 1;
  }
}
