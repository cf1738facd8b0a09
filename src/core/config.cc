#include "spiral/core/config.h"

#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/option_lists.h"

namespace spiral {
namespace po = boost::program_options;

namespace {

constexpr char kConfigOption[] = "config";
constexpr char kHelpOption[] = "help";
constexpr char kPrintConfigOption[] = "print-config";
// Integer limits from here up (INT64_MAX as a double) read as "no upper limit".
constexpr double kUnboundedInt = 9.2e18;

// The shortest text that reads back to the same double ("40", "0.1", "3e-05").
std::string format_real(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, result.ptr);
}

std::string range_text(const OptionSpec& spec) {
  if (spec.min > spec.max) return "";
  if (spec.type == OptionType::kInt) {
    const std::string low = std::to_string(static_cast<int64_t>(spec.min));
    if (spec.max >= kUnboundedInt) return " >= " + low;
    return " in [" + low + ", " + std::to_string(static_cast<int64_t>(spec.max)) + "]";
  }
  return " in [" + format_real(spec.min) + ", " + format_real(spec.max) + "]";
}

// What a valid value looks like, for error messages.
std::string expectation(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kInt:
      return "an integer" + range_text(spec);
    case OptionType::kReal:
      return "a number" + range_text(spec);
    case OptionType::kBool:
      return "true or false";
    case OptionType::kChoice:
      return "one of " + join(spec.choices, ", ");
    case OptionType::kInputFile:
      return "an existing file";
    case OptionType::kText:
      return "text on one line without '#'";
  }
  return "";
}

bool in_range(const OptionSpec& spec, double value) {
  return spec.min > spec.max || (value >= spec.min && value <= spec.max);
}

// Checks `text` against `spec` and returns its canonical form; throws UserError naming `where`.
std::string canonical_value(const OptionSpec& spec, const std::string& text,
                            const std::string& where) {
  auto fail = [&](const std::string& why) -> std::string {
    throw UserError(where + ": expected " + expectation(spec) + ", got '" + text + "'" + why);
  };
  switch (spec.type) {
    case OptionType::kInt: {
      errno = 0;
      char* end = nullptr;
      const long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) return fail("");
      if (!in_range(spec, static_cast<double>(value))) return fail("");
      return std::to_string(value);
    }
    case OptionType::kReal: {
      errno = 0;
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) return fail("");
      if (!in_range(spec, value)) return fail("");
      return format_real(value);
    }
    case OptionType::kBool: {
      for (const char* yes : {"true", "1", "yes", "on"}) {
        if (text == yes) return "true";
      }
      for (const char* no : {"false", "0", "no", "off"}) {
        if (text == no) return "false";
      }
      return fail("");
    }
    case OptionType::kChoice:
      for (const auto& choice : spec.choices) {
        if (text == choice) return text;
      }
      return fail("");
    case OptionType::kInputFile:
      if (!text.empty()) {
        const std::string why = why_not_a_regular_file(text);
        if (!why.empty()) return fail(" (" + why + ")");
      }
      return text;
    case OptionType::kText:
      if (text.find_first_of("#\n") != std::string::npos) return fail("");
      return text;
  }
  return text;
}

std::string type_hint(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kInt:
      return "INT";
    case OptionType::kReal:
      return "NUM";
    case OptionType::kBool:
      return "BOOL";
    case OptionType::kChoice:
      return join(spec.choices, "|");
    case OptionType::kInputFile:
      return "FILE";
    case OptionType::kText:
      return "TEXT";
  }
  return "";
}

po::options_description boost_options(const std::vector<OptionGroup>& groups) {
  po::options_description description;
  for (const auto& group : groups) {
    for (const auto& spec : group.options) {
      auto* semantic = po::value<std::string>();
      if (spec.type == OptionType::kBool) semantic->implicit_value("true");
      description.add_options()(spec.name.c_str(), semantic, spec.help.c_str());
    }
  }
  return description;
}

