// Tests of the core module: configuration parsing, validation, INI round trip, logging.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "spiral/core/config.h"
#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/core/option_lists.h"
#include "spiral/core/thread_pool.h"
#include "temp_dir_test.h"

namespace spiral {
namespace {

namespace fs = std::filesystem;

std::vector<OptionGroup> test_groups() {
  return {{"run",
           {int_option("batch", 64, 1, 4096, "episodes", "Episodes per update"),
            real_option("lr", 1e-4, 0, 1, "", "Learning rate"),
            bool_option("conditional", true, "Condition on a target"),
            choice_option("mode", "sync", {"sync", "async"}, "Mode"),
            text_option("name", "quickstart", "Run name")}},
          {"files", {input_file_option("targets", "", "A file of targets")}}};
}

ParsedCommandLine parse(const std::vector<std::string>& args) {
  return parse_command_line("train", test_groups(), args);
}

// The message of the UserError that `args` raise ("" when they raise none).
std::string error_of(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

// Config tests that read input files from a fresh temporary folder.
class TempDir : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(temp(name)) << text;
    return temp(name);
  }
};

TEST(OptionLists, JoinPutsTheSeparatorBetweenWordsOnly) {
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({"only"}, ","), "only");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"", "x"}, "|"), "|x");
}

TEST(OptionLists, SplitUndoesJoinKeepingEmptyPiecesInside) {
  EXPECT_EQ(split("16,32,64", ','), (std::vector<std::string>{"16", "32", "64"}));
  EXPECT_EQ(split("zero\none", '\n'), (std::vector<std::string>{"zero", "one"}));
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(split("", ',').empty());
  const std::vector<std::string> words = {"x", "", "y z"};
  EXPECT_EQ(split(join(words, ";"), ';'), words);
}

TEST(Config, DefaultsApplyWhenNothingIsGiven) {
  const Config config = parse({}).config;
  EXPECT_EQ(config.get_int("batch"), 64);
  EXPECT_DOUBLE_EQ(config.get_real("lr"), 1e-4);
  EXPECT_TRUE(config.get_bool("conditional"));
  EXPECT_EQ(config.get_text("mode"), "sync");
  EXPECT_EQ(config.get_text("targets"), "");
}

TEST(Config, CommandLineValuesAreTyped) {
  const Config config =
      parse({"--batch", "8", "--lr=0.5", "--conditional=no", "--mode", "async"}).config;
  EXPECT_EQ(config.get_int("batch"), 8);
  EXPECT_DOUBLE_EQ(config.get_real("lr"), 0.5);
  EXPECT_FALSE(config.get_bool("conditional"));
  EXPECT_EQ(config.get_text("mode"), "async");
}

TEST(Config, BareBooleanFlagMeansTrue) {
  EXPECT_TRUE(parse({"--conditional"}).config.get_bool("conditional"));
}

TEST(Config, HelpAndPrintConfigAreReported) {
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"--print-config"}).print_config);
  EXPECT_FALSE(parse({}).print_config);
}

TEST(Config, BadValuesNameTheOptionAndTheExpectation) {
  EXPECT_EQ(error_of({"--batch", "abc"}), "--batch: expected an integer in [1, 4096], got 'abc'");
  EXPECT_EQ(error_of({"--batch", "0"}), "--batch: expected an integer in [1, 4096], got '0'");
  EXPECT_EQ(error_of({"--batch", "12x"}), "--batch: expected an integer in [1, 4096], got '12x'");
  EXPECT_EQ(error_of({"--lr", "2"}), "--lr: expected a number in [0, 1], got '2'");
  EXPECT_EQ(error_of({"--lr", "nan"}), "--lr: expected a number in [0, 1], got 'nan'");
  EXPECT_EQ(error_of({"--mode", "fast"}), "--mode: expected one of sync, async, got 'fast'");
  EXPECT_EQ(error_of({"--conditional=maybe"}),
            "--conditional: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of({"--name", "a#b"}),
            "--name: expected text on one line without '#', got 'a#b'");
}

TEST(Config, UnknownAndRepeatedOptionsAreRefused) {
  EXPECT_EQ(error_of({"--batchsize", "8"}),
            "unknown option '--batchsize' (spiral train --help lists the options)");
  EXPECT_EQ(error_of({"--batch", "8", "--batch", "9"}), "option '--batch' is given more than once");
  EXPECT_EQ(error_of({"stray"}), "unexpected argument 'stray': options are written --name value");
}

