// The whole-file checksum of a checkpoint: a block of kCheckpointSealBytes in front of the HDF5
// data (HDF5's user block) holding the file's length and a CRC32 of every byte after the checksum
// itself, so that a damaged file is refused before libhdf5 parses any of it. The layout is in
// docs/checkpoint-format.md.
#pragma once

#include <cstddef>
#include <filesystem>

namespace spiral::learn {

// Bytes in front of the HDF5 data of a checkpoint (its HDF5 user block): the seal, then zeros.
inline constexpr size_t kCheckpointSealBytes = 512;

// Writes the seal of the complete HDF5 file at `path`, which was created with a user block of
// kCheckpointSealBytes, and flushes the file to disk. UserError when it cannot be read or written.
void seal_checkpoint(const std::filesystem::path& path);

// Checks, without parsing HDF5, that the file at `path` is a regular file whose seal matches its
// length and contents. Throws UserError saying what is wrong (the caller names the file).
void verify_checkpoint_seal(const std::filesystem::path& path);

}  // namespace spiral::learn
