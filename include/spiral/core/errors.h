// Error types: mistakes a user can cause (exit code 2, one clear line) versus bugs.
#pragma once

#include <stdexcept>
#include <string>

namespace spiral {

// An error the user can fix (bad option, missing or corrupt file, wrong rank count). The message
// is one line that names the thing and what was expected; the CLI prints it and exits with 2.
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

// Exit code of a run that ended on a UserError.
inline constexpr int kUserErrorExitCode = 2;

}  // namespace spiral
