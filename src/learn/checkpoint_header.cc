#include "spiral/learn/checkpoint_header.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/checkpoint_seal.h"

namespace spiral::learn {
namespace {

// Re-reads every dataset under `group` in its stored type and compares its CRC32 attribute.
void verify_checksums(const io::Group& group) {
  for (const std::string& name : group.names()) {
    io::Handle object(H5Oopen(group.id(), name.c_str(), H5P_DEFAULT));
    if (!object.valid()) throw UserError("cannot open " + group.path() + "/" + name);
    const H5I_type_t kind = H5Iget_type(object.get());
    object.reset();
    if (kind == H5I_GROUP) {
      verify_checksums(group.open_group(name));
      continue;
    }
    const io::Dataset dataset = group.open_dataset(name);
    if (!dataset.has_attribute("crc32")) {
      throw UserError("dataset " + dataset.path() + " has no crc32 attribute");
    }
    io::Handle file_type(H5Dget_type(dataset.id()));
    io::Handle memory_type(H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND));
    io::Handle space(H5Dget_space(dataset.id()));
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (!memory_type.valid() || points < 0) {
      throw UserError("cannot read dataset " + dataset.path());
    }
    std::vector<char> bytes(static_cast<size_t>(points) * H5Tget_size(memory_type.get()));
    if (points > 0 &&
        H5Dread(dataset.id(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0) {
      throw UserError("cannot read dataset " + dataset.path());
    }
    if (checkpoint_crc32(bytes.data(), bytes.size()) != dataset.int_attribute("crc32")) {
      throw UserError("dataset " + dataset.path() + " fails its CRC32 check (corrupt file)");
    }
  }
}

// Refuses counters no run can have written.
void check_ranges(const CheckpointHeader& header) {
  const CheckpointCounters& c = header.counters;
  if (c.step < 0 || c.frames < 0 || !std::isfinite(c.wall_time) || c.wall_time < 0) {
    throw UserError("impossible counters: step " + std::to_string(c.step) + ", frames " +
                    std::to_string(c.frames) + ", wall_time " + std::to_string(c.wall_time) +
                    " (each must be a finite number >= 0)");
  }
  if (header.ranks < 1) {
    throw UserError("impossible rank count " + std::to_string(header.ranks) + " (must be >= 1)");
  }
}

}  // namespace

int64_t checkpoint_crc32(const void* data, size_t bytes, int64_t previous) {
  uLong crc = static_cast<uLong>(previous);
  const auto* p = static_cast<const Bytef*>(data);
  while (bytes > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(bytes, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    bytes -= chunk;
  }
  return static_cast<int64_t>(crc);
}

CheckpointHeader read_checkpoint_header(const std::filesystem::path& path) {
  verify_checkpoint_seal(path);
  const io::File file = io::File::open(path.string());
  const io::Group root = file.root();
  if (!root.has_attribute("format_version")) throw UserError("not a spiral checkpoint");
  const int64_t version = root.int_attribute("format_version");
  if (version != kCheckpointFormatVersion) {
    throw UserError("checkpoint format version " + std::to_string(version) +
                    ", this build reads version " + std::to_string(kCheckpointFormatVersion));
  }
  CheckpointHeader header;
  header.counters.step = root.int_attribute("step");
  header.counters.frames = root.int_attribute("frames");
  header.counters.wall_time = root.double_attribute("wall_time");
  header.config = root.string_attribute("config");
  header.action_spec = root.string_attribute("action_spec");
  header.policy_sizes = root.string_attribute("policy_sizes");
  header.discriminator_sizes = root.string_attribute("discriminator_sizes");
  header.has_replay = root.int_attribute("has_replay") != 0;
  header.ranks = root.has_attribute("ranks") ? root.int_attribute("ranks") : 1;
  check_ranges(header);
  verify_checksums(root);
  return header;
}

}  // namespace spiral::learn
