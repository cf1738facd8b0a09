// The EGL backend: an NVIDIA (or other hardware) EGL device, else Mesa's surfaceless platform.
// libEGL is opened at run time, never linked (see gl_context.h).
#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spiral/render/gl_context.h"

namespace spiral::render::detail {
namespace {

constexpr unsigned kGlRenderer = 0x1F01;  // GL_RENDERER, for glGetString

// The entry points of libEGL we use.
struct EglApi {
  SharedLibrary library{"libEGL.so.1", "libEGL.so"};
  decltype(&eglGetProcAddress) get_proc_address = nullptr;
  decltype(&eglGetError) get_error = nullptr;
  decltype(&eglQueryString) query_string = nullptr;
  decltype(&eglInitialize) initialize = nullptr;
  decltype(&eglTerminate) terminate = nullptr;
  decltype(&eglChooseConfig) choose_config = nullptr;
  decltype(&eglBindAPI) bind_api = nullptr;
  decltype(&eglCreateContext) create_context = nullptr;
  decltype(&eglDestroyContext) destroy_context = nullptr;
  decltype(&eglMakeCurrent) make_current = nullptr;
  decltype(&eglGetCurrentContext) get_current_context = nullptr;
  PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display = nullptr;
  PFNEGLQUERYDEVICESEXTPROC query_devices = nullptr;
  PFNEGLQUERYDEVICESTRINGEXTPROC query_device_string = nullptr;
  std::string error;  // why the API is unusable ("" when it is usable)

  EglApi() {
    if (!library.loaded()) {
      error = "cannot load libEGL: " + library.error();
      return;
    }
    load(&get_proc_address, "eglGetProcAddress");
    load(&get_error, "eglGetError");
    load(&query_string, "eglQueryString");
    load(&initialize, "eglInitialize");
    load(&terminate, "eglTerminate");
    load(&choose_config, "eglChooseConfig");
    load(&bind_api, "eglBindAPI");
    load(&create_context, "eglCreateContext");
    load(&destroy_context, "eglDestroyContext");
    load(&make_current, "eglMakeCurrent");
    load(&get_current_context, "eglGetCurrentContext");
    if (!error.empty()) return;
    get_platform_display = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
        get_proc_address("eglGetPlatformDisplayEXT"));
    query_devices =
        reinterpret_cast<PFNEGLQUERYDEVICESEXTPROC>(get_proc_address("eglQueryDevicesEXT"));
    query_device_string = reinterpret_cast<PFNEGLQUERYDEVICESTRINGEXTPROC>(
        get_proc_address("eglQueryDeviceStringEXT"));
  }

  template <typename F>
  void load(F* function, const char* name) {
    *function = reinterpret_cast<F>(library.symbol(name));
    if (*function == nullptr && error.empty()) error = std::string("libEGL lacks ") + name;
  }

  std::string last_error() const {
    char text[32];
    std::snprintf(text, sizeof(text), "0x%04X", static_cast<unsigned>(get_error()));
    return text;
  }
};

EglApi& egl() {
  static EglApi api;
  return api;
}

bool has_extension(const char* list, const char* name) {
  if (list == nullptr) return false;
  const size_t length = std::strlen(name);
  for (const char* at = std::strstr(list, name); at != nullptr; at = std::strstr(at + 1, name)) {
    if ((at == list || at[-1] == ' ') && (at[length] == ' ' || at[length] == '\0')) return true;
  }
  return false;
}

// An initialized EGL display with the config we render with; terminated by its last user.
class EglDisplay {
 public:
  EglDisplay(EGLDisplay display, std::string platform)
      : display_(display), platform_(std::move(platform)) {}
  ~EglDisplay() { egl().terminate(display_); }
  EglDisplay(const EglDisplay&) = delete;
  EglDisplay& operator=(const EglDisplay&) = delete;

