// Checkpoints: one HDF5 file holding everything a Trainer needs to resume (both networks, both
// optimizers, RNG states, the render replay, counters, the configuration), with a CRC32 per
// dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spiral/learn/checkpoint_header.h"
#include "spiral/learn/trainer.h"
#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/render/action_spec.h"

namespace spiral::learn {

// "canvas=64 channels=1 conditional=1 ..." for every size of a (resolved) policy config.
std::string policy_sizes(const model::PolicyConfig& config);
// The same for a discriminator config.
std::string discriminator_sizes(const model::DiscriminatorConfig& config);
// The policy config policy_sizes() described (UserError when `text` is malformed).
model::PolicyConfig parse_policy_sizes(const std::string& text);

// <run_dir>/checkpoints/ckpt-<step, 8 digits>.h5
std::filesystem::path checkpoint_path(const std::filesystem::path& run_dir, int64_t step);
// The checkpoint files of a run (ckpt-<digits>.h5 under <run_dir>/checkpoints), newest step first.
std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& run_dir);
// Removes all but the newest `keep` (at least 1) intact checkpoints of a run, and temporary files
// of unfinished writes (call it only between writes); returns the removed paths. Files that fail
// the whole-file checksum are neither counted nor removed.
std::vector<std::filesystem::path> prune_checkpoints(const std::filesystem::path& run_dir,
                                                     int keep);

// The random streams of a data-parallel rank's `trainer`, and its render replay when
// `with_replay`, as bytes that rank 0 stores with save_checkpoint's `other_ranks`.
std::string rank_state(Trainer& trainer, bool with_replay);

// `trainer`'s policy and its Adam state (and, `with_discriminator`, D and its Adam state) as
// bytes that restore_network_state() loads exactly: what a PBT member copies from another.
std::string network_state(Trainer& trainer, bool with_discriminator);
// Loads network_state() bytes into `trainer`'s networks and optimizers (those they hold).
void restore_network_state(Trainer& trainer, const std::string& bytes);

// A digest (FNV-1a) of the bits of what network_state() holds: the policy's parameters and
// buffers and its Adam state (and, `with_discriminator`, D's), in parameter order. Equal digests:
// equal networks and optimizer states (learning rates aside).
uint64_t network_digest(Trainer& trainer, bool with_discriminator);

// A population member's rank in a checkpoint: network_state() with D, and rank_state().
std::string member_rank_state(Trainer& trainer, bool with_replay);

// Writes `trainer`'s whole state to `path` through a temporary file in the same folder that is
// renamed into place once complete (no partial file is ever left under `path`). `config` is the
// resolved configuration as an INI file; `with_replay` stores the render replay too;
// `other_ranks` holds rank_state() of ranks 1, 2, ... of a multi-rank run. `population` (a
// population run's other members, and its PBT state) goes to the group population/, a dataset of
// bytes per (name, bytes) pair.
void save_checkpoint(const std::filesystem::path& path, Trainer& trainer,
                     const CheckpointCounters& counters, const std::string& config,
                     bool with_replay = true, const std::vector<std::string>& other_ranks = {},
                     const std::vector<std::pair<std::string, std::string>>& population = {});

// An opened and verified checkpoint file. Every problem is a UserError naming the file.
class CheckpointFile {
 public:
  // Reads the header and verifies the format version and every dataset's CRC32.
  explicit CheckpointFile(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  const CheckpointHeader& header() const { return header_; }
  // The policy's sizes as stored (for rebuilding the policy without a Trainer).
  model::PolicyConfig policy_config() const;

  // Refuses a checkpoint of another ActionSpec or other policy sizes, naming what differs.
  void check_policy(const render::ActionSpec& spec, const model::PolicyConfig& config) const;
  // Loads the policy's parameters and buffers (after check_policy).
  void load_policy(model::Policy& policy) const;
  // Loads everything into `trainer` (networks, optimizers, RNGs, the replay when stored) after
  // checking the ActionSpec and both networks' sizes against it; returns the counters. `rank`
  // takes that rank's own random streams and replay when stored (header().ranks), else rank 0's.
  CheckpointCounters load_trainer(Trainer& trainer, int rank = 0) const;
  // Whether the checkpoint holds a population/ group (a run with --population above 1).
  bool has_population() const;
  // The bytes of population/<name>; UserError when absent.
  std::string population_part(const std::string& name) const;
  // Loads a member_rank_state() stored as population/<name> into `trainer` (after load_trainer(),
  // which checked the sizes).
  void load_member_rank(Trainer& trainer, const std::string& name) const;

 private:
  std::filesystem::path path_;
  CheckpointHeader header_;
};

// The newest checkpoint of a run that opens and verifies; a warning names each one skipped and
// why. std::nullopt when there is none.
std::optional<std::filesystem::path> newest_valid_checkpoint(const std::filesystem::path& run_dir);

}  // namespace spiral::learn
