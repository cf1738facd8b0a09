#include "spiral/io/hdf5_atomic.h"

#include "spiral/core/errors.h"
#include "spiral/core/files.h"

namespace spiral::io {

void write_hdf5_atomically(const std::string& path, const std::function<void(Group& root)>& write) {
  PendingFile pending(path);
  const std::string temporary = pending.temporary().string();
  try {
    File file = File::create(temporary);
    Group root = file.root();
    write(root);
    file.close();
  } catch (const UserError& error) {
    // The user knows the file by its final name.
    std::string message = error.what();
    for (size_t at = message.find(temporary); at != std::string::npos;
         at = message.find(temporary, at + path.size())) {
      message.replace(at, temporary.size(), path);
    }
    throw UserError(message);
  }
  pending.commit();
}

}  // namespace spiral::io