  EGLDisplay get() const { return display_; }
  EGLConfig config() const { return config_; }
  void set_config(EGLConfig config) { config_ = config; }
  const std::string& platform() const { return platform_; }

 private:
  EGLDisplay display_;
  EGLConfig config_ = nullptr;
  std::string platform_;
};

// Initializes `display` and picks an RGBA8 config with depth and stencil, pbuffer-capable, for
// desktop OpenGL; null (with `why`) when that fails.
std::shared_ptr<EglDisplay> open_display(EGLDisplay display, const std::string& platform,
                                         std::string* why) {
  EglApi& api = egl();
  if (display == EGL_NO_DISPLAY) {
    *why = platform + ": no display (" + api.last_error() + ")";
    return nullptr;
  }
  EGLint major = 0;
  EGLint minor = 0;
  if (api.initialize(display, &major, &minor) != EGL_TRUE) {
    *why = platform + ": eglInitialize failed (" + api.last_error() + ")";
    return nullptr;
  }
  auto opened = std::make_shared<EglDisplay>(display, platform);
  if (!has_extension(api.query_string(display, EGL_EXTENSIONS), "EGL_KHR_surfaceless_context")) {
    *why = platform + ": no EGL_KHR_surfaceless_context";
    return nullptr;
  }
  // clang-format off
  const EGLint attributes[] = {
      EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,  // the default (window) matches no config here
      EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,  // desktop OpenGL, not GLES
      EGL_COLOR_BUFFER_TYPE, EGL_RGB_BUFFER,
      EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_ALPHA_SIZE, 8,
      EGL_DEPTH_SIZE, 24, EGL_STENCIL_SIZE, 8,
      EGL_NONE};
  // clang-format on
  EGLConfig config = nullptr;
  EGLint count = 0;
  if (api.choose_config(display, attributes, &config, 1, &count) != EGL_TRUE || count < 1) {
    *why = platform + ": no RGBA8/depth24/stencil8 OpenGL pbuffer config";
    return nullptr;
  }
  opened->set_config(config);
  return opened;
}

// The displays worth trying, best first: hardware devices, then Mesa's surfaceless platform.
std::vector<std::pair<EGLDisplay, std::string>> candidate_displays(std::string* why) {
  EglApi& api = egl();
  std::vector<std::pair<EGLDisplay, std::string>> candidates;
  const char* client = api.query_string(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (api.get_platform_display == nullptr) {
    *why = "libEGL has no eglGetPlatformDisplayEXT";
    return candidates;
  }
  if (has_extension(client, "EGL_EXT_platform_device") && api.query_devices != nullptr &&
      api.query_device_string != nullptr) {
    EGLint count = 0;
    if (api.query_devices(0, nullptr, &count) == EGL_TRUE && count > 0) {
      std::vector<EGLDeviceEXT> devices(count);
      api.query_devices(count, devices.data(), &count);
      for (EGLint i = 0; i < count; ++i) {
        const char* extensions = api.query_device_string(devices[i], EGL_EXTENSIONS);
        if (has_extension(extensions, "EGL_MESA_device_software")) continue;
        candidates.emplace_back(
            api.get_platform_display(EGL_PLATFORM_DEVICE_EXT, devices[i], nullptr),
            "egl device " + std::to_string(i));
      }
    }
  }
  if (has_extension(client, "EGL_MESA_platform_surfaceless")) {
    candidates.emplace_back(
        api.get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr),
        "egl surfaceless");
  }
  if (candidates.empty()) {
    *why = "no hardware EGL device and no EGL_MESA_platform_surfaceless";
  }
  return candidates;
}

// An EGL context with no surface, on a display shared with the process's other EGL contexts.
class EglContext : public GlBackendContext {
 public:
  EglContext(std::shared_ptr<EglDisplay> display, EGLContext context)
      : display_(std::move(display)), context_(context) {}
  ~EglContext() override {
    release();
    egl().destroy_context(display_->get(), context_);
  }

