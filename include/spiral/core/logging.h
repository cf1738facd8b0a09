// Logging: one line per event, prefixed with elapsed time, MPI rank and role.
#pragma once

#include <sstream>
#include <string>

namespace spiral {

// Severity of a log line; lines below the current level are dropped.
enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning" or "error"; throws UserError otherwise.
LogLevel parse_log_level(const std::string& text);
void set_log_level(LogLevel level);
LogLevel log_level();

// Who is speaking: the MPI rank and its role ("main", "actor", "learner", ...).
void set_log_identity(int rank, const std::string& role);

// Writes one line "[   12.345s r0 learner] W message" (info and debug to stdout, the rest to
// stderr) in a single write, so lines of threads and ranks never interleave mid-line.
void log_line(LogLevel level, const std::string& message);

// The prefix log_line puts before a message of `level` now.
std::string log_prefix(LogLevel level);

// "H:MM:SS" for a duration in seconds ("?" when it is not finite).
std::string format_duration(double seconds);

namespace detail {
template <typename... Parts>
void log_parts(LogLevel level, const Parts&... parts) {
  if (level < log_level()) return;
  std::ostringstream message;
  (message << ... << parts);
  log_line(level, message.str());
}
}  // namespace detail

// log_info("frames ", frames, " fps ", rate): the parts are streamed into one line.
template <typename... Parts>
void log_debug(const Parts&... parts) {
  detail::log_parts(LogLevel::kDebug, parts...);
}
template <typename... Parts>
void log_info(const Parts&... parts) {
  detail::log_parts(LogLevel::kInfo, parts...);
}
template <typename... Parts>
void log_warning(const Parts&... parts) {
  detail::log_parts(LogLevel::kWarning, parts...);
}
template <typename... Parts>
void log_error(const Parts&... parts) {
  detail::log_parts(LogLevel::kError, parts...);
}

}  // namespace spiral
