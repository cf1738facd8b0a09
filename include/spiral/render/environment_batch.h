// Many environments stepped together on a pool of rendering threads.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "spiral/core/thread_pool.h"
#include "spiral/render/environment.h"
#include "spiral/render/settings.h"

namespace spiral::render {

// `count` environments of one kind. Environment i is created, stepped and destroyed on rendering
// thread i % threads, so per-thread state (an OpenGL context) never moves between threads.
class EnvironmentBatch {
 public:
  EnvironmentBatch(const EnvironmentSettings& settings, int count, int threads);
  ~EnvironmentBatch();
  EnvironmentBatch(const EnvironmentBatch&) = delete;
  EnvironmentBatch& operator=(const EnvironmentBatch&) = delete;

  int size() const { return static_cast<int>(environments_.size()); }
  int threads() const { return pool_.size(); }
  const ActionSpec& action_spec() const { return environments_.front()->action_spec(); }
  int episode_length() const { return environments_.front()->episode_length(); }

  // Resets environment i with seeds[i] (one seed per environment).
  void reset(const std::vector<uint64_t>& seeds);
  // Steps environment i with commands[i] (one command per environment); UserError if any is bad.
  void step(const std::vector<Command>& commands);
  // Resets environment i with seeds[i] and plays programs[i] (Environment::replay).
  void replay(const std::vector<uint64_t>& seeds,
              const std::vector<std::vector<Command>>& programs);
  // What environment i shows after the last reset or step.
  const Observation& observation(int i) const { return *observations_[i]; }
  // The canvas of environment i (runs on the caller's thread: use between steps only).
  Image canvas(int i) const { return environments_[i]->canvas(); }

 private:
  // Runs work(i) for every environment, each on its own rendering thread.
  template <typename Work>
  void for_each_environment(const Work& work);

  ThreadPool pool_;
  std::vector<std::unique_ptr<Environment>> environments_;
  std::vector<const Observation*> observations_;
};

}  // namespace spiral::render
