// An owned POSIX file descriptor, closed on destruction.
#pragma once

#include <unistd.h>

#include <utility>

namespace spiral {

// Owns one file descriptor (-1: none) and closes it when destroyed or reset.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  // The descriptor (-1 when none).
  int get() const { return fd_; }
  // Whether a descriptor is held.
  bool valid() const { return fd_ >= 0; }
  // Closes the held descriptor (if any) and takes `fd`; returns close()'s result (0 when none).
  int reset(int fd = -1) {
    const int result = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = fd;
    return result;
  }

 private:
  int fd_;
};

}  // namespace spiral
