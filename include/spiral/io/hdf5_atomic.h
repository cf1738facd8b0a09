// An HDF5 file written whole or not at all.
#pragma once

#include <functional>
#include <string>

#include "spiral/io/hdf5.h"

namespace spiral::io {

// Creates `path + ".tmp"`, lets `write` fill its root group, closes it and renames it to `path`,
// so `path` is either absent (or the old file) or complete. When `write` throws, the temporary is
// removed and the error passes on.
void write_hdf5_atomically(const std::string& path, const std::function<void(Group& root)>& write);

}  // namespace spiral::io
