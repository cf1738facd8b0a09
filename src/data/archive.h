// Private to the data module: the files of a folder tree or a zip archive, listed and read alike.
#pragma once

#include <zip.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace spiral::data {

// Whether a relative path is macOS junk (`__MACOSX/`, `.DS_Store`, `._*` resource forks) or a
// hidden file; such entries are never listed.
bool is_junk_path(const std::string& relative_path);

// A read-only tree of files: a folder (read recursively) or a zip archive (read with libzip).
// Paths are relative, '/'-separated, sorted, directories and junk left out.
class FileTree {
 public:
  // Opens `path`: a folder, or a file ending in ".zip". UserError naming it when it is missing,
  // not a folder or not a readable zip archive.
  explicit FileTree(std::string path);

  // The folder or zip file this tree reads.
  const std::string& path() const { return path_; }
  // Whether the tree is a zip archive.
  bool is_zip() const { return is_zip_; }
  // The files, relative to the root, sorted.
  const std::vector<std::string>& files() const { return files_; }
  // The contents of `files()[index]` (UserError if it cannot be read or decompressed). Safe to
  // call from several threads (zip reads take turns).
  std::vector<uint8_t> read(size_t index) const;
  // At most the first `count` bytes of `files()[index]` (fewer when the file is shorter).
  std::vector<uint8_t> read_head(size_t index, size_t count) const;
  // "archive.zip:inner/path" or "folder/inner/path", for messages.
  std::string describe(size_t index) const;

 private:
  struct ZipDiscard {
    void operator()(zip_t* archive) const { zip_discard(archive); }
  };

  std::string path_;
  bool is_zip_ = false;
  std::unique_ptr<zip_t, ZipDiscard> zip_;
  std::unique_ptr<std::mutex> zip_mutex_ = std::make_unique<std::mutex>();
  std::vector<std::string> files_;
  std::vector<uint64_t> zip_indices_;  // zip entry index of each file
};

}  // namespace spiral::data
