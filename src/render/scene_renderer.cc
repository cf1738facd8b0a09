// SceneRenderer: one GL context, one compiled model with a hidden object pool, mjr_render into
// MuJoCo's offscreen framebuffer, mjr_readPixels, and a vertical flip.
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spiral/core/logging.h"
#include "spiral/render/gl_context.h"
#include "spiral/render/scene.h"

namespace spiral::render {
namespace {

[[noreturn]] void throw_mujoco_error(const char* message) {
  throw std::runtime_error(std::string("MuJoCo error: ") + message);
}

void log_mujoco_warning(const char* message) { log_warning("MuJoCo warning: ", message); }

// The GL backend of valid settings (UserError otherwise).
const std::string& checked_gl(const SceneSettings& settings) {
  check_scene_settings(settings);
  return settings.gl;
}

struct ModelDeleter {
  void operator()(mjModel* model) const { mj_deleteModel(model); }
};
struct DataDeleter {
  void operator()(mjData* data) const { mj_deleteData(data); }
};
using ModelPtr = std::unique_ptr<mjModel, ModelDeleter>;
using DataPtr = std::unique_ptr<mjData, DataDeleter>;

// A virtual file system holding one in-memory file.
class VirtualFile {
 public:
  VirtualFile(const char* name, const std::string& text) : vfs_(std::make_unique<mjVFS>()) {
    mj_defaultVFS(vfs_.get());
    if (mj_makeEmptyFileVFS(vfs_.get(), name, static_cast<int>(text.size())) != 0) {
      throw std::runtime_error(std::string("cannot add ") + name + " to MuJoCo's VFS");
    }
    std::memcpy(vfs_->filedata[vfs_->nfile - 1], text.data(), text.size());
  }
  ~VirtualFile() { mj_deleteVFS(vfs_.get()); }
  VirtualFile(const VirtualFile&) = delete;
  VirtualFile& operator=(const VirtualFile&) = delete;

  const mjVFS* get() const { return vfs_.get(); }

 private:
  std::unique_ptr<mjVFS> vfs_;
};

// Compiles MJCF text through MuJoCo's virtual file system (no file on disk).
ModelPtr compile(const std::string& xml) {
  constexpr const char* kName = "spiral_scene.xml";
  VirtualFile file(kName, xml);
  char error[1024] = "";
  ModelPtr model(mj_loadXML(kName, file.get(), error, sizeof(error)));
  if (!model) throw std::runtime_error(std::string("MuJoCo cannot compile the scene: ") + error);
  return model;
}

// An abstract scene with room for every geom of the model.
class VisualScene {
 public:
  VisualScene(const mjModel* model, int max_geoms) {
    mjv_defaultScene(&scene_);
    mjv_makeScene(model, &scene_, max_geoms);
  }
  ~VisualScene() { mjv_freeScene(&scene_); }
  VisualScene(const VisualScene&) = delete;
  VisualScene& operator=(const VisualScene&) = delete;

  mjvScene* get() { return &scene_; }

 private:
  mjvScene scene_;
};

// MuJoCo's GPU resources for a model; the GL context must be current when it is made and freed.
class RenderContext {
 public:
  explicit RenderContext(const mjModel* model) {
    mjr_defaultContext(&context_);
    try {
      mjr_makeContext(model, &context_, mjFONTSCALE_100);
    } catch (...) {
      mjr_freeContext(&context_);
      throw;
    }
  }
  ~RenderContext() { mjr_freeContext(&context_); }
  RenderContext(const RenderContext&) = delete;
  RenderContext& operator=(const RenderContext&) = delete;

  mjrContext* get() { return &context_; }

 private:
  mjrContext context_;
};

}  // namespace

void install_mujoco_error_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_error = &throw_mujoco_error;
    mju_user_warning = &log_mujoco_warning;
  });
}

struct SceneRenderer::Impl {
  SceneSettings settings;
  GlContext gl;  // declared before the MuJoCo resources: destroyed after them
  ModelPtr model;
  DataPtr data;
  mjvOption option;
  mjvPerturb perturb;
  mjvCamera camera;
  std::unique_ptr<VisualScene> scene;
  std::unique_ptr<RenderContext> context;
  int pool_start[kSceneObjectTypes] = {};  // id of the first pool geom of each type
  std::vector<unsigned char> rgb;          // bottom-up rows as mjr_readPixels returns them
  Image empty;                             // the empty floor

