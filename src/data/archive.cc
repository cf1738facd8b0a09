#include "archive.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/data/codec.h"

namespace spiral::data {
namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

// The message of a libzip error code, through libzip's own error type.
std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

bool is_junk_path(const std::string& relative_path) {
  size_t begin = 0;
  while (begin <= relative_path.size()) {
    size_t end = relative_path.find('/', begin);
    if (end == std::string::npos) end = relative_path.size();
    const std::string part = relative_path.substr(begin, end - begin);
    if (part == "__MACOSX" || (!part.empty() && part[0] == '.')) return true;
    begin = end + 1;
  }
  return false;
}

FileTree::FileTree(std::string path) : path_(std::move(path)) {
  std::error_code error;
  if (fs::is_directory(path_, error)) {
    fs::recursive_directory_iterator it(path_, fs::directory_options::follow_directory_symlink,
                                        error);
    if (error) throw UserError(path_ + ": cannot list folder (" + error.message() + ")");
    for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (error) throw UserError(path_ + ": cannot list folder (" + error.message() + ")");
      const std::string relative = it->path().lexically_relative(path_).generic_string();
      if (is_junk_path(relative)) {
        if (it->is_directory(error)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(error)) files_.push_back(relative);
    }
    if (error) throw UserError(path_ + ": cannot list folder (" + error.message() + ")");
    std::sort(files_.begin(), files_.end());
    return;
  }
  if (!fs::exists(path_, error)) throw UserError(path_ + ": no such file or folder");
  if (!ends_with(path_, ".zip")) {
    throw UserError(path_ + ": expected a folder or a .zip archive");
  }
  int code = 0;
  zip_.reset(zip_open(path_.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!zip_) throw UserError(path_ + ": not a readable zip archive (" + zip_error_text(code) + ")");
  is_zip_ = true;
  const zip_int64_t entries = zip_get_num_entries(zip_.get(), 0);
  std::vector<std::pair<std::string, uint64_t>> listed;
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* name = zip_get_name(zip_.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    if (name == nullptr) continue;
    const std::string relative = name;
    if (relative.empty() || relative.back() == '/' || is_junk_path(relative)) continue;
    listed.emplace_back(relative, static_cast<uint64_t>(i));
  }
  std::sort(listed.begin(), listed.end());
  for (auto& [relative, index] : listed) {
    files_.push_back(std::move(relative));
    zip_indices_.push_back(index);
  }
}

std::string FileTree::describe(size_t index) const {
  if (is_zip_) return path_ + ":" + files_.at(index);
  return (fs::path(path_) / files_.at(index)).string();
}

std::vector<uint8_t> FileTree::read(size_t index) const {
  if (!is_zip_) return read_file(describe(index));
  const std::string name = describe(index);
  std::lock_guard<std::mutex> lock(*zip_mutex_);
  const zip_uint64_t entry = zip_indices_.at(index);
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(zip_.get(), entry, 0, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0) {
    throw UserError(name + ": cannot read zip entry (" + zip_strerror(zip_.get()) + ")");
  }
  if (stat.size > kMaxFileBytes) throw UserError(name + ": zip entry too large");
  std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip_.get(), entry, 0));
  if (!file) throw UserError(name + ": cannot open zip entry (" + zip_strerror(zip_.get()) + ")");
  std::vector<uint8_t> bytes(static_cast<size_t>(stat.size));
  size_t done = 0;
  while (done < bytes.size()) {
    const zip_int64_t got = zip_fread(file.get(), bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      throw UserError(name + ": corrupt zip entry (" + zip_file_strerror(file.get()) + ")");
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  uint8_t extra = 0;  // reading at the end makes libzip check the entry's CRC
  if (done == bytes.size() && zip_fread(file.get(), &extra, 1) != 0) {
    throw UserError(name + ": corrupt zip entry (" + zip_file_strerror(file.get()) + ")");
  }
  if (done != bytes.size()) {
    throw UserError(name + ": truncated zip entry (" + std::to_string(done) + " of " +
                    std::to_string(bytes.size()) + " bytes)");
  }
  return bytes;
}

std::vector<uint8_t> FileTree::read_head(size_t index, size_t count) const {
  const std::string name = describe(index);
  std::vector<uint8_t> bytes(count);
  size_t done = 0;
  if (!is_zip_) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(name.c_str(), "rb"));
    if (!file) throw UserError(name + ": cannot open (" + std::strerror(errno) + ")");
    done = std::fread(bytes.data(), 1, count, file.get());
    if (std::ferror(file.get()) != 0) {
      throw UserError(name + ": cannot read (" + std::strerror(errno) + ")");
    }
  } else {
    std::lock_guard<std::mutex> lock(*zip_mutex_);
    std::unique_ptr<zip_file_t, ZipFileClose> file(
        zip_fopen_index(zip_.get(), zip_indices_.at(index), 0));
    if (!file) throw UserError(name + ": cannot open zip entry (" + zip_strerror(zip_.get()) + ")");
    while (done < count) {
      const zip_int64_t got = zip_fread(file.get(), bytes.data() + done, count - done);
      if (got < 0) {
        throw UserError(name + ": corrupt zip entry (" + zip_file_strerror(file.get()) + ")");
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace spiral::data