TEST(Config, PositionalOptionTakesTheBareWord) {
  const std::vector<OptionGroup> groups = {
      {"g", {positional(text_option("spec", "", "Dataset")), int_option("n", 1, 1, 9, "", "N")}}};
  EXPECT_EQ(parse_command_line("data", groups, {"mnist:x", "--n", "3"}).config.get_text("spec"),
            "mnist:x");
  EXPECT_EQ(parse_command_line("data", groups, {"--spec", "y"}).config.get_text("spec"), "y");
  EXPECT_THROW(parse_command_line("data", groups, {"a", "b"}), UserError);
  EXPECT_NE(format_help("data", "", groups).find("[--spec] TEXT"), std::string::npos);
}

TEST_F(TempDir, MissingInputFileIsRefused) {
  EXPECT_EQ(error_of({"--targets", (dir_ / "none.h5").string()}),
            "--targets: expected an existing file, got '" + (dir_ / "none.h5").string() +
                "' (no such file)");
  const std::string present = write("present.h5", "x");
  EXPECT_EQ(parse({"--targets", present}).config.get_text("targets"), present);
  EXPECT_EQ(error_of({"--targets", dir_.string()}),
            "--targets: expected an existing file, got '" + dir_.string() + "' (a folder)");
  EXPECT_EQ(error_of({"--targets", "/dev/null"}),
            "--targets: expected an existing file, got '/dev/null' (a device or a socket)");
}

TEST_F(TempDir, OutputFolderIsMadeCheckedAndRemovedUnlessKept) {
  const std::string nested = temp("made/inner");
  {
    OutputFolder out(nested, "--out");
    EXPECT_TRUE(fs::is_directory(nested));
    write("made/inner/result.txt", "x");
    EXPECT_EQ(out.file("result.txt"), nested + "/result.txt");
  }  // a failed command: everything it made is gone
  EXPECT_FALSE(fs::exists(temp("made")));
  {
    OutputFolder out(nested, "--out");
    out.keep();
  }
  EXPECT_TRUE(fs::is_directory(nested));
  {
    OutputFolder out(temp("made"), "--out");  // a folder that was there stays
    write("made/old.txt", "x");
  }
  EXPECT_TRUE(fs::exists(temp("made/old.txt")));
  EXPECT_EQ(fs::directory_iterator(nested), fs::directory_iterator());  // no probe file left
  const std::string file = write("a-file", "x");
  try {
    OutputFolder out(file, "--out");
    ADD_FAILURE() << "a file taken for a folder";
  } catch (const UserError& error) {
    EXPECT_EQ(std::string(error.what()), "--out " + file + ": not a folder");
  }
  EXPECT_THROW(OutputFolder(file + "/below", "--out"), UserError);
  EXPECT_TRUE(fs::is_regular_file(file));
}

TEST_F(TempDir, ConfigFileSetsValuesAndCommandLineWins) {
  const std::string file = write("run.cfg", "# a comment\nbatch = 16\nmode = async\nlr=0.25\n");
  const Config config = parse({"--config", file, "--batch", "32"}).config;
  EXPECT_EQ(config.get_int("batch"), 32);  // the command line wins
  EXPECT_EQ(config.get_text("mode"), "async");
  EXPECT_DOUBLE_EQ(config.get_real("lr"), 0.25);
}

TEST_F(TempDir, ConfigFileMistakesNameTheFile) {
  const std::string unknown = write("unknown.cfg", "batch = 16\nspeed = 3\n");
  EXPECT_EQ(error_of({"--config", unknown}),
            unknown + ": unknown option 'speed' (spiral train --help lists the options)");
  const std::string bad = write("bad.cfg", "batch = many\n");
  EXPECT_EQ(error_of({"--config", bad}),
            bad + ": batch: expected an integer in [1, 4096], got 'many'");
  EXPECT_EQ(
      error_of({"--config", (dir_ / "missing.cfg").string()}),
      "--config: " + (dir_ / "missing.cfg").string() + ": cannot read (No such file or directory)");
}

