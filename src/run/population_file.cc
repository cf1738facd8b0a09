#include "spiral/run/population_file.h"

#include <limits>
#include <utility>

namespace spiral::run {

const std::vector<Series>& population_series() {
  static const std::vector<Series> series = {
      {"update", "updates", "Policy updates done when the event happened; 0: the start (int64)"},
      {"member", "", "The member that copied and changed (int64)"},
      {"source", "", "The member it copied (itself at the start) (int64)"},
      {"old_policy_lr", "", "The member's policy lr before the event"},
      {"new_policy_lr", "", "Its policy lr after: the source's x 0.8 or 1.2, clipped"},
      {"old_entropy_cost", "", "The member's entropy cost before the event"},
      {"new_entropy_cost", "", "Its entropy cost after: the source's x 0.8 or 1.2, clipped"},
      {"member_fitness", "", "The member's fitness at the ranking (see the fitness attribute)"},
      {"source_fitness", "", "The source's fitness at the ranking"},
  };
  return series;
}

PopulationFile PopulationFile::create(const std::filesystem::path& path, int members,
                                      int64_t interval, bool shared_discriminator,
                                      const std::string& fitness,
                                      const std::vector<learn::HyperParameters>& initial) {
  io::File file = io::File::create(path.string());
  io::Group root = file.root();
  root.set_attribute("members", static_cast<int64_t>(members));
  root.set_attribute("pbt_interval", interval);
  root.set_attribute("shared_discriminator", static_cast<int64_t>(shared_discriminator ? 1 : 0));
  root.set_attribute("fitness", fitness);
  Table table = create_table(file.root(), population_series());
  PopulationFile population(std::move(file), std::move(table));
  std::vector<learn::PbtEvent> starts;
  for (size_t m = 0; m < initial.size(); ++m) {
    learn::PbtEvent start;
    start.member = start.source = static_cast<int>(m);
    start.before = start.after = initial[m];
    start.member_fitness = start.source_fitness = std::numeric_limits<double>::quiet_NaN();
    starts.push_back(start);
  }
  population.append(0, starts);
  return population;
}

PopulationFile PopulationFile::reopen(const std::filesystem::path& path, int64_t step) {
  std::vector<Table> tables;
  io::File file = reopen_tables(path, {}, population_series(), step, &tables);
  return PopulationFile(std::move(file), std::move(tables.front()));
}

void PopulationFile::append(int64_t step, const std::vector<learn::PbtEvent>& events) {
  for (const learn::PbtEvent& e : events) {
    append_table_row(
        table_, {static_cast<double>(step), static_cast<double>(e.member),
                 static_cast<double>(e.source), e.before.policy_lr, e.after.policy_lr,
                 e.before.entropy_cost, e.after.entropy_cost, e.member_fitness, e.source_fitness});
  }
  file_.flush();
}

}  // namespace spiral::run
