// Where a Trainer's time goes: wall-clock seconds per phase of acting and learning (on a CPU;
// CUDA work is asynchronous and lands in whichever phase waits for it).
#pragma once

#include <chrono>

namespace spiral::learn {

// Seconds spent in each phase of one or more updates.
struct PhaseTimes {
  double render = 0;         // environments: resets, strokes, canvases read into tensors
  double inference = 0;      // the policy choosing commands while acting
  double rewards = 0;        // the rewards (D's forward for a discriminator reward)
  double forward = 0;        // the policy's forward over the stored unroll, and the A2C loss
  double backward = 0;       // its backward, gradient averaging and clipping
  double optimizer = 0;      // the policy's Adam step
  double discriminator = 0;  // D's updates

  double total() const {
    return render + inference + rewards + forward + backward + optimizer + discriminator;
  }
  PhaseTimes& operator+=(const PhaseTimes& other) {
    render += other.render;
    inference += other.inference;
    rewards += other.rewards;
    forward += other.forward;
    backward += other.backward;
    optimizer += other.optimizer;
    discriminator += other.discriminator;
    return *this;
  }
};

// Seconds between laps.
class Stopwatch {
 public:
  // Seconds since the last lap (or construction), and starts the next.
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace spiral::learn
