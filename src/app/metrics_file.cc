#include "metrics_file.h"

#include <algorithm>
#include <utility>

#include "spiral/core/errors.h"

namespace spiral::app {
namespace {

// Whether a series holds int64 values (the others hold doubles).
bool is_integer(const Series& series) {
  return series.description.size() > 7 &&
         series.description.compare(series.description.size() - 7, 7, "(int64)") == 0;
}

}  // namespace

const std::vector<Series>& metric_series() {
  static const std::vector<Series> series = {
      {"step", "updates", "Policy updates done (int64)"},
      {"frames", "frames", "Agent steps taken so far, batch x episode length per update (int64)"},
      {"wall_time", "s", "Seconds since training started"},
      {"policy_loss", "", "A2C policy-gradient loss of the update"},
      {"value_loss", "", "Squared value error of the update (before value_cost)"},
      {"entropy", "nats", "Summed policy entropy per episode, batch mean"},
      {"reward", "", "Summed reward per episode, batch mean"},
      {"discriminator_loss", "",
       "Loss of the step's last discriminator update (NaN: the reward does not use D, which is not "
       "trained)"},
      {"grad_norm", "", "Policy gradient L2 norm before clipping"},
      {"held_out_mse", "",
       "Reconstruction MSE per pixel on [0, 1] over the held-out set (sampled with a fixed seed, "
       "or greedy with --eval-greedy); NaN when not evaluated at this step (see --eval-every) or "
       "unconditional"},
      {"skipped", "",
       "Network updates not applied for NaN or infinite gradients: 0 none, 1 the policy's, 2 the "
       "discriminator's, 3 both (int64)"},
      {"frames_produced", "frames",
       "Agent steps the actors have handed to the replay holders (--mode async: the holders' "
       "latest counts; sync: as frames) (int64)"},
      {"queue_depth", "episodes",
       "Episodes waiting in the replay holders' queues (latest counts; 0 in sync mode) (int64)"},
      {"dropped_episodes", "episodes",
       "Episodes the replay holders dropped as older than --max-policy-lag, in all (int64)"},
      {"policy_lag", "updates",
       "Mean policy updates between acting and learning over the update's episodes (0 in sync "
       "mode)"},
      {"policy_lag_max", "updates", "Largest policy lag of the update's episodes (int64)"},
      {"wait_time", "s", "Time learner 0 waited for the update's episodes (0 in sync mode)"},
      {"bytes_received", "bytes", "Episode bytes learner 0 has received, in all (int64)"},
  };
  return series;
}

MetricsFile create_metrics(const std::filesystem::path& path) {
  MetricsFile metrics{io::File::create(path.string()), {}};
  for (const Series& series : metric_series()) {
    io::Dataset column = is_integer(series)
                             ? metrics.file.root().create_dataset<int64_t>(series.name, {})
                             : metrics.file.root().create_dataset<double>(series.name, {});
    column.set_attribute("units", series.units);
    column.set_attribute("description", series.description);
    metrics.columns.push_back(std::move(column));
  }
  return metrics;
}

MetricsFile reopen_metrics(const std::filesystem::path& path, int64_t step) {
  const std::vector<Series>& series = metric_series();
  std::vector<std::vector<int64_t>> integers(series.size());  // filled for integer series
  std::vector<std::vector<double>> reals(series.size());      // filled for the others
  {
    const io::File old = io::File::open(path.string(), io::File::Mode::kSwmrRead);
    for (size_t i = 0; i < series.size(); ++i) {
      if (!old.root().has(series[i].name)) {
        throw UserError(path.string() + " has no series '" + series[i].name +
                        "' to continue; resume into another --name");
      }
      const io::Dataset column = old.root().open_dataset(series[i].name);
      if (is_integer(series[i])) {
        integers[i] = column.read<int64_t>();
      } else {
        reals[i] = column.read<double>();
      }
    }
  }
  // Whole rows up to `step` (a killed writer may have appended part of a row).
  size_t keep = 0;
  while (keep < integers[0].size() && integers[0][keep] <= step) ++keep;
  for (size_t i = 0; i < series.size(); ++i) {
    keep = std::min(keep, is_integer(series[i]) ? integers[i].size() : reals[i].size());
  }
  const std::filesystem::path copy = path.string() + ".tmp";
  {
    MetricsFile fresh = create_metrics(copy);
    for (size_t i = 0; i < series.size(); ++i) {
      if (is_integer(series[i])) {
        fresh.columns[i].append(integers[i].data(), keep);
      } else {
        fresh.columns[i].append(reals[i].data(), keep);
      }
    }
    fresh.file.close();
  }
  std::filesystem::rename(copy, path);
  MetricsFile metrics{io::File::open(path.string(), io::File::Mode::kReadWrite), {}};
  for (const Series& one : series) {
    metrics.columns.push_back(metrics.file.root().open_dataset(one.name));
  }
  return metrics;
}

void append_row(MetricsFile& metrics, const std::vector<double>& row) {
  const std::vector<Series>& series = metric_series();
  for (size_t i = 0; i < series.size(); ++i) {
    if (is_integer(series[i])) {
      const int64_t value = static_cast<int64_t>(row[i]);
      metrics.columns[i].append(&value, 1);
    } else {
      metrics.columns[i].append(&row[i], 1);
    }
  }
  metrics.file.flush();
}

}  // namespace spiral::app