TEST_F(TempDir, ConfigFilesThatAreNotFilesAreRefusedWithoutWaiting) {
  EXPECT_EQ(error_of({"--config", dir_.string()}),
            "--config: " + dir_.string() + ": is a folder, not a file");
  // A device would be read forever (/dev/zero) or never end a line.
  EXPECT_EQ(error_of({"--config", "/dev/zero"}),
            "--config: /dev/zero: not a regular file (a device or a socket)");
  const std::string huge = (dir_ / "huge.cfg").string();
  std::ofstream(huge).put('#');
  std::filesystem::resize_file(huge, (size_t{64} << 20) + 1);
  EXPECT_EQ(error_of({"--config", huge}),
            "--config: " + huge + ": larger than 64 MiB, not an input file");
  // A FIFO is read once its writer has written; one with no writer is given up after 10 s.
  const std::string fifo = (dir_ / "pipe.cfg").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo) << "batch = 16\n"; });
  EXPECT_EQ(parse({"--config", fifo}).config.get_int("batch"), 16);
  writer.join();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of({"--config", fifo}),
            "--config: " + fifo + ": a FIFO with nothing to read after 10 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(Config, InputFileTextReadsLikeTheFile) {
  const Config config = parse_command_line("train", test_groups(), {"--batch", "32"}, "run.cfg",
                                           "# a comment\nbatch = 16\nmode = async\nlr=0.25\n")
                            .config;
  EXPECT_EQ(config.get_int("batch"), 32);  // the command line wins
  EXPECT_EQ(config.get_text("mode"), "async");
  EXPECT_DOUBLE_EQ(config.get_real("lr"), 0.25);
  try {
    parse_command_line("train", test_groups(), {}, "bad.cfg", "batch = many\n");
    ADD_FAILURE() << "no UserError";
  } catch (const UserError& error) {
    EXPECT_STREQ(error.what(), "bad.cfg: batch: expected an integer in [1, 4096], got 'many'");
  }
}

TEST_F(TempDir, WrittenIniReproducesTheConfiguration) {
  const Config first = parse({"--batch", "7", "--lr", "0.1", "--conditional=false", "--mode",
                              "async", "--name", "my run"})
                           .config;
  const std::string ini = first.to_ini("test");
  const Config second = parse({"--config", write("round.cfg", ini)}).config;
  EXPECT_EQ(second.to_ini("test"), ini);
  EXPECT_EQ(second.get_int("batch"), 7);
  EXPECT_DOUBLE_EQ(second.get_real("lr"), 0.1);
  EXPECT_FALSE(second.get_bool("conditional"));
  EXPECT_EQ(second.get_text("name"), "my run");
  EXPECT_NE(ini.find("# Episodes per update [episodes]\nbatch = 7\n"), std::string::npos);
}

TEST(Config, RealValuesAreWrittenShortAndReadBackExactly) {
  for (const auto& [given, written] :
       std::vector<std::pair<std::string, std::string>>{{"0.1", "0.1"},
                                                        {"1", "1"},
                                                        {"0.5e0", "0.5"},
                                                        {"3e-05", "3e-05"},
                                                        {"0.123456789", "0.123456789"}}) {
    const Config config = parse({"--lr", given}).config;
    EXPECT_EQ(config.get_real("lr"), std::stod(given));
    EXPECT_NE(config.to_ini("").find("\nlr = " + written + "\n"), std::string::npos) << given;
  }
  const std::vector<OptionGroup> groups = {{"g", {real_option("clip", 40, 0, 1e9, "", "Clip")}}};
  EXPECT_NE(parse_command_line("train", groups, {}).config.to_ini("").find("clip = 40\n"),
            std::string::npos);
}

TEST(Config, ReadingWithTheWrongTypeIsABug) {
  const Config config = parse({}).config;
  EXPECT_THROW(config.get_int("lr"), std::logic_error);
  EXPECT_THROW(config.get_int("absent"), std::logic_error);
}

TEST(Config, UnboundedIntegersAreCheckedAndShownAsSuch) {
  const std::vector<OptionGroup> groups = {
      {"g", {int_option("frames", 10, 1, INT64_MAX, "frames", "Budget")}}};
  EXPECT_EQ(parse_command_line("train", groups, {"--frames", "9223372036854775807"})
                .config.get_int("frames"),
            INT64_MAX);
  EXPECT_NE(format_help("train", "", groups).find("(default: 10; >= 1)"), std::string::npos);
  EXPECT_THROW(parse_command_line("train", groups, {"--frames", "9223372036854775808"}), UserError);
}

TEST(Config, HelpListsEveryOptionWithDefaultAndUnit) {
  const std::string help = format_help("train", "Train.", test_groups());
  for (const auto& group : test_groups()) {
    for (const auto& spec : group.options) {
      EXPECT_NE(help.find("--" + spec.name + " "), std::string::npos) << spec.name;
    }
  }
  EXPECT_NE(help.find("Episodes per update [episodes] (default: 64; in [1, 4096])"),
            std::string::npos)
      << help;
}

