// Whole-file reads and writes with clear errors; writes never leave a partial file behind.
#pragma once

#include <string>

namespace spiral {

// The whole content of `path`: a regular file, or a FIFO that has data within 10 seconds. UserError
// naming the file for a folder, a device or a socket, a file over 64 MiB, or a failed read.
std::string read_text_file(const std::string& path);

// Writes `text` to `path + ".tmp"`, flushes it and renames it to `path`, so `path` is either the
// old file or the complete new one. UserError naming the file on failure (the temporary is
// removed).
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace spiral