// Runs a Boost.Program_options step, turning its exceptions into one-line UserErrors.
template <typename Step>
void run_boost(const std::string& command, const std::string& source, Step step) {
  const std::string listing = " (spiral " + command + " --help lists the options)";
  try {
    step();
  } catch (const po::unknown_option& error) {
    std::string name = error.get_option_name();
    if (source.empty() && name.rfind("-", 0) != 0) name = "--" + name;
    throw UserError((source.empty() ? "" : source + ": ") + "unknown option '" + name + "'" +
                    listing);
  } catch (const po::too_many_positional_options_error&) {
    throw UserError("too many bare words: options are written --name value" + listing);
  } catch (const po::multiple_occurrences& error) {
    throw UserError((source.empty() ? "" : source + ": ") + "option '" + error.get_option_name() +
                    "' is given more than once");
  } catch (const po::error& error) {
    throw UserError((source.empty() ? "spiral " + command : source) + ": " + error.what() +
                    listing);
  }
}

}  // namespace

OptionSpec int_option(std::string name, int64_t value, int64_t min, int64_t max, std::string unit,
                      std::string help) {
  return {std::move(name), OptionType::kInt,         std::to_string(value),    std::move(unit),
          std::move(help), static_cast<double>(min), static_cast<double>(max), {}};
}

OptionSpec real_option(std::string name, double value, double min, double max, std::string unit,
                       std::string help) {
  return {std::move(name),
          OptionType::kReal,
          format_real(value),
          std::move(unit),
          std::move(help),
          min,
          max,
          {}};
}

OptionSpec bool_option(std::string name, bool value, std::string help) {
  return {
      std::move(name), OptionType::kBool, value ? "true" : "false", "", std::move(help), 1, 0, {}};
}

OptionSpec text_option(std::string name, std::string value, std::string help) {
  return {std::move(name), OptionType::kText, std::move(value), "", std::move(help), 1, 0, {}};
}

OptionSpec choice_option(std::string name, std::string value, std::vector<std::string> choices,
                         std::string help) {
  return {std::move(name),   OptionType::kChoice, std::move(value), "", std::move(help), 1, 0,
          std::move(choices)};
}

OptionSpec input_file_option(std::string name, std::string value, std::string help) {
  return {std::move(name), OptionType::kInputFile, std::move(value), "", std::move(help), 1, 0, {}};
}

OptionSpec positional(OptionSpec spec) {
  spec.positional = true;
  return spec;
}

Config::Config(std::vector<OptionGroup> groups, std::map<std::string, std::string> values)
    : groups_(std::move(groups)), values_(std::move(values)) {}

const OptionSpec& Config::spec(const std::string& name,
                               std::initializer_list<OptionType> types) const {
  for (const auto& group : groups_) {
    for (const auto& spec : group.options) {
      if (spec.name != name) continue;
      for (OptionType type : types) {
        if (spec.type == type) return spec;
      }
      throw std::logic_error("option '" + name + "' read with the wrong type");
    }
  }
  throw std::logic_error("no option '" + name + "' in this command's configuration");
}

int64_t Config::get_int(const std::string& name) const {
  spec(name, {OptionType::kInt});
  return std::stoll(values_.at(name));
}

double Config::get_real(const std::string& name) const {
  spec(name, {OptionType::kReal});
  return std::stod(values_.at(name));
}

bool Config::get_bool(const std::string& name) const {
  spec(name, {OptionType::kBool});
  return values_.at(name) == "true";
}

const std::string& Config::get_text(const std::string& name) const {
  spec(name, {OptionType::kText, OptionType::kChoice, OptionType::kInputFile});
  return values_.at(name);
}

std::string Config::to_ini(const std::string& heading) const {
  std::ostringstream out;
  out << "# " << heading << "\n";
  for (const auto& group : groups_) {
    out << "\n# --- " << group.title << " ---\n";
    for (const auto& spec : group.options) {
      out << "# " << spec.help;
      if (!spec.unit.empty()) out << " [" << spec.unit << "]";
      out << "\n" << spec.name << " = " << values_.at(spec.name) << "\n";
    }
  }
  return out.str();
}

