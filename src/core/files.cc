#include "spiral/core/files.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "spiral/core/errors.h"

namespace spiral {

namespace {

constexpr size_t kMaxTextFileBytes = size_t{64} << 20;  // no input file of ours comes near it
constexpr int kFifoWaitMilliseconds = 10000;            // a FIFO's writer must start within it

// Closes a descriptor when it goes out of scope.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits until the FIFO `fd` has something to read (data or its writer's end); UserError after
// kFifoWaitMilliseconds of nothing.
void wait_for_fifo(int fd, const std::string& path) {
  pollfd ready{fd, POLLIN, 0};
  int n = 0;
  do {
    n = ::poll(&ready, 1, kFifoWaitMilliseconds);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    throw UserError(path + ": a FIFO with nothing to read after " +
                    std::to_string(kFifoWaitMilliseconds / 1000) + " s");
  }
}

}  // namespace

std::string why_not_a_regular_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return errno == ENOENT ? "no such file" : std::strerror(errno);
  }
  if (S_ISREG(info.st_mode)) return "";
  if (S_ISDIR(info.st_mode)) return "a folder";
  if (S_ISFIFO(info.st_mode)) return "a FIFO";
  return "a device or a socket";
}

std::string read_text_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw UserError(path + ": cannot read (" + std::strerror(errno) + ")");
  }
  if (S_ISDIR(info.st_mode)) throw UserError(path + ": is a folder, not a file");
  const bool fifo = S_ISFIFO(info.st_mode);
  if (!S_ISREG(info.st_mode) && !fifo) {
    throw UserError(path + ": not a regular file (a device or a socket)");
  }
  // A FIFO opens without waiting for its writer; then poll() waits for data, with a limit.
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (fifo ? O_NONBLOCK : 0)));
  if (fd.get() < 0) throw UserError(path + ": cannot read (" + std::strerror(errno) + ")");
  if (fifo) {
    wait_for_fifo(fd.get(), path);
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  }
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UserError(path + ": read failed (" + std::strerror(errno) + ")");
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxTextFileBytes) {
      throw UserError(path + ": larger than " + std::to_string(kMaxTextFileBytes >> 20) +
                      " MiB, not an input file");
    }
  }
  return text;
}

PendingFile::PendingFile(std::filesystem::path path, std::string what)
    : path_(std::move(path)), temporary_(path_.string() + ".tmp"), what_(std::move(what)) {}

PendingFile::~PendingFile() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void PendingFile::commit() {
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) fail(error.message());
  committed_ = true;
}

void PendingFile::fail(const std::string& reason) const {
  throw UserError(path_.string() + ": cannot write " + (what_.empty() ? "" : what_ + " ") + "(" +
                  reason + ")");
}

void write_file_atomically(const std::string& path, const std::string& text) {
  PendingFile pending(path);
  const int fd =
      ::open(pending.temporary().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) pending.fail(std::strerror(errno));
  size_t written = 0;
  int error = 0;
  while (written < text.size() && error == 0) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno != EINTR) error = errno;
    if (n > 0) written += static_cast<size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) pending.fail(std::strerror(error));
  pending.commit();
}

OutputFolder::OutputFolder(const std::string& path, const std::string& option) : path_(path) {
  std::error_code error;
  const auto refuse = [&](const std::string& why) {
    if (!made_.empty()) std::filesystem::remove_all(made_, error);
    throw UserError(option + " " + path + ": " + why);
  };
  if (path.empty()) refuse("expected a folder");
  for (std::filesystem::path p = std::filesystem::absolute(path_, error); !error && !p.empty();
       p = p.parent_path()) {
    if (std::filesystem::exists(p, error)) break;
    made_ = p;
    if (p == p.parent_path()) break;
  }
  if (std::filesystem::exists(path_, error) && !std::filesystem::is_directory(path_, error)) {
    refuse("not a folder");
  }
  std::filesystem::create_directories(path_, error);
  if (error) refuse("cannot make the folder (" + error.message() + ")");
  // Root writes where the mode bits say no, so try a file instead of reading them (a name of its
  // own, so that one a killed command left does not stand in the way).
  std::string probe = file(".spiral-write-test-XXXXXX");
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) refuse(std::string("cannot write in it (") + std::strerror(errno) + ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

OutputFolder::~OutputFolder() {
  if (keep_ || made_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(made_, ignored);
}

}  // namespace spiral
