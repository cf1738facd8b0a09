// libFuzzer target: reading whole checkpoint files, learn::read_checkpoint_header (the whole-file
// checksum, then the header and every dataset's CRC32), on sealed checkpoints with bit flips,
// truncations and insertions anywhere (tests/fuzz/run.sh). Each input is written to a file of this
// process.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/learn/checkpoint_header.h"

namespace {

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "checkpoint_fuzzer: %s\n", why.c_str());
  std::abort();
}

const std::filesystem::path& input_path() {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("spiral-checkpoint-fuzz-" + std::to_string(getpid()) + ".h5");
  return path;
}

// Removes this process's input file at exit.
struct InputFileRemover {
  ~InputFileRemover() {
    std::error_code error;
    std::filesystem::remove(input_path(), error);
  }
} remover;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(input_path().c_str(), "wb");
  if (file == nullptr || std::fwrite(data, 1, size, file) != size || std::fclose(file) != 0) {
    fail("cannot write " + input_path().string());
  }
  try {
    spiral::learn::read_checkpoint_header(input_path());
  } catch (const spiral::UserError& error) {
    // Refusing a damaged file with one line is the expected outcome.
    const char* message = error.what();
    if (*message == '\0' || std::strchr(message, '\n') != nullptr) {
      fail(std::string("UserError message is not one line: ") + message);
    }
  }
  return 0;
}
