// bench_scene: single-thread render throughput of random scenes.
#include <chrono>
#include <random>
#include <stdexcept>

#include "spiral/render/scene.h"

namespace spiral::render {

SceneBenchResult bench_scene(const SceneSettings& settings, int renders, uint64_t seed) {
  if (renders < 1) throw std::invalid_argument("bench_scene needs at least one render");
  SceneRenderer renderer(settings);
  std::mt19937_64 random(seed);
  auto uniform = [&random](int count) {
    return std::uniform_int_distribution<int>(0, count - 1)(random);
  };
  std::vector<std::vector<SceneObject>> scenes(renders);
  for (auto& scene : scenes) {
    scene.resize(1 + uniform(settings.max_objects));
    for (SceneObject& object : scene) {
      object.type = uniform(kSceneObjectTypes);
      object.position = uniform(settings.grid * settings.grid);
      object.size = uniform(settings.size_levels);
      object.red = uniform(settings.color_levels);
      object.green = uniform(settings.color_levels);
      object.blue = uniform(settings.color_levels);
    }
  }
  Image image;
  renderer.render(scenes[0], &image);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (const auto& scene : scenes) renderer.render(scene, &image);
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  SceneBenchResult result;
  result.renders = renders;
  result.renders_per_second = renders / seconds.count();
  result.backend = renderer.backend();
  return result;
}

}  // namespace spiral::render
