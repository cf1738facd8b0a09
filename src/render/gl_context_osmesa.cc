// The OSMesa backend: Mesa's software renderer into a small client-memory buffer.
// libOSMesa is opened at run time, never linked (see gl_context.h).
#include <GL/osmesa.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/render/gl_context.h"

namespace spiral::render::detail {
namespace {

// Side of the OSMesa colour buffer. MuJoCo renders into its own framebuffer object, so this
// buffer only has to exist.
constexpr int kBufferSide = 16;

// The entry points of libOSMesa we use.
struct OsmesaApi {
  SharedLibrary library{"libOSMesa.so.8", "libOSMesa.so.6", "libOSMesa.so"};
  decltype(&OSMesaCreateContextExt) create_context = nullptr;
  decltype(&OSMesaDestroyContext) destroy_context = nullptr;
  decltype(&OSMesaMakeCurrent) make_current = nullptr;
  decltype(&OSMesaGetCurrentContext) get_current_context = nullptr;
  decltype(&OSMesaGetProcAddress) get_proc_address = nullptr;
  std::string error;  // why the API is unusable ("" when it is usable)

  OsmesaApi() {
    if (!library.loaded()) {
      error = "cannot load libOSMesa: " + library.error();
      return;
    }
    load(&create_context, "OSMesaCreateContextExt");
    load(&destroy_context, "OSMesaDestroyContext");
    load(&make_current, "OSMesaMakeCurrent");
    load(&get_current_context, "OSMesaGetCurrentContext");
    load(&get_proc_address, "OSMesaGetProcAddress");
  }

  template <typename F>
  void load(F* function, const char* name) {
    *function = reinterpret_cast<F>(library.symbol(name));
    if (*function == nullptr && error.empty()) error = std::string("libOSMesa lacks ") + name;
  }
};

OsmesaApi& osmesa() {
  static OsmesaApi api;
  return api;
}

// An OSMesa context with its colour buffer.
class OsmesaContext : public GlBackendContext {
 public:
  explicit OsmesaContext(OSMesaContext context)
      : context_(context), buffer_(4 * kBufferSide * kBufferSide) {}
  ~OsmesaContext() override {
    release();
    osmesa().destroy_context(context_);
  }

  // Binds the context on this thread; false when OSMesa refuses.
  bool bind() {
    return osmesa().make_current(context_, buffer_.data(), GL_UNSIGNED_BYTE, kBufferSide,
                                 kBufferSide) == GL_TRUE;
  }

  void make_current() override {
    if (osmesa().get_current_context() == context_) return;
    if (!bind()) throw std::runtime_error("OSMesaMakeCurrent failed");
  }

  void release() override {
    if (osmesa().get_current_context() != context_) return;
    osmesa().make_current(nullptr, nullptr, 0, 0, 0);
  }

  GlBackend backend() const override { return GlBackend::kOsmesa; }
  const std::string& description() const override { return description_; }
  void expose_to_mujoco() override { osmesa().library.make_global(); }

  // Records the GL renderer; call while current.
  void describe() {
    using GetString = const GLubyte* (*)(GLenum);
    auto get_string = reinterpret_cast<GetString>(osmesa().get_proc_address("glGetString"));
    const GLubyte* renderer = get_string ? get_string(GL_RENDERER) : nullptr;
    description_ = std::string("osmesa: ") +
                   (renderer ? reinterpret_cast<const char*>(renderer) : "unknown renderer");
  }

 private:
  OSMesaContext context_;
  std::vector<unsigned char> buffer_;
  std::string description_;
};

}  // namespace

std::unique_ptr<GlBackendContext> create_osmesa_context(std::string* why) {
  OsmesaApi& api = osmesa();
  if (!api.error.empty()) {
    *why = api.error;
    return nullptr;
  }
  OSMesaContext context = api.create_context(OSMESA_RGBA, 24, 8, 0, nullptr);
  if (context == nullptr) {
    *why = "OSMesaCreateContextExt failed";
    return nullptr;
  }
  auto result = std::make_unique<OsmesaContext>(context);
  if (!result->bind()) {
    *why = "OSMesaMakeCurrent failed";
    return nullptr;
  }
  result->describe();
  return result;
}

}  // namespace spiral::render::detail
