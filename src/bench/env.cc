#include <cstdio>
#include <iostream>

#include "spiral/bench/actions.h"
#include "spiral/core/figure_table.h"
#include "spiral/core/logging.h"
#include "spiral/render/options.h"
#include "spiral/render/painter.h"
#include "spiral/render/scene.h"

namespace spiral::bench {
namespace {

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), pattern, value);
  return text;
}

// `spiral bench env`: painter steps/s against a bare libmypaint loop, and MuJoCo renders/s.
int run_bench_env(const Config& config, CommandContext&) {
  const render::EnvironmentSettings settings = render::environment_settings(config);
  const std::string only = config.get_text("only");
  const uint64_t seed = static_cast<uint64_t>(config.get_int("seed"));
  std::string table = "benchmark,figure,value,unit\n";
  std::cout << "single thread, " << (only == "both" ? "painter and scene" : only) << "\n";
  if (only != "scene") {
    const int episodes = static_cast<int>(config.get_int("episodes"));
    log_info("painter: ", episodes, " episodes of random commands, ours and a bare loop");
    const render::PainterBenchResult result =
        render::bench_painter(settings.painter, episodes, seed);
    std::cout << "painter " << settings.painter.canvas << "x" << settings.painter.canvas
              << (settings.painter.rgb ? " rgb" : " gray") << ", " << result.steps << " steps\n"
              << "  ours       " << format("%10.0f", result.env_steps_per_second) << " steps/s\n"
              << "  bare loop  " << format("%10.0f", result.bare_steps_per_second) << " steps/s\n"
              << "  ratio      " << format("%10.3f", result.ratio)
              << " x the bare loop's step time\n";
    table += "painter,steps_per_second," + format("%.1f", result.env_steps_per_second) + ",1/s\n";
    table +=
        "painter,bare_steps_per_second," + format("%.1f", result.bare_steps_per_second) + ",1/s\n";
    table += "painter,time_ratio," + format("%.4f", result.ratio) + ",x\n";
  }
  if (only != "painter") {
    const int renders = static_cast<int>(config.get_int("renders"));
    log_info("scene: ", renders, " random scenes of 1 to 5 objects");
    const render::SceneBenchResult result = render::bench_scene(settings.scene, renders, seed);
    std::cout << "scene " << settings.scene.image_size << "x" << settings.scene.image_size << " ("
              << result.backend << "), " << result.renders << " renders\n"
              << "  renders    " << format("%10.0f", result.renders_per_second) << " renders/s ("
              << format("%.3f", 1000.0 / result.renders_per_second) << " ms each)\n";
    table += "scene,renders_per_second," + format("%.1f", result.renders_per_second) + ",1/s\n";
  }
  const std::string csv = config.get_text("csv");
  if (!csv.empty()) write_csv_file(csv, table);
  return 0;
}

}  // namespace

Command env_action() {
  return {"env",
          "Painter steps/s per core against a bare libmypaint loop; MuJoCo renders/s.",
          {render::environment_options(),
           {"bench",
            {
                choice_option("only", "both", {"both", "painter", "scene"},
                              "Which environments to measure"),
                int_option("episodes", 300, 1, 1000000, "episodes",
                           "Painter episodes of random commands"),
                int_option("renders", 300, 1, 1000000, "renders", "Scenes to render"),
                text_option("csv", "", "Also write the figures to this CSV file"),
            }}},
          run_bench_env,
          {}};
}

}  // namespace spiral::bench
