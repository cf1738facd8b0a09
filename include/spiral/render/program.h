// A program: the environment and its settings plus the commands an agent wrote. Saved as JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/render/action_spec.h"
#include "spiral/render/environment.h"
#include "spiral/render/settings.h"

namespace spiral::render {

// The JSON schema's version written by this build; older versions are refused with a message.
inline constexpr int kProgramFormatVersion = 1;

// Everything needed to render a program again, at any size or with another brush.
struct Program {
  EnvironmentSettings settings;
  uint64_t seed = 0;              // the environment's reset seed (brush randomness)
  std::vector<Command> commands;  // in order; each checked against the settings' action spec
};

// The action spec of the environment `settings` describe.
ActionSpec action_spec_for(const EnvironmentSettings& settings);

// A new environment as `settings` describe (UserError for invalid settings).
std::unique_ptr<Environment> make_environment(const EnvironmentSettings& settings);

// Runs every command of `program` on a fresh environment and returns the final canvas.
Image render_program(const Program& program);

// The program as JSON (the schema is documented in docs/program-format.md).
std::string program_to_json(const Program& program);
// Parses JSON strictly: unknown or missing keys, wrong types, a foreign format or version, and
// commands that do not fit the action spec are UserErrors naming `source` and the key.
Program program_from_json(const std::string& text, const std::string& source);

// Writes `program` to `path` (through a temporary file, renamed into place).
void save_program(const std::string& path, const Program& program);
// Reads a program file (UserError naming the file when it is missing or invalid).
Program load_program(const std::string& path);

}  // namespace spiral::render