  explicit Impl(const SceneSettings& scene_settings)
      : settings(scene_settings), gl(checked_gl(scene_settings)) {
    install_mujoco_error_handler();
    model = compile(scene_model_xml(settings));
    data.reset(mj_makeData(model.get()));
    if (!data) throw std::runtime_error("MuJoCo cannot allocate the scene's mjData");
    static const char* const kPoolNames[kSceneObjectTypes] = {"sphere_0", "box_0", "cylinder_0",
                                                              "capsule_0"};
    for (int type = 0; type < kSceneObjectTypes; ++type) {
      pool_start[type] = mj_name2id(model.get(), mjOBJ_GEOM, kPoolNames[type]);
      if (pool_start[type] < 0) throw std::logic_error("scene model lacks its object pool");
    }
    mjv_defaultOption(&option);
    mjv_defaultPerturb(&perturb);
    mjv_defaultCamera(&camera);
    camera.type = mjCAMERA_FIXED;
    camera.fixedcamid = 0;
    scene = std::make_unique<VisualScene>(model.get(), model->ngeom + 8);
    scene->get()->flags[mjRND_SHADOW] = 0;
    scene->get()->flags[mjRND_REFLECTION] = 0;
    scene->get()->flags[mjRND_SKYBOX] = 0;
    scene->get()->flags[mjRND_FOG] = 0;
    context = std::make_unique<RenderContext>(model.get());
    mjr_setBuffer(mjFB_OFFSCREEN, context->get());
    if (context->get()->currentBuffer != mjFB_OFFSCREEN ||
        context->get()->offWidth != settings.image_size ||
        context->get()->offHeight != settings.image_size) {
      throw std::runtime_error("MuJoCo's offscreen buffer is not " +
                               std::to_string(settings.image_size) + " pixels square");
    }
    rgb.resize(3 * static_cast<size_t>(settings.image_size) * settings.image_size);
    draw({}, &empty);
    if (std::all_of(empty.pixels.begin(), empty.pixels.end(), [](uint8_t v) { return v == 0; })) {
      throw std::runtime_error("MuJoCo rendered a black floor with " + gl.description() +
                               ": its OpenGL functions belong to another library (see "
                               "gl_context.h)");
    }
  }

  ~Impl() {
    // MuJoCo's GL resources are freed with their context current (if it still can be).
    try {
      gl.make_current();
    } catch (const std::exception& error) {
      log_warning("freeing a scene renderer without its GL context: ", error.what());
    }
    context.reset();
    gl.release();
  }

  // Places the pool geoms for `objects`, renders and reads back into `image`. Binds the GL
  // context to the calling thread for the call only.
  void draw(const std::vector<SceneObject>& objects, Image* image) {
    gl.make_current();
    mjModel* m = model.get();
    for (int type = 0; type < kSceneObjectTypes; ++type) {
      for (int i = 0; i < settings.max_objects; ++i) {
        m->geom_rgba[4 * (pool_start[type] + i) + 3] = 0;  // alpha 0: mjv skips the geom
      }
    }
    int used[kSceneObjectTypes] = {};
    const double top = settings.color_levels - 1;
    for (const SceneObject& object : objects) {
      const int id = pool_start[object.type] + used[object.type]++;
      const SceneGeom geom = scene_geom(settings, object);
      for (int k = 0; k < 3; ++k) {
        m->geom_pos[3 * id + k] = geom.center[k];
        m->geom_size[3 * id + k] = geom.size[k];
      }
      m->geom_rbound[id] = geom.rbound;
      float* rgba = m->geom_rgba + 4 * id;
      rgba[0] = static_cast<float>(object.red / top);
      rgba[1] = static_cast<float>(object.green / top);
      rgba[2] = static_cast<float>(object.blue / top);
      rgba[3] = 1;
    }
    mj_kinematics(m, data.get());  // geom poses
    mj_camlight(m, data.get());    // camera and light poses
    mjv_updateScene(m, data.get(), &option, &perturb, &camera, mjCAT_ALL, scene->get());
    const mjrRect viewport = {0, 0, settings.image_size, settings.image_size};
    mjr_setBuffer(mjFB_OFFSCREEN, context->get());
    mjr_render(viewport, scene->get(), context->get());
    mjr_readPixels(rgb.data(), nullptr, viewport, context->get());
    gl.release();  // so that any thread can render next (about 7 us with Mesa's EGL)
    const int side = settings.image_size;
    const size_t row_bytes = 3 * static_cast<size_t>(side);
    image->height = side;
    image->width = side;
    image->channels = 3;
    image->pixels.resize(row_bytes * side);
    for (int y = 0; y < side; ++y) {
      std::memcpy(image->pixels.data() + y * row_bytes, rgb.data() + (side - 1 - y) * row_bytes,
                  row_bytes);
    }
  }
};

SceneRenderer::SceneRenderer(const SceneSettings& settings)
    : impl_(std::make_unique<Impl>(settings)) {}

SceneRenderer::~SceneRenderer() = default;
SceneRenderer::SceneRenderer(SceneRenderer&& other) noexcept = default;
SceneRenderer& SceneRenderer::operator=(SceneRenderer&& other) noexcept = default;

Image SceneRenderer::render(const std::vector<SceneObject>& objects) {
  Image image;
  render(objects, &image);
  return image;
}

void SceneRenderer::render(const std::vector<SceneObject>& objects, Image* image) {
  check_scene_objects(impl_->settings, objects);
  if (objects.empty()) {
    *image = impl_->empty;
    return;
  }
  impl_->draw(objects, image);
}

const SceneSettings& SceneRenderer::settings() const { return impl_->settings; }

std::string SceneRenderer::backend() const { return impl_->gl.description(); }

}  // namespace spiral::render
