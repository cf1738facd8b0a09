#include "spiral/run/metrics_file.h"

#include <algorithm>
#include <string>
#include <utility>

#include "spiral/core/errors.h"

namespace spiral::run {
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

const std::vector<Series>& member_series() {
  static const std::vector<Series> series = {
      {"policy_lr", "", "The member's policy learning rate in this update (PBT evolves it)"},
      {"entropy_cost", "", "The member's entropy cost in this update (PBT evolves it)"},
  };
  return series;
}

std::string member_group(int member) { return "member-" + std::to_string(member); }

Table create_table(io::Group group, const std::vector<Series>& series) {
  Table table{series, {}};
  for (const Series& one : series) {
    io::Dataset column = is_integer(one) ? group.create_dataset<int64_t>(one.name, {})
                                         : group.create_dataset<double>(one.name, {});
    column.set_attribute("units", one.units);
    column.set_attribute("description", one.description);
    table.columns.push_back(std::move(column));
  }
  return table;
}

io::File reopen_tables(const std::filesystem::path& path, const std::vector<std::string>& groups,
                       const std::vector<Series>& series, int64_t step,
                       std::vector<Table>* tables) {
  const std::vector<std::string> names = groups.empty() ? std::vector<std::string>{""} : groups;
  // Per group and series: integer values, or real ones.
  std::vector<std::vector<std::vector<int64_t>>> integers(names.size());
  std::vector<std::vector<std::vector<double>>> reals(names.size());
  std::vector<std::pair<std::string, std::string>> text_attributes;
  std::vector<std::pair<std::string, int64_t>> integer_attributes;
  std::vector<std::pair<std::string, double>> real_attributes;
  {
    const io::File old = io::File::open(path.string(), io::File::Mode::kSwmrRead);
    for (const std::string& name : old.root().attribute_names()) {
      try {
        text_attributes.emplace_back(name, old.root().string_attribute(name));
      } catch (const std::exception&) {
        try {
          integer_attributes.emplace_back(name, old.root().int_attribute(name));
        } catch (const std::exception&) {
          real_attributes.emplace_back(name, old.root().double_attribute(name));
        }
      }
    }
    for (size_t g = 0; g < names.size(); ++g) {
      if (!names[g].empty() && !old.root().has(names[g])) {
        throw UserError(path.string() + " has no group '" + names[g] +
                        "' to continue; resume into another --name");
      }
      const io::Group group = names[g].empty() ? old.root() : old.root().open_group(names[g]);
      integers[g].resize(series.size());
      reals[g].resize(series.size());
      for (size_t i = 0; i < series.size(); ++i) {
        if (!group.has(series[i].name)) {
          throw UserError(path.string() + " has no series '" + names[g] +
                          (names[g].empty() ? "" : "/") + series[i].name +
                          "' to continue; resume into another --name");
        }
        const io::Dataset column = group.open_dataset(series[i].name);
        if (is_integer(series[i])) {
          integers[g][i] = column.read<int64_t>();
        } else {
          reals[g][i] = column.read<double>();
        }
      }
    }
  }
  const std::filesystem::path copy = path.string() + ".tmp";
  {
    io::File fresh = io::File::create(copy.string());
    for (const auto& [name, value] : text_attributes) fresh.root().set_attribute(name, value);
    for (const auto& [name, value] : integer_attributes) fresh.root().set_attribute(name, value);
    for (const auto& [name, value] : real_attributes) fresh.root().set_attribute(name, value);
    for (size_t g = 0; g < names.size(); ++g) {
      // Whole rows up to `step` (a killed writer may have appended part of a row).
      const std::vector<int64_t>& steps = integers[g][0];
      size_t keep = 0;
      while (keep < steps.size() && steps[keep] <= step) ++keep;
      for (size_t i = 0; i < series.size(); ++i) {
        keep = std::min(keep, is_integer(series[i]) ? integers[g][i].size() : reals[g][i].size());
      }
      Table table = create_table(
          names[g].empty() ? fresh.root() : fresh.root().create_group(names[g]), series);
      for (size_t i = 0; i < series.size(); ++i) {
        if (is_integer(series[i])) {
          table.columns[i].append(integers[g][i].data(), keep);
        } else {
          table.columns[i].append(reals[g][i].data(), keep);
        }
      }
    }
    fresh.close();
  }
  std::filesystem::rename(copy, path);
  io::File file = io::File::open(path.string(), io::File::Mode::kReadWrite);
  tables->clear();
  for (const std::string& name : names) {
    const io::Group group = name.empty() ? file.root() : file.root().open_group(name);
    Table table{series, {}};
    for (const Series& one : series) table.columns.push_back(group.open_dataset(one.name));
    tables->push_back(std::move(table));
  }
  return file;
}

void append_table_row(Table& table, const std::vector<double>& row) {
  for (size_t i = 0; i < table.series.size(); ++i) {
    if (is_integer(table.series[i])) {
      const int64_t value = static_cast<int64_t>(row[i]);
      table.columns[i].append(&value, 1);
    } else {
      table.columns[i].append(&row[i], 1);
    }
  }
}

namespace {

// The series of each table of a run's metrics.h5.
std::vector<Series> run_series(int members) {
  std::vector<Series> series = metric_series();
  if (members > 1) series.insert(series.end(), member_series().begin(), member_series().end());
  return series;
}

// The groups of a run's metrics.h5 (none: the root).
std::vector<std::string> run_groups(int members) {
  std::vector<std::string> groups;
  for (int m = 0; members > 1 && m < members; ++m) groups.push_back(member_group(m));
  return groups;
}

}  // namespace

MetricsFile create_metrics(const std::filesystem::path& path, int members) {
  MetricsFile metrics{io::File::create(path.string()), {}};
  if (members <= 1) {
    metrics.tables.push_back(create_table(metrics.file.root(), metric_series()));
    return metrics;
  }
  metrics.file.root().set_attribute("members", static_cast<int64_t>(members));
  for (const std::string& group : run_groups(members)) {
    metrics.tables.push_back(
        create_table(metrics.file.root().create_group(group), run_series(members)));
  }
  return metrics;
}

MetricsFile reopen_metrics(const std::filesystem::path& path, int64_t step, int members) {
  std::vector<Table> tables;
  io::File file = reopen_tables(path, run_groups(members), run_series(members), step, &tables);
  return MetricsFile{std::move(file), std::move(tables)};
}

void append_row(MetricsFile& metrics, const std::vector<double>& row, int table) {
  append_table_row(metrics.tables[static_cast<size_t>(table)], row);
  metrics.file.flush();
}

}  // namespace spiral::run
