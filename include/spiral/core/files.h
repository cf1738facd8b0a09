// Whole-file reads and writes with clear errors; writes never leave a partial file behind.
#pragma once

#include <filesystem>
#include <string>

namespace spiral {

// Why `path` is not a regular file ("no such file", "a folder", "a FIFO", "a device or a
// socket"), or "" when it is one.
std::string why_not_a_regular_file(const std::string& path);

// The whole content of `path`: a regular file, or a FIFO that has data within 10 seconds. UserError
// naming the file for a folder, a device or a socket, a file over 64 MiB, or a failed read.
std::string read_text_file(const std::string& path);

// Writes `text` to `path + ".tmp"`, flushes it and renames it to `path`, so `path` is either the
// old file or the complete new one. UserError naming the file on failure (the temporary is
// removed).
void write_file_atomically(const std::string& path, const std::string& text);

// A file written under a temporary name beside `path` (`path + ".tmp"`) and renamed to `path` by
// commit(), so that `path` is either the old file or the complete new one; the destructor removes
// the temporary unless it was committed, so an error on the way leaves nothing behind.
class PendingFile {
 public:
  // `what` names the kind of file in errors ("checkpoint": "cannot write checkpoint (...)").
  explicit PendingFile(std::filesystem::path path, std::string what = "");
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  // Where to write.
  const std::filesystem::path& temporary() const { return temporary_; }
  // Renames the temporary to the path. UserError naming the path when it cannot (the temporary is
  // then removed).
  void commit();
  // UserError naming the path, the kind of file and `reason`: "PATH: cannot write WHAT (REASON)".
  [[noreturn]] void fail(const std::string& reason) const;

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_;
  std::string what_;
  bool committed_ = false;
};

// A folder for a command's results. The constructor makes it (with its parents) and checks that a
// file can be written in it, so a bad folder is refused before the work; UserError naming
// `option` otherwise. Unless keep() is called, the destructor removes what this object made, with
// everything written into it, so a failed command leaves nothing behind.
class OutputFolder {
 public:
  OutputFolder(const std::string& path, const std::string& option);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  // `name` inside the folder.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // The command succeeded: what it wrote stays.
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  std::filesystem::path made_;  // the topmost folder this object made; empty when none
  bool keep_ = false;
};

}  // namespace spiral
