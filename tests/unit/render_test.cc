// Tests of the render module's shared parts: action specs, programs (JSON), options, batches.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/render/environment_batch.h"
#include "spiral/render/options.h"
#include "spiral/render/painter.h"
#include "spiral/render/program.h"
#include "temp_dir_test.h"

namespace spiral::render {
namespace {

namespace fs = std::filesystem;

// The message of the UserError `statement` throws ("" when none).
template <typename Statement>
std::string user_error(const Statement& statement) {
  try {
    statement();
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

TEST(ActionSpec, ChecksLengthAndRanges) {
  const ActionSpec spec({{"flag", 2}, {"end", 16}});
  EXPECT_EQ(spec.describe(), "flag:2 end:16");
  EXPECT_EQ(spec.index("end"), 1);
  EXPECT_EQ(spec.index("size"), -1);
  EXPECT_NO_THROW(spec.check({1, 15}));
  EXPECT_EQ(user_error([&] { spec.check({1, 16}); }), "command part 'end' is 16, expected 0 to 15");
  EXPECT_EQ(user_error([&] { spec.check({-1, 0}); }), "command part 'flag' is -1, expected 0 to 1");
  EXPECT_EQ(user_error([&] { spec.check({1}); }),
            "command has 1 values, expected 2 (flag:2 end:16)");
  EXPECT_THROW(ActionSpec({{"a", 0}}), std::invalid_argument);
  EXPECT_THROW(ActionSpec({{"a", 2}, {"a", 3}}), std::invalid_argument);
}

Program painter_program() {
  Program program;
  program.settings.painter.grid = 8;
  program.seed = 42;
  // flag, end, control, size, pressure: a stroke, a jump, a stroke.
  program.commands = {{1, 9, 20, 3, 9}, {0, 60, 0, 0, 0}, {1, 7, 31, 5, 4}};
  return program;
}

TEST_F(TempDirTest, ProgramRoundTripsThroughAFile) {
  Program program = painter_program();
  program.settings.painter.rgb = true;
  program.settings.painter.brush_sizes = {2, 6};
  program.commands = {{1, 9, 20, 1, 9, 19, 0, 5}, {0, 60, 0, 0, 0, 0, 0, 0}};
  save_program(temp("p.json"), program);
  EXPECT_FALSE(fs::exists(temp("p.json.tmp")));
  const Program back = load_program(temp("p.json"));
  EXPECT_EQ(program_to_json(back), program_to_json(program));
  EXPECT_TRUE(back.settings.painter.rgb);
  EXPECT_EQ(back.settings.painter.brush_sizes, (std::vector<double>{2, 6}));
  EXPECT_EQ(back.seed, 42u);
  EXPECT_EQ(back.commands, program.commands);
}

TEST(Program, SceneProgramRoundTrips) {
  Program program;
  program.settings.kind = EnvironmentSettings::Kind::kScene;
  program.settings.scene.max_objects = 3;
  program.commands = {{0, 1, 17, 2, 3, 0, 1}, {2, 0, 0, 0, 0, 0, 0}};
  const Program back = program_from_json(program_to_json(program), "s.json");
  EXPECT_EQ(back.settings.kind, EnvironmentSettings::Kind::kScene);
  EXPECT_EQ(back.settings.scene.max_objects, 3);
  EXPECT_EQ(back.commands, program.commands);
}

// The error that parsing `program_to_json(painter_program())` edited by `edit` raises.
template <typename Edit>
std::string error_after(const Edit& edit) {
  std::string text = program_to_json(painter_program());
  edit(text);
  return user_error([&] { program_from_json(text, "p.json"); });
}

void replace(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

TEST(Program, MalformedFilesAreRefusedWithOneClearLine) {
  EXPECT_EQ(error_after([](std::string& t) { t = "{"; }).rfind("p.json: not valid JSON (", 0), 0u);
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "\"seed\"", "\"sead\""); }),
            "p.json: missing key 'seed'");
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "\"grid\"", "\"gird\""); }),
            "p.json: unknown key 'settings.gird'");
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "\"version\": 1", "\"version\": 7"); }),
            "p.json: version: expected 1 (this build's format), got 7");
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "spiral-program", "other"); }),
            "p.json: format: expected \"spiral-program\"");
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "\"painter\"", "\"fluid\""); }),
            "p.json: environment: expected \"painter\" or \"scene\", got \"fluid\"");
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "\"canvas\": 64", "\"canvas\": \"64\""); }),
            "p.json: settings.canvas: expected an integer");
  EXPECT_EQ(error_after([](std::string& t) { replace(t, "\"size\": 64", "\"size\": 65"); }),
            "p.json: action_spec: expected the settings' spec (flag:2 end:64 control:64 size:6 "
            "pressure:10)");
}

