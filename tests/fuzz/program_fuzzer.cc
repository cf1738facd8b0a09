// libFuzzer target: the program JSON parser, render::program_from_json (tests/fuzz/run.sh).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/render/program.h"

namespace spiral::render {

// Parsing never makes an environment; this stands in for the renderers (libmypaint, MuJoCo and
// OpenGL), which the target does not link.
std::unique_ptr<Environment> make_environment(const EnvironmentSettings&) { std::abort(); }

}  // namespace spiral::render

namespace {

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "program_fuzzer: %s\n", why.c_str());
  std::abort();
}

int episode_length(const spiral::render::EnvironmentSettings& settings) {
  return settings.kind == spiral::render::EnvironmentSettings::Kind::kPainter
             ? settings.painter.episode_length
             : settings.scene.episode_length;
}

// A parsed program's commands must fit its action spec, and it must survive a round trip.
void check_program(const spiral::render::Program& program) {
  const spiral::render::ActionSpec spec = spiral::render::action_spec_for(program.settings);
  if (static_cast<int>(program.commands.size()) > episode_length(program.settings)) {
    fail("more commands than episode_length");
  }
  for (const spiral::render::Command& command : program.commands) {
    if (command.size() != spec.size()) fail("a command of the wrong length");
    for (size_t i = 0; i < spec.size(); ++i) {
      if (command[i] < 0 || command[i] >= spec.parts()[i].size) {
        fail("command part " + spec.parts()[i].name + " out of range");
      }
    }
  }
  const std::string json = spiral::render::program_to_json(program);
  try {
    const spiral::render::Program again = spiral::render::program_from_json(json, "again.json");
    if (again.commands != program.commands || again.seed != program.seed ||
        spiral::render::program_to_json(again) != json) {
      fail("program_to_json does not reproduce the program:\n" + json);
    }
  } catch (const spiral::UserError& error) {
    fail("program_to_json's output does not read back: " + std::string(error.what()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  spiral::render::Program program;
  try {
    program = spiral::render::program_from_json(text, "fuzz.json");
  } catch (const spiral::UserError& error) {
    // Refusing bad input with one line is the expected outcome.
    const char* message = error.what();
    if (std::strncmp(message, "fuzz.json: ", 11) != 0 || std::strchr(message, '\n') != nullptr) {
      fail(std::string("UserError message is not one line naming the file: ") + message);
    }
    return 0;
  }
  check_program(program);
  return 0;
}
