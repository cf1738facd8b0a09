#include "spiral/io/hdf5_atomic.h"

#include <filesystem>
#include <system_error>

namespace spiral::io {

void write_hdf5_atomically(const std::string& path, const std::function<void(Group& root)>& write) {
  const std::string temporary = path + ".tmp";
  try {
    File file = File::create(temporary);
    Group root = file.root();
    write(root);
    file.close();
  } catch (...) {
    std::error_code error;
    std::filesystem::remove(temporary, error);
    throw;
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace spiral::io