TEST(Program, HostileFilesAreRefusedWithOneLine) {
  const auto error_for = [](const std::string& rest) {
    return user_error([&] {
      program_from_json(R"({"format": "spiral-program", "version": 1, )" + rest, "p.json");
    });
  };
  // A grid whose square overflows, and settings that no action spec fits.
  EXPECT_EQ(error_for(R"("environment": "painter", "settings": {"grid": 65536}, "seed": 0,
                         "commands": []})"),
            "p.json: settings: painter grid is 65536, expected 2 to 1024");
  EXPECT_EQ(error_for(R"("environment": "scene", "settings": {"grid": 0}, "seed": 0,
                         "commands": []})"),
            "p.json: settings: scene setting 'grid' is 0, expected 1 to 256");
  // Line breaks in keys and values are shown escaped.
  EXPECT_EQ(error_for(R"("environment": "painter", "settings": {"gr\nid": 8}, "seed": 0,
                         "commands": []})"),
            "p.json: unknown key 'settings.gr\\nid'");
  EXPECT_EQ(error_for(R"("environment": "pa\ninter", "settings": {}, "seed": 0, "commands": []})"),
            "p.json: environment: expected \"painter\" or \"scene\", got \"pa\\ninter\"");
  // A number beyond double's range is a JSON error too.
  EXPECT_EQ(error_for(R"("seed": 1e999})").rfind("p.json: not valid JSON (", 0), 0u);
}

TEST(Program, CommandsThatDoNotFitAreRefused) {
  Program program = painter_program();
  program.commands[1][1] = 64;
  std::string text = program_to_json(program);
  EXPECT_EQ(user_error([&] { program_from_json(text, "p.json"); }),
            "p.json: commands[1]: command part 'end' is 64, expected 0 to 63");
  program = painter_program();
  program.commands[2].pop_back();
  text = program_to_json(program);
  EXPECT_NE(user_error([&] { program_from_json(text, "p.json"); }).find("commands[2]"),
            std::string::npos);
  program = painter_program();
  program.settings.painter.episode_length = 2;
  text = program_to_json(program);
  EXPECT_EQ(user_error([&] { program_from_json(text, "p.json"); }),
            "p.json: commands: expected at most episode_length = 2 commands, got 3");
}

TEST(Program, RenderingReplaysTheCommandsOnAFreshEnvironment) {
  const Program program = painter_program();
  Painter painter(program.settings.painter);
  painter.reset(program.seed);
  for (const Command& command : program.commands) painter.step(command);
  const Image expected = painter.canvas();
  EXPECT_EQ(render_program(program).pixels, expected.pixels);
  Program empty = program;
  empty.commands.clear();
  const Image blank = render_program(empty);
  EXPECT_NE(blank.pixels, expected.pixels);  // the strokes left ink
}

Config parse_environment(const std::vector<std::string>& args) {
  return parse_command_line("train", {environment_options()}, args).config;
}

TEST(Options, GiveEachEnvironmentItsSettingsAndDefaults) {
  const EnvironmentSettings painter = environment_settings(parse_environment(
      {"--canvas", "128", "--color", "rgb", "--brush-sizes", "2,5.5", "--supersample", "2"}));
  EXPECT_EQ(painter.kind, EnvironmentSettings::Kind::kPainter);
  EXPECT_EQ(painter.painter.canvas, 128);
  EXPECT_EQ(painter.painter.grid, 32);
  EXPECT_EQ(painter.painter.episode_length, 19);
  EXPECT_TRUE(painter.painter.rgb);
  EXPECT_EQ(painter.painter.brush_sizes, (std::vector<double>{2, 5.5}));
  EXPECT_EQ(painter.painter.supersample, 2);

  const EnvironmentSettings scene =
      environment_settings(parse_environment({"--env", "scene", "--max-objects", "3"}));
  EXPECT_EQ(scene.kind, EnvironmentSettings::Kind::kScene);
  EXPECT_EQ(scene.scene.grid, 16);
  EXPECT_EQ(scene.scene.episode_length, 20);
  EXPECT_EQ(scene.scene.max_objects, 3);

  EXPECT_EQ(user_error([] {
              environment_settings(parse_environment({"--canvas", "100"}));
            }),
            "--canvas: the painter's canvas must be a multiple of 64, got 100");
  EXPECT_EQ(user_error([] {
              environment_settings(parse_environment({"--brush-sizes", "2,x"}));
            }),
            "--brush-sizes: expected radii in (0, 1000] separated by commas, got '2,x'");
}

TEST(EnvironmentBatch, StepsLikeSeparateEnvironments) {
  EnvironmentSettings settings;
  settings.painter.grid = 8;
  const int count = 5;
  EnvironmentBatch batch(settings, count, 2);
  EXPECT_EQ(batch.threads(), 2);
  std::vector<uint64_t> seeds = {1, 2, 3, 4, 5};
  batch.reset(seeds);
  std::vector<Command> commands;
  for (int i = 0; i < count; ++i) commands.push_back({1, 8 * i + 3, 20 + i, i % 6, 9 - i});
  batch.step(commands);
  for (int i = 0; i < count; ++i) {
    Painter alone(settings.painter);
    alone.reset(seeds[i]);
    const Observation& expected = alone.step(commands[i]);
    EXPECT_EQ(batch.observation(i).canvas, expected.canvas) << "environment " << i;
    EXPECT_EQ(batch.observation(i).step, 1);
    EXPECT_EQ(batch.canvas(i).pixels, alone.canvas().pixels);
  }
  commands[3][1] = 64;  // out of range: the batch reports it
  EXPECT_EQ(user_error([&] { batch.step(commands); }),
            "command part 'end' is 64, expected 0 to 63");
}

}  // namespace
}  // namespace spiral::render
