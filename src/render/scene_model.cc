// The scene's geometry: settings and command checks, object geoms, the camera, and the MJCF.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/core/option_lists.h"
#include "spiral/render/scene.h"

namespace spiral::render {
namespace {

using Vec3 = std::array<double, 3>;

constexpr double kPi = 3.14159265358979323846;

// Object half-heights (world units) of the smallest and largest size levels: about 2 to 5 cells
// wide, 7 to 17 pixels at 64 x 64, so that the smallest object still shows its type and colour
// and a one-cell miss still overlaps it (scenes format 1 had 0.08 to 0.2: a few pixels).
constexpr double kSmallestSize = 0.12;
constexpr double kLargestSize = 0.3;
// A capsule's radius and cylinder half-length, as fractions of its size.
constexpr double kCapsuleRadius = 0.6;
constexpr double kCapsuleHalfLength = 0.8;
// Floor colour: between the colour bins of 4 levels, so no object matches it.
constexpr const char* kFloorRgba = "0.55 0.5 0.45 1";
// Light (white): the headlight's ambient and diffuse, and the diffuse of a light pointing straight
// down. Every surface gets at least the ambient 0.7 of its colour and a top face 0.7 + 0.83 * 0.15
// + 0.175 = 1.0: shading stays within [0.7, 1], where no colour bin of 4 levels (nor fewer) can
// pass for another, yet faces stay distinct.
constexpr double kHeadlightAmbient = 0.7;
constexpr double kHeadlightDiffuse = 0.15;
constexpr double kTopLightDiffuse = 0.175;
constexpr int kMultisamples = 4;
// Half side of the floor plane; large enough to fill the whole view.
constexpr double kFloorHalfSide = 4.0;

// mjtGeom values: mjGEOM_SPHERE, mjGEOM_BOX, mjGEOM_CYLINDER, mjGEOM_CAPSULE.
constexpr int kMjTypes[kSceneObjectTypes] = {2, 6, 5, 3};

void check_range(const std::string& what, int value, int low, int high) {
  if (value < low || value > high) {
    throw UserError(what + " is " + std::to_string(value) + ", expected " + std::to_string(low) +
                    " to " + std::to_string(high));
  }
}

Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec3 normalized(const Vec3& a) {
  const double length = std::sqrt(dot(a, a));
  return {a[0] / length, a[1] / length, a[2] / length};
}

// The camera frame: right, up and forward unit vectors.
struct CameraFrame {
  Vec3 right;
  Vec3 up;
  Vec3 forward;
};

CameraFrame camera_frame() {
  CameraFrame frame;
  frame.forward = normalized(sub(kSceneCameraTarget, kSceneCameraPosition));
  frame.right = normalized(cross(frame.forward, {0, 0, 1}));
  frame.up = cross(frame.right, frame.forward);
  return frame;
}

std::string vec(const std::array<double, 3>& v) {
  char text[96];
  std::snprintf(text, sizeof(text), "%.6g %.6g %.6g", v[0], v[1], v[2]);
  return text;
}

}  // namespace

void check_scene_settings(const SceneSettings& settings) {
  check_range("scene setting 'image_size'", settings.image_size, 8, 4096);
  check_range("scene setting 'grid'", settings.grid, 1, 256);
  check_range("scene setting 'max_objects'", settings.max_objects, 1, 64);
  check_range("scene setting 'size_levels'", settings.size_levels, 1, 64);
  check_range("scene setting 'color_levels'", settings.color_levels, 2, 256);
  check_range("scene setting 'episode_length'", settings.episode_length, 1, 1 << 20);
  if (settings.gl != "auto" && settings.gl != "egl" && settings.gl != "osmesa") {
    throw UserError("scene setting 'gl' is '" + settings.gl + "', expected auto, egl or osmesa");
  }
}

ActionSpec scene_action_spec(const SceneSettings& settings) {
  check_scene_settings(settings);
  ActionPart position{"position", settings.grid * settings.grid};
  for (int cell = 0; cell < position.size; ++cell) {
    // The middle of a middle-sized object standing on the cell.
    std::array<double, 3> center = scene_cell_center(settings, cell);
    center[2] = (kSmallestSize + kLargestSize) / 2;
    const std::array<double, 2> pixel = scene_project(settings, center);
    position.points.push_back({static_cast<float>(pixel[0] / settings.image_size),
                               static_cast<float>(pixel[1] / settings.image_size)});
  }
  return ActionSpec({{"mode", settings.skip ? kSceneModes : kSceneModes - 1},
                     {"type", kSceneObjectTypes},
                     position,
                     {"size", settings.size_levels},
                     {"red", settings.color_levels},
                     {"green", settings.color_levels},
                     {"blue", settings.color_levels}});
}

SceneObject scene_object(const Command& command) {
  SceneObject object;
  object.type = command.at(1);
  object.position = command.at(2);
  object.size = command.at(3);
  object.red = command.at(4);
  object.green = command.at(5);
  object.blue = command.at(6);
  return object;
}

void check_scene_objects(const SceneSettings& settings, const std::vector<SceneObject>& objects) {
  if (static_cast<int>(objects.size()) > settings.max_objects) {
    throw UserError("scene has " + std::to_string(objects.size()) + " objects, expected at most " +
                    std::to_string(settings.max_objects) + " (max_objects)");
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    const SceneObject& object = objects[i];
    const std::string name = "scene object " + std::to_string(i) + " ";
    check_range(name + "'type'", object.type, 0, kSceneObjectTypes - 1);
    check_range(name + "'position'", object.position, 0, settings.grid * settings.grid - 1);
    check_range(name + "'size'", object.size, 0, settings.size_levels - 1);
    check_range(name + "'red'", object.red, 0, settings.color_levels - 1);
    check_range(name + "'green'", object.green, 0, settings.color_levels - 1);
    check_range(name + "'blue'", object.blue, 0, settings.color_levels - 1);
  }
}

SceneGeom scene_geom(const SceneSettings& settings, const SceneObject& object) {
  const double fraction =
      settings.size_levels == 1 ? 0.5 : double(object.size) / (settings.size_levels - 1);
  const double size = kSmallestSize + (kLargestSize - kSmallestSize) * fraction;
  SceneGeom geom;
  geom.mj_type = kMjTypes[object.type];
  geom.center = scene_cell_center(settings, object.position);
  switch (object.type) {
    case kSphere:
      geom.size = {size, 0, 0};
      geom.center[2] = size;
      geom.rbound = size;
      break;
    case kBox:
      geom.size = {size, size, size};
      geom.center[2] = size;
      geom.rbound = size * std::sqrt(3.0);
      break;
    case kCylinder:
      geom.size = {size, size, 0};
      geom.center[2] = size;
      geom.rbound = size * std::sqrt(2.0);
      break;
    default:  // kCapsule, standing upright
      geom.size = {kCapsuleRadius * size, kCapsuleHalfLength * size, 0};
      geom.center[2] = (kCapsuleRadius + kCapsuleHalfLength) * size;
      geom.rbound = geom.center[2];
      break;
  }
  return geom;
}

std::array<double, 3> scene_cell_center(const SceneSettings& settings, int position) {
  const int row = position / settings.grid;
  const int col = position % settings.grid;
  const double cell = 2.0 / settings.grid;
  return {-1.0 + (col + 0.5) * cell, 1.0 - (row + 0.5) * cell, 0.0};
}

std::array<double, 2> scene_project(const SceneSettings& settings,
                                    const std::array<double, 3>& point) {
  const CameraFrame frame = camera_frame();
  const Vec3 relative = sub(point, kSceneCameraPosition);
  const double depth = dot(relative, frame.forward);
  const double scale = 1.0 / (depth * std::tan(kSceneCameraFovy * kPi / 360.0));
  const double x = dot(relative, frame.right) * scale;
  const double y = dot(relative, frame.up) * scale;
  return {(x + 1.0) * 0.5 * settings.image_size, (1.0 - y) * 0.5 * settings.image_size};
}

std::string scene_object_type_list() {
  return join({kSceneObjectTypeNames.begin(), kSceneObjectTypeNames.end()}, ",");
}

std::string scene_model_xml(const SceneSettings& settings) {
  check_scene_settings(settings);
  const CameraFrame frame = camera_frame();
  const int side = settings.image_size;
  std::ostringstream xml;
  xml << "<mujoco model=\"spiral_scene\">\n"
      << "  <statistic center=\"0 0 0.2\" extent=\"2\"/>\n"
      << "  <visual>\n"
      << "    <global offwidth=\"" << side << "\" offheight=\"" << side << "\"/>\n"
      << "    <quality shadowsize=\"0\" offsamples=\"" << kMultisamples << "\"/>\n"
      << "    <headlight ambient=\""
      << vec({kHeadlightAmbient, kHeadlightAmbient, kHeadlightAmbient}) << "\" diffuse=\""
      << vec({kHeadlightDiffuse, kHeadlightDiffuse, kHeadlightDiffuse})
      << "\" specular=\"0 0 0\"/>\n"
      << "  </visual>\n"
      << "  <worldbody>\n"
      << "    <light name=\"top\" directional=\"true\" castshadow=\"false\" pos=\"0 0 5\" "
      << "dir=\"0 0 -1\" diffuse=\"" << vec({kTopLightDiffuse, kTopLightDiffuse, kTopLightDiffuse})
      << "\" specular=\"0 0 0\"/>\n"
      << "    <camera name=\"view\" pos=\"" << vec(kSceneCameraPosition) << "\" xyaxes=\""
      << vec(frame.right) << " " << vec(frame.up) << "\" fovy=\"" << kSceneCameraFovy << "\"/>\n"
      << "    <geom name=\"floor\" type=\"plane\" size=\"" << kFloorHalfSide << " "
      << kFloorHalfSide << " 0.25\" rgba=\"" << kFloorRgba << "\"/>\n";
  // The object pool: max_objects hidden geoms per type (alpha 0 hides a geom from mjv).
  for (int type = 0; type < kSceneObjectTypes; ++type) {
    for (int i = 0; i < settings.max_objects; ++i) {
      xml << "    <geom name=\"" << kSceneObjectTypeNames[type] << "_" << i << "\" type=\""
          << kSceneObjectTypeNames[type]
          << "\" size=\"0.1 0.1 0.1\" pos=\"0 0 0.1\" rgba=\"0 0 0 0\" "
          << "contype=\"0\" conaffinity=\"0\"/>\n";
    }
  }
  xml << "  </worldbody>\n"
      << "</mujoco>\n";
  return xml.str();
}

}  // namespace spiral::render
