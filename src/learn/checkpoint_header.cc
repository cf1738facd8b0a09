#include "spiral/learn/checkpoint_header.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/io/hdf5.h"

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

}  // namespace

int64_t checkpoint_crc32(const void* data, size_t bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
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
  verify_checksums(root);
  return header;
}

}  // namespace spiral::learn
