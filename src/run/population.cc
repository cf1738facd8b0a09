#include "spiral/run/population.h"

#include <cstring>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/learn/checkpoint.h"

namespace spiral::run {
namespace {

// Mixed into the run's seed for member seeds and for the PBT engine.
constexpr uint64_t kMemberSeedStep = 0x632BE59BD9B4E019ULL;
constexpr uint64_t kPbtSeedMix = 0x5851F42D4C957F2DULL;

std::string row_bytes(const std::vector<double>& row) {
  std::string bytes(row.size() * sizeof(double), '\0');
  if (!row.empty()) std::memcpy(bytes.data(), row.data(), bytes.size());
  return bytes;
}

std::vector<double> bytes_row(const std::string& bytes) {
  std::vector<double> row(bytes.size() / sizeof(double));
  if (!row.empty()) std::memcpy(row.data(), bytes.data(), row.size() * sizeof(double));
  return row;
}

}  // namespace

OptionGroup population_options() {
  return {
      "population",
      {
          int_option("population", 1, 1, 4096, "members",
                     "Policies trained side by side with population-based training (the ranks "
                     "split into this many equal members of consecutive ranks; --mode async: "
                     "each member has its own --layout of learners, holders and actors)"),
          bool_option("shared-discriminator", true,
                      "--population above 1: one discriminator trained by every member "
                      "(SPIRAL++), else one per member"),
          int_option("pbt-interval", 100, 1, INT64_MAX, "updates",
                     "Updates between PBT rounds: the worst 20% of the members (at least one) "
                     "copy one of the best 20% and perturb its policy lr and entropy cost"),
          bool_option("population-ranges", true,
                      "Draw each member's initial policy lr and entropy cost log-uniformly "
                      "within the PBT ranges (false: all start at --policy-lr and "
                      "--entropy-cost)"),
          real_option("pbt-lr-min", 1e-5, 0, 1, "", "Lowest policy lr PBT uses (SPIRAL)"),
          real_option("pbt-lr-max", 3e-4, 0, 1, "", "Highest policy lr PBT uses (SPIRAL)"),
          real_option("pbt-entropy-min", 2e-3, 0, 10, "", "Lowest entropy cost PBT uses (SPIRAL)"),
          real_option("pbt-entropy-max", 0.1, 0, 10, "", "Highest entropy cost PBT uses (SPIRAL)"),
      }};
}

PopulationSettings population_settings(const Config& config, int world_size) {
  PopulationSettings s;
  s.pbt.members = static_cast<int>(config.get_int("population"));
  s.pbt.lr_min = config.get_real("pbt-lr-min");
  s.pbt.lr_max = config.get_real("pbt-lr-max");
  s.pbt.entropy_min = config.get_real("pbt-entropy-min");
  s.pbt.entropy_max = config.get_real("pbt-entropy-max");
  s.pbt.check();
  s.interval = config.get_int("pbt-interval");
  s.shared_discriminator = config.get_bool("shared-discriminator");
  s.draw = config.get_bool("population-ranges");
  const int members = s.pbt.members;
  if (world_size % members != 0) {
    throw UserError("--population " + std::to_string(members) + " needs a number of ranks that " +
                    "it divides (each member gets as many), this run has " +
                    std::to_string(world_size));
  }
  if (members > 1 && config.get_text("mode") == "async" && world_size / members < 3) {
    throw UserError("--population " + std::to_string(members) +
                    " --mode async needs at least 3 ranks per member (a learner, a replay holder "
                    "and an actor), " +
                    std::to_string(3 * members) + " ranks or more; this run has " +
                    std::to_string(world_size) + " (" + std::to_string(world_size / members) +
                    " per member)");
  }
  return s;
}

uint64_t member_seed(uint64_t seed, int member) {
  return seed + kMemberSeedStep * static_cast<uint64_t>(member);
}

Population::Population(const dist::Communicator& world, const PopulationSettings& settings,
                       uint64_t seed, const learn::HyperParameters& given)
    : world_(world),
      settings_(settings),
      member_size_(world.size() / settings.pbt.members),
      member_(world.rank() / member_size_),
      team_(settings.pbt.members > 1 ? world.split(member_) : MPI_COMM_NULL),
      engine_(seed ^ kPbtSeedMix) {
  hyper_ = learn::initial_hyper_parameters(settings_.pbt, settings_.draw && members() > 1, given,
                                           engine_);
}

dist::Communicator Population::team() const { return members() > 1 ? team_.get() : world_; }

uint64_t Population::member_seed(uint64_t seed) const { return run::member_seed(seed, member_); }

void Population::share_discriminator(learn::Trainer& trainer) const {
  std::string bytes;
  if (world_.rank() == 0) {
    torch::serialize::OutputArchive archive;
    trainer.discriminator()->save(archive);
    std::ostringstream out;
    archive.save_to(out);
    bytes = out.str();
  }
  bytes = world_.broadcast(bytes, 0);
  if (world_.rank() == 0) return;
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  archive.load_from(in, trainer.discriminator()->parameters().front().device());
  trainer.discriminator()->load(archive);
}

std::vector<std::vector<double>> Population::gather_rows(const std::vector<double>& row) const {
  const std::vector<std::string> parts = world_.gather(row_bytes(row));
  std::vector<std::vector<double>> rows;
  for (int m = 0; m < members() && !parts.empty(); ++m) {
    rows.push_back(bytes_row(parts[static_cast<size_t>(member_root(m))]));
  }
  return rows;
}

std::vector<learn::PbtEvent> Population::round(learn::Trainer& trainer, double fitness,
                                               bool lower_is_better) {
  std::vector<double> all(static_cast<size_t>(members()), 0.0);
  if (world_.rank() == member_root(member_)) all[static_cast<size_t>(member_)] = fitness;
  world_.allreduce_sum(all.data(), all.size());  // x + 0 + ... is x: exact
  const std::vector<learn::PbtEvent> events =
      learn::pbt_round(settings_.pbt, all, lower_is_better, &hyper_, engine_);
  for (const learn::PbtEvent& event : events) {
    const int root = member_root(event.source);
    const std::string bytes = world_.broadcast(
        world_.rank() == root ? learn::network_state(trainer, !settings_.shared_discriminator)
                              : std::string(),
        root);
    if (member_ == event.member) learn::restore_network_state(trainer, bytes);
    check_copy(trainer, event);
  }
  const learn::HyperParameters& mine = hyper_[static_cast<size_t>(member_)];
  trainer.set_hyper_parameters(mine.policy_lr, mine.entropy_cost);
  return events;
}

void Population::check_copy(learn::Trainer& trainer, const learn::PbtEvent& event) const {
  const bool with_discriminator = !settings_.shared_discriminator;
  const int root = member_root(event.source);
  const int copy = member_root(event.member);
  const bool mine = world_.rank() == root || world_.rank() == copy;
  const std::vector<std::string> digests = world_.gather(
      mine ? std::to_string(learn::network_digest(trainer, with_discriminator)) : std::string());
  if (world_.rank() != 0) return;
  const std::string& source = digests[static_cast<size_t>(root)];
  const std::string& member = digests[static_cast<size_t>(copy)];
  if (source != member) {
    throw std::runtime_error("PBT: member " + std::to_string(event.member) + "'s copy of member " +
                             std::to_string(event.source) + " differs (digest " + member +
                             ", the source's " + source + ")");
  }
  log_info("PBT: member ", event.member, " holds member ", event.source, "'s policy",
           with_discriminator ? ", discriminator" : "",
           " and their Adam states bit for bit (digest ", member, " on both)");
}

std::string Population::state() const { return learn::pbt_state_text(hyper_, engine_); }

void Population::restore(const std::string& state) {
  learn::parse_pbt_state(state, members(), &hyper_, &engine_);
}

}  // namespace spiral::run
