#include "spiral/render/environment_batch.h"

#include <stdexcept>

#include "spiral/render/program.h"

namespace spiral::render {

template <typename Work>
void EnvironmentBatch::for_each_environment(const Work& work) {
  const int count = static_cast<int>(environments_.size());
  pool_.run_on_each([&](int thread) {
    for (int i = thread; i < count; i += pool_.size()) work(i);
  });
}

EnvironmentBatch::EnvironmentBatch(const EnvironmentSettings& settings, int count, int threads)
    : pool_(std::max(1, std::min(threads, count))), environments_(count), observations_(count) {
  if (count < 1) throw std::invalid_argument("EnvironmentBatch needs at least one environment");
  for_each_environment([&](int i) { environments_[i] = make_environment(settings); });
}

EnvironmentBatch::~EnvironmentBatch() {
  for_each_environment([&](int i) { environments_[i].reset(); });
}

void EnvironmentBatch::reset(const std::vector<uint64_t>& seeds) {
  if (seeds.size() != environments_.size()) {
    throw std::invalid_argument("EnvironmentBatch::reset: one seed per environment");
  }
  for_each_environment([&](int i) { observations_[i] = &environments_[i]->reset(seeds[i]); });
}

void EnvironmentBatch::replay(const std::vector<uint64_t>& seeds,
                              const std::vector<std::vector<Command>>& programs) {
  if (seeds.size() != environments_.size() || programs.size() != environments_.size()) {
    throw std::invalid_argument("EnvironmentBatch::replay: one seed and program per environment");
  }
  for_each_environment(
      [&](int i) { observations_[i] = &environments_[i]->replay(seeds[i], programs[i]); });
}

void EnvironmentBatch::step(const std::vector<Command>& commands) {
  if (commands.size() != environments_.size()) {
    throw std::invalid_argument("EnvironmentBatch::step: one command per environment");
  }
  for_each_environment([&](int i) { observations_[i] = &environments_[i]->step(commands[i]); });
}

}  // namespace spiral::render
