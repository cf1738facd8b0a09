// The folder of a training run: a name that stays inside --run-dir, and an exclusive claim on the
// folder for the whole run, so that two runs never write into one folder.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include "spiral/core/file_descriptor.h"
#include "spiral/dist/mpi.h"

namespace spiral::run {

// The file in a run folder that a running `spiral train` holds locked (flock).
inline constexpr char kRunLockName[] = "train.lock";

// Refuses (UserError) a --name that is empty, "." or "..", holds a '/', or is longer than 255
// bytes: a run folder is one folder directly inside --run-dir.
void check_run_name(const std::string& name);

// A claim on a run folder: the folder (created when missing) and a lock on its kRunLockName held
// until destruction (rank 0 only; other ranks hold nothing). When nothing but the lock was written
// into the folder, destruction removes what the claim created.
class RunFolderClaim {
 public:
  RunFolderClaim(std::filesystem::path path, FileDescriptor lock, bool created_folder,
                 bool created_lock)
      : path_(std::move(path)),
        lock_(std::move(lock)),
        created_folder_(created_folder),
        created_lock_(created_lock) {}
  RunFolderClaim(RunFolderClaim&&) noexcept = default;
  RunFolderClaim& operator=(RunFolderClaim&&) = delete;
  RunFolderClaim(const RunFolderClaim&) = delete;
  RunFolderClaim& operator=(const RunFolderClaim&) = delete;
  ~RunFolderClaim();

  // <run-dir>/<name>.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  FileDescriptor lock_;
  bool created_folder_;
  bool created_lock_;
};

// Checks --name, then rank 0 creates <run_dir>/<name> when missing and locks it; every rank throws
// the same UserError when that fails: a folder another running `spiral train` holds, one that
// cannot be created, or, for a `fresh` run (no --resume), one that already holds metrics.h5.
RunFolderClaim claim_run_folder(const dist::Communicator& world, const std::string& run_dir,
                                const std::string& name, bool fresh);

}  // namespace spiral::run
