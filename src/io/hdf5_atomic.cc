#include "spiral/io/hdf5_atomic.h"

#include <filesystem>
#include <system_error>

#include "spiral/core/errors.h"

namespace spiral::io {

void write_hdf5_atomically(const std::string& path, const std::function<void(Group& root)>& write) {
  const std::string temporary = path + ".tmp";
  try {
    File file = File::create(temporary);
    Group root = file.root();
    write(root);
    file.close();
  } catch (const UserError& error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    // The user knows the file by its final name.
    std::string message = error.what();
    for (size_t at = message.find(temporary); at != std::string::npos;
         at = message.find(temporary, at + path.size())) {
      message.replace(at, temporary.size(), path);
    }
    throw UserError(message);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw UserError(path + ": cannot write (" + error.message() + ")");
  }
}

}  // namespace spiral::io
