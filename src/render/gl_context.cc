// Picks the OpenGL backend of a context and keeps one backend per process (see gl_context.h).
#include "spiral/render/gl_context.h"

#include <dlfcn.h>

#include <mutex>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/core/logging.h"

namespace spiral::render {
namespace detail {

SharedLibrary::SharedLibrary(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    dlerror();
    handle_ = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      name_ = name;
      return;
    }
    const char* message = dlerror();
    error_ += (error_.empty() ? "" : "; ") + std::string(message ? message : name);
  }
}

SharedLibrary::~SharedLibrary() {
  if (global_handle_ != nullptr) dlclose(global_handle_);
  if (handle_ != nullptr) dlclose(handle_);
}

void* SharedLibrary::symbol(const char* name) const {
  return handle_ == nullptr ? nullptr : dlsym(handle_, name);
}

void SharedLibrary::make_global() {
  if (handle_ == nullptr || global_handle_ != nullptr) return;
  global_handle_ = dlopen(name_.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

}  // namespace detail

namespace {

// The process's backend, fixed by its first context, and why "auto" left EGL (if it did).
struct ProcessBackend {
  std::mutex mutex;
  std::optional<GlBackend> backend;
  std::string fallback_reason;
};

ProcessBackend& process_backend() {
  static ProcessBackend state;
  return state;
}

std::unique_ptr<detail::GlBackendContext> create(GlBackend backend, std::string* why) {
  return backend == GlBackend::kEgl ? detail::create_egl_context(why)
                                    : detail::create_osmesa_context(why);
}

}  // namespace

std::string gl_backend_name(GlBackend backend) {
  return backend == GlBackend::kEgl ? "egl" : "osmesa";
}

GlContext::GlContext(const std::string& gl) {
  if (gl != "auto" && gl != "egl" && gl != "osmesa") {
    throw UserError("gl backend '" + gl + "' is unknown, expected auto, egl or osmesa");
  }
  ProcessBackend& state = process_backend();
  std::lock_guard<std::mutex> lock(state.mutex);
  std::string why;
  if (state.backend) {
    const GlBackend fixed = *state.backend;
    if (gl != "auto" && gl != gl_backend_name(fixed)) {
      throw UserError("gl backend '" + gl +
                      "' cannot be used: this process already renders with '" +
                      gl_backend_name(fixed) +
                      "' (MuJoCo 2.2 binds OpenGL once per process; use one backend per process)");
    }
    impl_ = create(fixed, &why);
    if (!impl_) {
      throw UserError("gl backend '" + gl_backend_name(fixed) + "' failed: " + why);
    }
    return;
  }
  if (gl == "osmesa") {
    impl_ = detail::create_osmesa_context(&why);
    if (!impl_) throw UserError("gl backend 'osmesa' is unavailable: " + why);
  } else {
    impl_ = detail::create_egl_context(&why);
    if (!impl_ && gl == "egl") throw UserError("gl backend 'egl' is unavailable: " + why);
    if (!impl_) {
      std::string osmesa_why;
      impl_ = detail::create_osmesa_context(&osmesa_why);
      if (!impl_) {
        throw UserError("gl backend 'auto' found no OpenGL: EGL: " + why +
                        "; OSMesa: " + osmesa_why);
      }
      state.fallback_reason = why;
      log_warning("EGL is unavailable (", why, "); rendering with OSMesa");
    }
  }
  impl_->expose_to_mujoco();
  state.backend = impl_->backend();
}

GlContext::~GlContext() = default;

std::optional<GlBackend> process_gl_backend() {
  ProcessBackend& state = process_backend();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.backend;
}

std::string gl_fallback_reason() {
  ProcessBackend& state = process_backend();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.fallback_reason;
}

}  // namespace spiral::render
