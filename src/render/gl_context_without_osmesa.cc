// The OSMesa backend of a build made without OSMesa's header: it always declines, naming why.
#include <memory>
#include <string>

#include "spiral/render/gl_context.h"

namespace spiral::render::detail {

std::unique_ptr<GlBackendContext> create_osmesa_context(std::string* why) {
  *why = "this build has no OSMesa backend (libosmesa6-dev was missing when it was configured)";
  return nullptr;
}

}  // namespace spiral::render::detail
