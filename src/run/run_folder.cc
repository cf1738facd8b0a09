#include "spiral/run/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"

namespace spiral::run {
namespace {

namespace fs = std::filesystem;

// The longest file name common file systems allow (NAME_MAX on Linux).
constexpr size_t kMaxNameBytes = 255;

// Rank 0's part of claim_run_folder(): throws UserError when the folder cannot be claimed.
RunFolderClaim claim_on_this_rank(const fs::path& run_dir, bool fresh) {
  const fs::path metrics = run_dir / "metrics.h5";
  std::error_code error;
  fs::create_directories(run_dir.parent_path().empty() ? fs::path(".") : run_dir.parent_path(),
                         error);
  bool created_folder = false;
  if (!error) created_folder = fs::create_directory(run_dir, error);
  if (error) {
    throw UserError(run_dir.string() + ": cannot create the run folder (" + error.message() +
                    "); pick a --run-dir you can write to");
  }
  const fs::path lock_path = run_dir / kRunLockName;
  FileDescriptor lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  const bool created_lock = lock.valid();
  if (!lock.valid() && errno == EEXIST) lock.reset(::open(lock_path.c_str(), O_RDWR | O_CLOEXEC));
  if (!lock.valid()) {
    const std::string why = std::strerror(errno);
    if (created_folder) fs::remove(run_dir, error);
    throw UserError(lock_path.string() + ": cannot create the run's lock file (" + why +
                    "); pick a --run-dir you can write to");
  }
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      throw UserError(run_dir.string() +
                      " is in use by another spiral train that is still running; pick another "
                      "--name, or wait for it to end");
    }
    // File systems without locks (some network ones): the run goes on unprotected.
    log_warning(lock_path.string(), ": cannot lock (", std::strerror(errno),
                "); make sure no other run writes into ", run_dir.string());
  }
  // From here on the claim removes what it created if the run writes nothing.
  RunFolderClaim claim(run_dir, std::move(lock), created_folder, created_lock);
  if (fresh && fs::exists(metrics)) {
    throw UserError(metrics.string() +
                    " already exists; pick another --name or --run-dir (runs are never "
                    "overwritten), or continue it with --resume auto");
  }
  return claim;
}

}  // namespace

void check_run_name(const std::string& name) {
  if (name.empty()) throw UserError("--name is empty; expected the run folder's name");
  if (name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw UserError("--name '" + name +
                    "': expected one folder name inside --run-dir (no '/', not '.' or '..')");
  }
  if (name.size() > kMaxNameBytes) {
    throw UserError("--name is " + std::to_string(name.size()) + " bytes long; at most " +
                    std::to_string(kMaxNameBytes));
  }
}

RunFolderClaim::~RunFolderClaim() {
  if (!lock_.valid() || !(created_folder_ || created_lock_)) return;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path_, error)) {
    if (entry.path().filename() != kRunLockName) return;  // the run wrote something: keep all
  }
  if (error) return;
  if (created_lock_) fs::remove(path_ / kRunLockName, error);
  if (created_folder_) fs::remove(path_, error);
}

RunFolderClaim claim_run_folder(const dist::Communicator& world, const std::string& run_dir,
                                const std::string& name, bool fresh) {
  check_run_name(name);
  const fs::path path = fs::path(run_dir) / name;
  std::string problem;
  if (world.rank() == 0) {
    try {
      RunFolderClaim claim = claim_on_this_rank(path, fresh);
      world.broadcast(std::string(), 0);
      return claim;
    } catch (const UserError& error) {
      problem = error.what();
    }
  }
  problem = world.broadcast(problem, 0);
  if (!problem.empty()) throw UserError(problem);
  return RunFolderClaim(path, FileDescriptor(), false, false);
}

}  // namespace spiral::run