TEST(Logging, PrefixHasElapsedTimeRankAndRole) {
  set_log_identity(3, "learner");
  const std::string prefix = log_prefix(LogLevel::kWarning);
  EXPECT_EQ(prefix.front(), '[');
  EXPECT_NE(prefix.find("s r3 learner] W "), std::string::npos) << prefix;
  set_log_identity(0, "main");
}

TEST(Logging, LevelFiltersLines) {
  set_log_level(LogLevel::kWarning);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  log_info("hidden ", 1);
  log_warning("shown ", 2);
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  set_log_level(LogLevel::kInfo);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("] W shown 2\n"), std::string::npos) << err;
}

TEST(Logging, ParsesLevelsAndRefusesOthers) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::kDebug);
  EXPECT_EQ(parse_log_level("error"), LogLevel::kError);
  EXPECT_THROW(parse_log_level("verbose"), UserError);
}

TEST(Image, TileGridPlacesImagesWithSeparators) {
  // Five 2x3 RGB tiles in rows of 2: 3 rows, 2 columns; cell (2, 1) is empty.
  std::vector<Image> tiles;
  for (int i = 0; i < 5; ++i) {
    Image tile{2, 3, 3, std::vector<uint8_t>(18)};
    for (size_t k = 0; k < tile.pixels.size(); ++k)
      tile.pixels[k] = static_cast<uint8_t>(i * 20 + k);
    tiles.push_back(tile);
  }
  const Image grid = tile_grid(tiles, 2, 7);
  ASSERT_EQ(grid.height, 3 * 2 + 2);
  ASSERT_EQ(grid.width, 2 * 3 + 1);
  ASSERT_EQ(grid.channels, 3);
  for (int i = 0; i < 5; ++i) {
    const int top = (i / 2) * 3, left = (i % 2) * 4;
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 3; ++x) {
        for (int c = 0; c < 3; ++c) {
          ASSERT_EQ(grid.at(top + y, left + x, c), tiles[i].at(y, x, c))
              << "tile " << i << " y " << y << " x " << x << " c " << c;
        }
      }
    }
  }
  for (int y = 0; y < grid.height; ++y) EXPECT_EQ(grid.at(y, 3, 1), 7) << "column 3, row " << y;
  for (int x = 0; x < grid.width; ++x) {
    EXPECT_EQ(grid.at(2, x, 0), 7) << "row 2, column " << x;
    EXPECT_EQ(grid.at(5, x, 2), 7) << "row 5, column " << x;
  }
  EXPECT_EQ(grid.at(7, 6, 0), 7);  // the empty cell
  EXPECT_EQ(grid.at(6, 4, 2), 7);

  const Image single = tile_grid({tiles[0]}, 4);
  EXPECT_EQ(single.pixels, tiles[0].pixels);  // no outer border
}

TEST(Image, TileGridRejectsMismatchedImages) {
  const Image a{2, 2, 1, std::vector<uint8_t>(4)};
  EXPECT_THROW(tile_grid({a, Image{2, 3, 1, std::vector<uint8_t>(6)}}, 2), std::invalid_argument);
  EXPECT_THROW(tile_grid({a, Image{2, 2, 3, std::vector<uint8_t>(12)}}, 2), std::invalid_argument);
  EXPECT_THROW(tile_grid({}, 2), std::invalid_argument);
  EXPECT_THROW(tile_grid({a}, 0), std::invalid_argument);
}

TEST(Image, FromUnitFloatsClampsAndRoundsToNearest) {
  const Image image = image_from_unit_floats({0.0f, 1.0f, -0.5f, 1.5f, 0.5f, 0.1f}, 2, 3, 1);
  EXPECT_EQ(image.height, 2);
  EXPECT_EQ(image.width, 3);
  EXPECT_EQ(image.channels, 1);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{0, 255, 0, 255, 128, 26}));
  EXPECT_THROW(image_from_unit_floats({0.5f, 0.5f}, 2, 3, 1), std::invalid_argument);
}

TEST(Image, ResizeAreaAveragesBlocksExactly) {
  // A 4x4 gray ramp shrunk to 2x2: each output is the mean of one 2x2 block.
  Image image{4, 4, 1, {}};
  for (int i = 0; i < 16; ++i) image.pixels.push_back(static_cast<uint8_t>(i * 10));
  const Image small = resize_area(image, 2, 2);
  EXPECT_EQ(small.pixels, (std::vector<uint8_t>{25, 45, 105, 125}));
}