namespace {

// parse_command_line with the input file's text given (`config_text` not null, named
// `config_name` in messages) or read from the file --config names (`config_text` null).
ParsedCommandLine parse(const std::string& command, const std::vector<OptionGroup>& groups,
                        const std::vector<std::string>& args, const std::string* config_name,
                        const std::string* config_text) {
  po::options_description file_options = boost_options(groups);
  po::options_description cli_options;
  cli_options.add(file_options);
  cli_options.add_options()(kConfigOption, po::value<std::string>(), "input file")(
      kHelpOption, "help")(kPrintConfigOption, "print the configuration");

  po::variables_map cli;
  po::positional_options_description bare_words;  // the positional option, if any; else none
  for (const auto& group : groups) {
    for (const auto& spec : group.options) {
      if (spec.positional) bare_words.add(spec.name.c_str(), 1);
    }
  }
  run_boost(command, "", [&] {
    po::command_line_parser parser(args);
    parser.options(cli_options);
    if (bare_words.max_total_count() > 0) parser.positional(bare_words);
    const po::parsed_options options = parser.run();
    for (const auto& option : options.options) {
      const bool stray_word = option.position_key >= 0 && option.string_key.empty();
      if ((option.unregistered || stray_word) && !option.original_tokens.empty()) {
        throw UserError("unexpected argument '" + option.original_tokens.front() +
                        "': options are written --name value");
      }
    }
    po::store(options, cli);
  });

  ParsedCommandLine parsed;
  parsed.help = cli.count(kHelpOption) > 0;
  parsed.print_config = cli.count(kPrintConfigOption) > 0;
  if (parsed.help) return parsed;

  po::variables_map file;
  std::string config_path;
  std::string text;
  if (config_text != nullptr) {
    config_path = *config_name;
    text = *config_text;
  } else if (cli.count(kConfigOption)) {
    config_path = cli[kConfigOption].as<std::string>();
    try {
      text = read_text_file(config_path);
    } catch (const UserError& e) {
      throw UserError(std::string("--config: ") + e.what());
    }
  }
  if (config_text != nullptr || cli.count(kConfigOption)) {
    std::istringstream stream(text);
    run_boost(command, config_path,
              [&] { po::store(po::parse_config_file(stream, file_options), file); });
  }

  std::map<std::string, std::string> values;
  for (const auto& group : groups) {
    for (const auto& spec : group.options) {
      std::string value = spec.default_value;
      std::string where = "--" + spec.name + " (default)";
      if (cli.count(spec.name)) {
        value = cli[spec.name].as<std::string>();
        where = "--" + spec.name;
      } else if (file.count(spec.name)) {
        value = file[spec.name].as<std::string>();
        where = config_path + ": " + spec.name;
      }
      values[spec.name] = canonical_value(spec, value, where);
    }
  }
  parsed.config = Config(groups, std::move(values));
  return parsed;
}

}  // namespace

ParsedCommandLine parse_command_line(const std::string& command,
                                     const std::vector<OptionGroup>& groups,
                                     const std::vector<std::string>& args) {
  return parse(command, groups, args, nullptr, nullptr);
}

ParsedCommandLine parse_command_line(const std::string& command,
                                     const std::vector<OptionGroup>& groups,
                                     const std::vector<std::string>& args,
                                     const std::string& config_name,
                                     const std::string& config_text) {
  return parse(command, groups, args, &config_name, &config_text);
}

std::string format_help(const std::string& command, const std::string& summary,
                        const std::vector<OptionGroup>& groups) {
  std::ostringstream out;
  out << "Usage: spiral " << command << " [--config FILE] [--OPTION VALUE ...]\n"
      << summary << "\n\n"
      << "Options come from the command line and from an INI input file (--config), the command\n"
      << "line winning. --print-config prints the resolved configuration as such a file.\n";
  for (const auto& group : groups) {
    out << "\n" << group.title << ":\n";
    for (const auto& spec : group.options) {
      std::string left = "  " + std::string(spec.positional ? "[--" : "--") + spec.name +
                         (spec.positional ? "] " : " ") + type_hint(spec);
      out << left;
      if (left.size() < 34) {
        out << std::string(34 - left.size(), ' ');
      } else {
        out << "\n" << std::string(34, ' ');
      }
      out << spec.help;
      if (!spec.unit.empty()) out << " [" << spec.unit << "]";
      out << " (default: " << (spec.default_value.empty() ? "none" : spec.default_value);
      if (spec.type == OptionType::kInt || spec.type == OptionType::kReal) {
        out << (spec.min > spec.max ? "" : ";") << range_text(spec);
      }
      out << ")\n";
    }
  }
  return out.str();
}

}  // namespace spiral
