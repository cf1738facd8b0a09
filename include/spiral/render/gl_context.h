// Off-screen OpenGL contexts for MuJoCo's renderer: EGL (a GPU, or Mesa) with OSMesa as fallback.
//
// How MuJoCo 2.2 (Debian's libmujoco 2.2.2) finds its OpenGL functions, read from its source
// (src/render/glad/glad.c, loader.cc, render_context.c) and its symbol table:
// - libmujoco links no GL library. The first mjr_makeContext of the process loads every GL entry
//   point through MuJoCo's private copy of glad (mjGladLoadGL, guarded by a function-local static),
//   so all later contexts, on every thread, call the same function pointers.
// - glad resolves each name with one GetProcAddress function. It takes the first of
//   eglGetProcAddress, OSMesaGetProcAddress, glXGetProcAddressARB visible in the process's global
//   symbol scope (dlsym on dlopen(NULL)); when none is, it walks the loaded libraries
//   (dl_iterate_phdr) and uses the first libGL*, libGLX*, libEGL* or libOSMesa* it meets.
// - With glvnd (Debian, NVIDIA), eglGetProcAddress hands out libGLdispatch stubs that follow the
//   EGL or GLX context current on the calling thread. An OSMesa context is invisible to them: once
//   MuJoCo is bound to EGL, an OSMesa context gets nothing (tried here: mjr_makeContext fails with
//   "Default framebuffer is not complete"). The reverse binding follows Mesa's EGL only by accident
//   (both use Mesa's glapi; it worked here) and cannot follow NVIDIA's.
// - With libEGL and libOSMesa both loaded RTLD_LOCAL (EGL tried and failed, then OSMesa), glad
//   takes libEGL, met first, and fails ("gladLoadGL error"; tried here).
// Hence the design here: we link neither libEGL nor libOSMesa but dlopen them (RTLD_LOCAL) at run
// time; the backend that works is promoted to global scope (RTLD_NOLOAD | RTLD_GLOBAL) before
// MuJoCo loads GL, so glad's first lookup picks it even when the other library stays loaded after
// a failed attempt. The first context of a process fixes its backend; asking for the other one
// later is a UserError, so each backend runs in its own process (the tests do that). No target
// may link libEGL, libGL or libOSMesa: their global GetProcAddress would win glad's first lookup
// (SceneRenderer throws if its first frame comes out black).
// EGL tries the devices of EGL_EXT_platform_device first (NVIDIA GPUs; Mesa's software device is
// skipped) and then Mesa's surfaceless platform (EGL_MESA_platform_surfaceless), with a config
// that asks for EGL_PBUFFER_BIT and the desktop OpenGL API, and no surface (surfaceless context).
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

namespace spiral::render {

// The OpenGL implementations a context can run on.
enum class GlBackend { kEgl, kOsmesa };

// "egl" or "osmesa".
std::string gl_backend_name(GlBackend backend);

namespace detail {

// A shared library opened with dlopen (RTLD_LOCAL) and closed with dlclose.
class SharedLibrary {
 public:
  // Opens the first of `names` that loads; empty (see error()) when none does.
  explicit SharedLibrary(std::initializer_list<const char*> names);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  bool loaded() const { return handle_ != nullptr; }
  // What dlopen said when nothing loaded.
  const std::string& error() const { return error_; }
  // The address of `name`, or null.
  void* symbol(const char* name) const;
  // Reopens the library with RTLD_GLOBAL so its symbols join the process's global scope.
  void make_global();

 private:
  void* handle_ = nullptr;
  void* global_handle_ = nullptr;
  std::string name_;
  std::string error_;
};

// One backend's context; implemented in gl_context_egl.cc and gl_context_osmesa.cc.
class GlBackendContext {
 public:
  virtual ~GlBackendContext() = default;
  // Makes the context current on the calling thread (a no-op when it already is).
  virtual void make_current() = 0;
  // Detaches the context from the calling thread if it is current there.
  virtual void release() = 0;
  virtual GlBackend backend() const = 0;
  // The platform and the GL renderer, e.g. "egl surfaceless: llvmpipe (LLVM 15.0.6, 256 bits)".
  virtual const std::string& description() const = 0;
  // Puts the backend's library in the global symbol scope, where MuJoCo's GL loader looks first.
  virtual void expose_to_mujoco() = 0;
};

// A context current on the calling thread, or null with `why` saying what failed.
std::unique_ptr<GlBackendContext> create_egl_context(std::string* why);
std::unique_ptr<GlBackendContext> create_osmesa_context(std::string* why);

}  // namespace detail

// An off-screen OpenGL context (no window, no default framebuffer to speak of: MuJoCo renders into
// its own framebuffer object). Current on the creating thread; one thread uses it at a time, and
// make_current() moves it to another thread. Each rendering thread owns its own context.
class GlContext {
 public:
  // Creates a context for `gl` ("auto": EGL, else OSMesa with one warning; "egl"; "osmesa") and
  // makes it current. UserError when `gl` is unknown, when an explicitly requested backend fails,
  // when no backend works, or when `gl` differs from the backend this process already uses.
  explicit GlContext(const std::string& gl);
  ~GlContext();
  GlContext(const GlContext&) = delete;
  GlContext& operator=(const GlContext&) = delete;

  // Makes the context current on the calling thread (cheap when it already is).
  void make_current() { impl_->make_current(); }
  // Detaches the context from the calling thread.
  void release() { impl_->release(); }
  GlBackend backend() const { return impl_->backend(); }
  // The backend, platform and GL renderer, for logs and benchmark reports.
  std::string description() const { return impl_->description(); }

 private:
  std::unique_ptr<detail::GlBackendContext> impl_;
};

// The backend fixed by this process's first context, or nothing before one was created.
std::optional<GlBackend> process_gl_backend();

// Why "auto" fell back to OSMesa in this process ("" when it did not).
std::string gl_fallback_reason();

}  // namespace spiral::render