TEST(Image, ResizeAreaKeepsChannelsAndMeanForNonIntegerFactors) {
  Image image{3, 3, 3, {}};
  for (int i = 0; i < 27; ++i) image.pixels.push_back(static_cast<uint8_t>(i % 3 == 0 ? 200 : 50));
  const Image small = resize_area(image, 2, 2);  // 1.5 x 1.5 cells
  ASSERT_EQ(small.channels, 3);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      EXPECT_EQ(small.at(y, x, 0), 200);
      EXPECT_EQ(small.at(y, x, 1), 50);
    }
  }
  const Image big = resize_area(Image{1, 2, 1, {0, 255}}, 2, 4);  // enlarging repeats pixels
  EXPECT_EQ(big.pixels, (std::vector<uint8_t>{0, 0, 255, 255, 0, 0, 255, 255}));
  EXPECT_THROW(resize_area(image, 0, 2), std::invalid_argument);
}

TEST(ThreadPool, EachWorkerRunsTheTaskOnceOnItsOwnThread) {
  ThreadPool pool(3);
  std::vector<std::thread::id> first(3), second(3);
  pool.run_on_each([&](int t) { first[t] = std::this_thread::get_id(); });
  pool.run_on_each([&](int t) { second[t] = std::this_thread::get_id(); });
  EXPECT_EQ(first, second);  // worker t is always the same thread
  EXPECT_NE(first[0], first[1]);
  EXPECT_NE(first[1], first[2]);
  EXPECT_NE(first[0], std::this_thread::get_id());
}

TEST(ThreadPool, WorkersRunTogether) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::condition_variable all_arrived;
  int arrived = 0;
  std::vector<int> saw(4);
  pool.run_on_each([&](int t) {
    std::unique_lock<std::mutex> lock(mutex);
    ++arrived;
    all_arrived.notify_all();
    // Serial workers would never see all four here and would time out.
    all_arrived.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 4; });
    saw[t] = arrived;
  });
  EXPECT_EQ(saw, (std::vector<int>{4, 4, 4, 4}));
}

TEST(ThreadPool, RethrowsATaskErrorAfterAllFinish) {
  ThreadPool pool(3);
  std::vector<int> finished(3);
  EXPECT_THROW(pool.run_on_each([&](int t) {
    finished[t] = 1;
    if (t == 1) throw std::runtime_error("task failed");
  }),
               std::runtime_error);
  EXPECT_EQ(finished, (std::vector<int>{1, 1, 1}));
  int calls = 0;
  std::mutex mutex;
  pool.run_on_each([&](int) {
    std::lock_guard<std::mutex> lock(mutex);
    ++calls;
  });
  EXPECT_EQ(calls, 3);  // the pool still works
}

}  // namespace
}  // namespace spiral

namespace spiral {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(TempDir, PendingFilesTakeTheirNameOnlyWhenCommitted) {
  const std::filesystem::path path = dir_ / "out.txt";
  write_file_atomically(path.string(), "old");
  {
    PendingFile pending(path, "text");
    EXPECT_EQ(pending.temporary(), dir_ / "out.txt.tmp");
    std::ofstream(pending.temporary()) << "new";
    EXPECT_EQ(read_all(path), "old");  // readers see the old file until the commit
    pending.commit();
  }
  EXPECT_EQ(read_all(path), "new");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.txt.tmp"));
  {  // an error on the way: the temporary goes, the file stays
    PendingFile pending(path, "text");
    std::ofstream(pending.temporary()) << "half";
  }
  EXPECT_EQ(read_all(path), "new");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.txt.tmp"));
  // A commit that cannot rename (a folder holds the name) names the file and removes the temporary.
  const std::filesystem::path folder = dir_ / "taken";
  std::filesystem::create_directories(folder / "inside");
  try {
    PendingFile pending(folder, "text");
    std::ofstream(pending.temporary()) << "x";
    pending.commit();
    FAIL() << "commit over a folder succeeded";
  } catch (const UserError& error) {
    EXPECT_EQ(std::string(error.what()).rfind(folder.string() + ": cannot write text (", 0), 0u)
        << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "taken.tmp"));
  EXPECT_TRUE(std::filesystem::is_directory(folder / "inside"));
}

}  // namespace
}  // namespace spiral