  // Binds the context on this thread; false (with `why`) when EGL refuses.
  bool bind(std::string* why) {
    EglApi& api = egl();
    if (api.bind_api(EGL_OPENGL_API) != EGL_TRUE ||
        api.make_current(display_->get(), EGL_NO_SURFACE, EGL_NO_SURFACE, context_) != EGL_TRUE) {
      *why = display_->platform() + ": eglMakeCurrent failed (" + api.last_error() + ")";
      return false;
    }
    return true;
  }

  void make_current() override {
    if (egl().get_current_context() == context_) return;
    std::string why;
    if (!bind(&why)) throw std::runtime_error(why);
  }

  void release() override {
    if (egl().get_current_context() != context_) return;
    egl().make_current(display_->get(), EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  }

  GlBackend backend() const override { return GlBackend::kEgl; }
  const std::string& description() const override { return description_; }
  void expose_to_mujoco() override { egl().library.make_global(); }

  // Records the platform and GL renderer; call while current.
  void describe() {
    using GetString = const unsigned char* (*)(unsigned);
    auto get_string = reinterpret_cast<GetString>(egl().get_proc_address("glGetString"));
    const unsigned char* renderer = get_string ? get_string(kGlRenderer) : nullptr;
    description_ = display_->platform() + ": " +
                   (renderer ? reinterpret_cast<const char*>(renderer) : "unknown renderer");
  }

 private:
  std::shared_ptr<EglDisplay> display_;
  EGLContext context_;
  std::string description_;
};

// A context on `display`, current on this thread, or null with `why`.
std::unique_ptr<EglContext> context_on(const std::shared_ptr<EglDisplay>& display,
                                       std::string* why) {
  EglApi& api = egl();
  if (api.bind_api(EGL_OPENGL_API) != EGL_TRUE) {
    *why = display->platform() + ": eglBindAPI(EGL_OPENGL_API) failed (" + api.last_error() + ")";
    return nullptr;
  }
  EGLContext context =
      api.create_context(display->get(), display->config(), EGL_NO_CONTEXT, nullptr);
  if (context == EGL_NO_CONTEXT) {
    *why = display->platform() + ": eglCreateContext failed (" + api.last_error() + ")";
    return nullptr;
  }
  auto result = std::make_unique<EglContext>(display, context);
  if (!result->bind(why)) return nullptr;
  result->describe();
  return result;
}

// The display every EGL context of the process shares, found by the first context and kept
// initialized until exit: eglTerminate acts on the display of every caller at once, so
// terminating it with one renderer while another thread makes the next would race.
struct SharedDisplay {
  std::mutex mutex;
  bool probed = false;
  std::shared_ptr<EglDisplay> display;
  std::string why;  // why no display works, once probed
};

SharedDisplay& shared_display() {
  static SharedDisplay shared;
  return shared;
}

}  // namespace

std::unique_ptr<GlBackendContext> create_egl_context(std::string* why) {
  EglApi& api = egl();
  if (!api.error.empty()) {
    *why = api.error;
    return nullptr;
  }
  SharedDisplay& shared = shared_display();
  std::lock_guard<std::mutex> lock(shared.mutex);
  if (shared.display) return context_on(shared.display, why);
  if (shared.probed) {
    *why = shared.why;
    return nullptr;
  }
  shared.probed = true;
  std::vector<std::pair<EGLDisplay, std::string>> candidates = candidate_displays(&shared.why);
  std::string failures;
  for (const auto& [handle, platform] : candidates) {
    std::string failure;
    std::shared_ptr<EglDisplay> display = open_display(handle, platform, &failure);
    std::unique_ptr<EglContext> context = display ? context_on(display, &failure) : nullptr;
    if (context) {
      shared.display = display;
      return context;
    }
    failures += (failures.empty() ? "" : "; ") + failure;
  }
  if (!failures.empty()) shared.why = failures;
  *why = shared.why;
  return nullptr;
}

}  // namespace spiral::render::detail
