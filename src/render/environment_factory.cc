// Chooses the environment a settings value describes.
#include "spiral/render/painter.h"
#include "spiral/render/program.h"
#include "spiral/render/scene.h"

namespace spiral::render {

std::unique_ptr<Environment> make_environment(const EnvironmentSettings& settings) {
  if (settings.kind == EnvironmentSettings::Kind::kPainter) {
    return std::make_unique<Painter>(settings.painter);
  }
  return std::make_unique<SceneBuilder>(settings.scene);
}

}  // namespace spiral::render
