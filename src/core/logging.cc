#include "spiral/core/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <mutex>

#include "spiral/core/errors.h"

namespace spiral {
namespace {

const auto kProcessStart = std::chrono::steady_clock::now();

struct LogState {
  std::mutex mutex;
  std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
  int rank = 0;
  std::string role = "main";
};

LogState& state() {
  static LogState instance;
  return instance;
}

const char* level_letter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "D";
    case LogLevel::kInfo:
      return "I";
    case LogLevel::kWarning:
      return "W";
    case LogLevel::kError:
      return "E";
  }
  return "?";
}

void write_all(int fd, const std::string& text) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) return;  // nowhere left to report a failing log stream
    written += static_cast<size_t>(n);
  }
}

}  // namespace

LogLevel parse_log_level(const std::string& text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warning") return LogLevel::kWarning;
  if (text == "error") return LogLevel::kError;
  throw UserError("--log-level: expected one of debug, info, warning, error, got '" + text + "'");
}

void set_log_level(LogLevel level) { state().level = static_cast<int>(level); }

LogLevel log_level() { return static_cast<LogLevel>(state().level.load()); }

void set_log_identity(int rank, const std::string& role) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().rank = rank;
  state().role = role;
}

std::string log_prefix(LogLevel level) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - kProcessStart).count();
  int rank;
  std::string role;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    rank = state().rank;
    role = state().role;
  }
  char prefix[96];
  std::snprintf(prefix, sizeof(prefix), "[%10.3fs r%d %s] %s ", elapsed, rank, role.c_str(),
                level_letter(level));
  return prefix;
}

void log_line(LogLevel level, const std::string& message) {
  if (level < log_level()) return;
  std::string line = log_prefix(level) + message + "\n";
  std::fflush(nullptr);  // keep the order with anything printed through stdio
  std::lock_guard<std::mutex> lock(state().mutex);
  write_all(level >= LogLevel::kWarning ? STDERR_FILENO : STDOUT_FILENO, line);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return text;
}

}  // namespace spiral
