// libFuzzer target: the INI input-file parser of the configuration (tests/fuzz/run.sh). The input
// is the text of a --config file for options like those of `spiral train`.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "spiral/core/config.h"
#include "spiral/core/errors.h"
#include "spiral/render/options.h"

namespace {

using spiral::OptionGroup;
using spiral::OptionType;

// Every option type with ranges, units and choices, as `spiral train` declares them.
const std::vector<OptionGroup>& train_like_options() {
  static const std::vector<OptionGroup> groups = {
      {"run",
       {spiral::text_option("name", "quickstart", "Name of the run"),
        spiral::text_option("run-dir", "runs", "Folder that holds run folders"),
        spiral::choice_option("mode", "sync", {"sync", "async"}, "Training mode"),
        spiral::int_option("frames", 1000000, 1, INT64_MAX, "frames", "Training budget"),
        spiral::real_option("time-limit", 0, 0, 1e9, "s", "Wall-clock limit (0: none)"),
        spiral::int_option("eval-every", 50, 1, INT64_MAX, "steps", "Steps between evaluations"),
        spiral::int_option("images-every", 500, 1, INT64_MAX, "steps", "Steps between images"),
        spiral::bool_option("checkpoint-replay", true, "Store the render replay"),
        spiral::int_option("seed", 1, 0, INT64_MAX, "", "Seed of every generator")}},
      spiral::render::environment_options(),
      {"data",
       {spiral::text_option("dataset", "mnist:inputs/data/mnist", "Target images"),
        spiral::bool_option("conditional", true, "Condition the agent on a target image"),
        spiral::int_option("held-out", 64, 1, 65536, "images", "Held-out images")}},
      {"learning",
       {spiral::int_option("batch", 64, 1, 65536, "episodes", "Episodes per policy update"),
        spiral::int_option("envs", 64, 1, 65536, "environments", "Environments per rank"),
        spiral::choice_option("policy-size", "paper", {"paper", "small"}, "Network sizes"),
        spiral::real_option("policy-lr", 1e-4, 0, 1, "", "Adam learning rate of the policy"),
        spiral::real_option("entropy-cost", 0.01, 0, 10, "", "Weight of the entropy bonus"),
        spiral::choice_option("reward", "discriminator", {"discriminator", "l2"}, "Reward"),
        spiral::choice_option("reward-timing", "final", {"final", "per-step"}, "Reward timing"),
        spiral::choice_option("l2-form", "sum", {"sum", "mean"}, "L2 reward form"),
        spiral::real_option("stroke-penalty", 0, 0, 1e6, "", "Per new stroke"),
        spiral::real_option("blank-penalty", 0, 0, 1e6, "", "For a blank canvas"),
        spiral::bool_option("normalize-advantages", false, "Scale advantages per update"),
        spiral::real_option("discriminator-lr", 1e-4, 0, 1, "", "Adam learning rate of D"),
        spiral::real_option("gradient-penalty", 10, 0, 1e6, "", "WGAN-GP penalty weight")}},
  };
  return groups;
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "config_fuzzer: %s\n", why.c_str());
  std::abort();
}

// A UserError's message must be one non-empty line.
void check_message(const spiral::UserError& error) {
  const char* message = error.what();
  if (*message == '\0' || std::strchr(message, '\n') != nullptr) {
    fail(std::string("UserError message is not one line: ") + message);
  }
}

bool in_range(const spiral::OptionSpec& spec, double value) {
  return spec.min > spec.max || (value >= spec.min && value <= spec.max);
}

// Every value of `config` must be of its option's type, in its range, or one of its choices.
void check_values(const spiral::Config& config) {
  for (const OptionGroup& group : config.groups()) {
    for (const spiral::OptionSpec& spec : group.options) {
      switch (spec.type) {
        case OptionType::kInt:
          if (!in_range(spec, static_cast<double>(config.get_int(spec.name)))) {
            fail(spec.name + " is out of range");
          }
          break;
        case OptionType::kReal: {
          const double value = config.get_real(spec.name);
          if (!std::isfinite(value) || !in_range(spec, value)) fail(spec.name + " is out of range");
          break;
        }
        case OptionType::kBool:
          config.get_bool(spec.name);
          break;
        case OptionType::kChoice: {
          const std::string& value = config.get_text(spec.name);
          bool known = false;
          for (const std::string& choice : spec.choices) known = known || choice == value;
          if (!known) fail(spec.name + " is not one of its choices: " + value);
          break;
        }
        case OptionType::kText:
          if (config.get_text(spec.name).find_first_of("#\n") != std::string::npos) {
            fail(spec.name + " holds '#' or a line break");
          }
          break;
        case OptionType::kInputFile:
          break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  spiral::Config config;
  try {
    config = spiral::parse_command_line("train", train_like_options(), {}, "fuzz.cfg", text).config;
  } catch (const spiral::UserError& error) {
    check_message(error);  // refusing bad input with a message is the expected outcome
    return 0;
  }
  check_values(config);
  // The written INI file must read back to the same configuration.
  const std::string ini = config.to_ini("fuzz");
  try {
    const spiral::Config again =
        spiral::parse_command_line("train", train_like_options(), {}, "again.cfg", ini).config;
    if (again.to_ini("fuzz") != ini) fail("to_ini does not reproduce the configuration:\n" + ini);
  } catch (const spiral::UserError& error) {
    fail(std::string("to_ini's output does not read back: ") + error.what());
  }
  // The environment settings the options describe: settings or a one-line refusal.
  try {
    spiral::render::environment_settings(config);
  } catch (const spiral::UserError& error) {
    check_message(error);
  }
  return 0;
}
