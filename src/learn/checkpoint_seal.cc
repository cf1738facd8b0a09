#include "spiral/learn/checkpoint_seal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/file_descriptor.h"
#include "spiral/learn/checkpoint_header.h"

namespace spiral::learn {
namespace {

// Layout of the seal (little-endian): the magic, the CRC32 of every byte from kVersionAt to the
// end of the file, the seal's version and the file's length in bytes.
constexpr char kMagic[8] = {'S', 'P', 'I', 'R', 'A', 'L', 'C', 'K'};
constexpr size_t kCrcAt = 8;
constexpr size_t kVersionAt = 12;
constexpr size_t kLengthAt = 16;
constexpr size_t kHeaderBytes = 24;
constexpr uint32_t kSealVersion = 1;
// The first bytes of an HDF5 file without a user block (a checkpoint of format 1).
constexpr char kHdf5Signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};

void put_le(unsigned char* out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

uint64_t get_le(const unsigned char* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return value;
}

std::string errno_text() { return std::strerror(errno); }

// Reads exactly `bytes` at `offset` (false at an early end of file).
bool read_at(int fd, void* out, size_t bytes, off_t offset) {
  auto* p = static_cast<char*>(out);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd, p, bytes, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UserError("cannot read (" + errno_text() + ")");
    if (n == 0) return false;
    p += n;
    offset += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

void write_at(int fd, const void* data, size_t bytes, off_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd, p, bytes, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UserError("cannot write the checksum (" + errno_text() + ")");
    p += n;
    offset += n;
    bytes -= static_cast<size_t>(n);
  }
}

// CRC32 of the bytes from `from` to `length` (false when the file ends before `length`).
bool crc_of_range(int fd, uint64_t from, uint64_t length, uint32_t* crc) {
  std::vector<char> buffer(1 << 20);
  int64_t value = 0;
  for (uint64_t at = from; at < length;) {
    const size_t bytes = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - at));
    if (!read_at(fd, buffer.data(), bytes, static_cast<off_t>(at))) return false;
    value = checkpoint_crc32(buffer.data(), bytes, value);
    at += bytes;
  }
  *crc = static_cast<uint32_t>(value);
  return true;
}

// The size of the open regular file `fd` (UserError for anything else, e.g. a FIFO or a folder).
uint64_t regular_file_size(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) throw UserError("cannot stat (" + errno_text() + ")");
  if (!S_ISREG(status.st_mode)) throw UserError("not a regular file, expected a checkpoint");
  return static_cast<uint64_t>(status.st_size);
}

}  // namespace

void seal_checkpoint(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) throw UserError(path.string() + ": cannot open (" + errno_text() + ")");
  const uint64_t length = regular_file_size(fd.get());
  if (length < kCheckpointSealBytes) {
    throw UserError(path.string() + ": " + std::to_string(length) + " bytes, too short to seal");
  }
  std::array<unsigned char, kHeaderBytes> header{};
  std::memcpy(header.data(), kMagic, sizeof kMagic);
  put_le(header.data() + kVersionAt, kSealVersion, 4);
  put_le(header.data() + kLengthAt, length, 8);
  write_at(fd.get(), header.data() + kVersionAt, kHeaderBytes - kVersionAt, kVersionAt);
  uint32_t crc = 0;
  if (!crc_of_range(fd.get(), kVersionAt, length, &crc)) {
    throw UserError(path.string() + ": changed while its checksum was computed");
  }
  put_le(header.data() + kCrcAt, crc, 4);
  write_at(fd.get(), header.data(), kVersionAt, 0);
  if (::fsync(fd.get()) != 0) {
    throw UserError(path.string() + ": cannot flush (" + errno_text() + ")");
  }
  if (fd.reset() != 0) throw UserError(path.string() + ": cannot close (" + errno_text() + ")");
}

void verify_checkpoint_seal(const std::filesystem::path& path) {
  // Non-blocking, so that a FIFO is refused instead of waited on.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    throw UserError(errno == ENOENT ? std::string("no such file")
                                    : "cannot open (" + errno_text() + ")");
  }
  const uint64_t length = regular_file_size(fd.get());
  std::array<unsigned char, kHeaderBytes> header{};
  if (length < kCheckpointSealBytes || !read_at(fd.get(), header.data(), header.size(), 0)) {
    throw UserError("truncated: " + std::to_string(length) + " bytes, a checkpoint has at least " +
                    std::to_string(kCheckpointSealBytes));
  }
  if (std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    if (std::memcmp(header.data(), kHdf5Signature, sizeof kHdf5Signature) == 0) {
      throw UserError(
          "written without a whole-file checksum (checkpoint format 1, by an older "
          "build); this build reads format " +
          std::to_string(kCheckpointFormatVersion));
    }
    throw UserError("not a spiral checkpoint (it does not start with SPIRALCK)");
  }
  const uint64_t version = get_le(header.data() + kVersionAt, 4);
  const uint64_t written = get_le(header.data() + kLengthAt, 8);
  const uint32_t stored = static_cast<uint32_t>(get_le(header.data() + kCrcAt, 4));
  if (written != length) {
    throw UserError("truncated or extended: " + std::to_string(length) + " bytes, written as " +
                    std::to_string(written));
  }
  uint32_t crc = 0;
  if (!crc_of_range(fd.get(), kVersionAt, length, &crc) || crc != stored) {
    throw UserError("fails its whole-file CRC32 check (corrupt file)");
  }
  if (version != kSealVersion) {
    throw UserError("whole-file checksum of version " + std::to_string(version) +
                    ", this build reads version " + std::to_string(kSealVersion));
  }
}

}  // namespace spiral::learn
