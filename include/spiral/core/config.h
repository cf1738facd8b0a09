// Run configuration: typed options from the command line and an INI input file, validated,
// printed back in full as an INI file that reproduces the run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spiral {

// The kind of value an option holds; decides how its text is checked.
enum class OptionType { kInt, kReal, kBool, kText, kChoice, kInputFile };

// One option: name (as on the command line, without "--"), default, unit, one-line help, limits.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kText;
  std::string default_value;
  std::string unit;  // "" when the value has none
  std::string help;
  double min = 0, max = 0;           // inclusive range for kInt and kReal (ignored when min > max)
  std::vector<std::string> choices;  // allowed values for kChoice
  bool positional = false;           // also given as the first bare word: `spiral inspect RUN`
};

// A titled group of options, as shown in --help and in the written INI file.
struct OptionGroup {
  std::string title;
  std::vector<OptionSpec> options;
};

// Builders that keep option tables short and uniform.
OptionSpec int_option(std::string name, int64_t value, int64_t min, int64_t max, std::string unit,
                      std::string help);
OptionSpec real_option(std::string name, double value, double min, double max, std::string unit,
                       std::string help);
OptionSpec bool_option(std::string name, bool value, std::string help);
OptionSpec text_option(std::string name, std::string value, std::string help);
OptionSpec choice_option(std::string name, std::string value, std::vector<std::string> choices,
                         std::string help);
// A file that must exist when the value is not empty.
OptionSpec input_file_option(std::string name, std::string value, std::string help);
// `spec`, also accepted as the command's first bare word (at most one per command).
OptionSpec positional(OptionSpec spec);

// The resolved, validated values of every option of a command.
class Config {
 public:
  Config() = default;
  Config(std::vector<OptionGroup> groups, std::map<std::string, std::string> values);

  int64_t get_int(const std::string& name) const;
  double get_real(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  // The value of a kText, kChoice or kInputFile option.
  const std::string& get_text(const std::string& name) const;

  // The whole configuration as an INI file (grouped, commented) that `--config` reads back.
  std::string to_ini(const std::string& heading) const;
  const std::vector<OptionGroup>& groups() const { return groups_; }

 private:
  const OptionSpec& spec(const std::string& name, std::initializer_list<OptionType> types) const;

  std::vector<OptionGroup> groups_;
  std::map<std::string, std::string> values_;  // canonical text of every option
};

// What a command line asked for besides the configuration itself.
struct ParsedCommandLine {
  Config config;
  bool help = false;          // --help: print the options and exit
  bool print_config = false;  // --print-config: print the resolved INI and exit
};

// Parses `argv` (the words after the subcommand) and the file named by --config, command line
// winning; checks every value. Throws UserError with one line naming the option on any mistake.
ParsedCommandLine parse_command_line(const std::string& command,
                                     const std::vector<OptionGroup>& groups,
                                     const std::vector<std::string>& args);
// The same with the input file given as text: `config_text` is read as the file --config would
// name (which `args` then need not give, and which it replaces), and `config_name` names it in
// messages.
ParsedCommandLine parse_command_line(const std::string& command,
                                     const std::vector<OptionGroup>& groups,
                                     const std::vector<std::string>& args,
                                     const std::string& config_name,
                                     const std::string& config_text);

// The --help text of a command: usage, summary, and every option with default, unit and help.
std::string format_help(const std::string& command, const std::string& summary,
                        const std::vector<OptionGroup>& groups);

}  // namespace spiral
