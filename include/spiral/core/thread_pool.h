// A fixed set of worker threads that run one task each, together, while the caller waits.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace spiral {

// Worker t always runs as thread t, so state bound to a thread (an OpenGL context) stays valid.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }
  // Runs task(t) on every worker t = 0 .. size() - 1 and returns when all are done; rethrows
  // the first exception a task threw (the other tasks still finish).
  void run_on_each(const std::function<void(int)>& task);

 private:
  void work(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* task_ = nullptr;
  uint64_t generation_ = 0;
  int running_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace spiral
