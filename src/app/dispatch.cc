#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include "command.h"
#include "spiral/core/errors.h"

namespace spiral::app {
namespace {

void print_actions(std::ostream& out, const Command& command, const std::string& words) {
  out << "Usage: " << words << " <" << (words == "spiral" ? "command" : "action")
      << "> [--config FILE] [--OPTION VALUE ...]\n"
      << "       " << words << " <" << (words == "spiral" ? "command" : "action") << "> --help"
      << (words == "spiral" ? " | spiral --version" : "") << "\n"
      << command.summary << "\n\n"
      << (words == "spiral" ? "Commands" : "Actions") << ":\n";
  for (const auto& action : command.actions) {
    out << "  " << action.name
        << std::string(action.name.size() < 16 ? 16 - action.name.size() : 1, ' ') << action.summary
        << "\n";
  }
}

// How long ranks other than 0 wait before exiting on a command line that every rank refuses.
constexpr std::chrono::seconds kRefusalGrace{3};

// This process's rank in an MPI or Slurm job by its launcher's variables, before MPI starts; -1
// outside one.
int launched_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return -1;
}

int run_leaf(const Command& command, const std::string& words, const std::vector<std::string>& args,
             CommandContext& context) {
  std::vector<OptionGroup> groups = {common_options()};
  groups.insert(groups.end(), command.option_groups.begin(), command.option_groups.end());
  const std::string name = words.substr(words.find(' ') + 1);  // "train", "data info"
  bool parsed_ok = false;
  try {
    const ParsedCommandLine parsed = parse_command_line(name, groups, args);
    parsed_ok = true;
    if (parsed.help) {
      std::cout << format_help(name, command.summary, groups);
      return 0;
    }
    if (parsed.print_config) {
      std::cout << parsed.config.to_ini(words + " --config FILE reads this");
      return 0;
    }
    apply_common_options(parsed.config);
    return command.run(parsed.config, context);
  } catch (const UserError& error) {
    // Every rank of a job reads the same command line and refuses it alike: rank 0 says why. The
    // others wait a moment before they exit: the launcher ends the job when the first rank exits,
    // which would otherwise end rank 0 before it has said it.
    if (parsed_ok || launched_rank() <= 0) {
      std::cerr << words << ": error: " << error.what() << "\n";
    } else {
      std::this_thread::sleep_for(kRefusalGrace);
    }
    return kUserErrorExitCode;
  } catch (const std::exception& error) {
    std::cerr << words << ": internal error: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace

int dispatch(const Command& command, const std::string& words, const std::vector<std::string>& args,
             CommandContext& context) {
  if (command.actions.empty()) return run_leaf(command, words, args, context);
  const std::string first = args.empty() ? "" : args.front();
  if (first == "--help" || first == "-h" || first == "help") {
    print_actions(std::cout, command, words);
    return 0;
  }
  for (const auto& action : command.actions) {
    if (action.name == first) {
      return dispatch(action, words + " " + first,
                      std::vector<std::string>(args.begin() + 1, args.end()), context);
    }
  }
  if (first.empty()) {
    print_actions(std::cerr, command, words);
  } else {
    std::cerr << words << ": unknown " << (words == "spiral" ? "command" : "action") << " '"
              << first << "' (" << words << " --help lists them)\n";
  }
  return kUserErrorExitCode;
}

}  // namespace spiral::app
