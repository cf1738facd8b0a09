#include "spiral/render/program.h"

#include <nlohmann/json.hpp>

#include <set>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/render/painter.h"
#include "spiral/render/scene.h"

namespace spiral::render {
namespace {

using nlohmann::json;

constexpr char kFormatName[] = "spiral-program";

// `text` as in a JSON string, without the quotes: control characters (line breaks included) are
// escaped, so that a message quoting it stays on one line.
std::string escaped(const std::string& text) {
  const std::string quoted = json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

std::string kind_name(EnvironmentSettings::Kind kind) {
  return kind == EnvironmentSettings::Kind::kPainter ? "painter" : "scene";
}

// Reads the members of one JSON object strictly: wrong types, missing required keys and keys
// nobody asked for are UserErrors naming the source file and the key's path.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object()) fail(path_.empty() ? "the document" : path_, "a JSON object");
  }

  bool has(const std::string& key) const { return object_.contains(key); }

  int integer(const std::string& key, int fallback) { return get_integer(key, &fallback); }
  int integer(const std::string& key) { return get_integer(key, nullptr); }

  std::string text(const std::string& key, const std::string* fallback = nullptr) {
    const json* value = member(key, fallback != nullptr);
    if (value == nullptr) return *fallback;
    if (!value->is_string()) fail(name(key), "a string");
    return value->get<std::string>();
  }

  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback) {
    const json* value = member(key, true);
    if (value == nullptr) return fallback;
    if (!value->is_array() || value->empty()) fail(name(key), "a non-empty array of numbers");
    std::vector<double> numbers;
    for (const json& item : *value) {
      if (!item.is_number()) fail(name(key), "a non-empty array of numbers");
      numbers.push_back(item.get<double>());
    }
    return numbers;
  }

  const json& raw(const std::string& key) { return *member(key, false); }

  // Refuses keys that were never read.
  void finish() const {
    for (const auto& item : object_.items()) {
      if (read_.count(item.key()) == 0) {
        throw UserError(source_ + ": unknown key '" + escaped(name(item.key())) + "'");
      }
    }
  }

  [[noreturn]] void fail(const std::string& what, const std::string& expected) const {
    throw UserError(source_ + ": " + what + ": expected " + expected);
  }

 private:
  std::string name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const json* member(const std::string& key, bool optional) {
    read_.insert(key);
    const auto found = object_.find(key);
    if (found == object_.end()) {
      if (!optional) throw UserError(source_ + ": missing key '" + name(key) + "'");
      return nullptr;
    }
    return &*found;
  }

  int get_integer(const std::string& key, const int* fallback) {
    const json* value = member(key, fallback != nullptr);
    if (value == nullptr) return *fallback;
    if (!value->is_number_integer() || value->get<int64_t>() < INT32_MIN ||
        value->get<int64_t>() > INT32_MAX) {
      fail(name(key), "an integer");
    }
    return value->get<int>();
  }

  const json& object_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> read_;
};

json painter_json(const PainterSettings& s) {
  return {{"canvas", s.canvas},
          {"grid", s.grid},
          {"color", s.rgb ? "rgb" : "gray"},
          {"brush", s.brush},
          {"brush_sizes", s.brush_sizes},
          {"pressure_levels", s.pressure_levels},
          {"color_levels", s.color_levels},
          {"episode_length", s.episode_length},
          {"supersample", s.supersample}};
}

PainterSettings painter_from_json(ObjectReader& in) {
  PainterSettings s;
  s.canvas = in.integer("canvas", s.canvas);
  s.grid = in.integer("grid", s.grid);
  const std::string gray = "gray";
  const std::string color = in.text("color", &gray);
  if (color != "gray" && color != "rgb") in.fail("settings.color", "\"gray\" or \"rgb\"");
  s.rgb = color == "rgb";
  s.brush = in.text("brush", &s.brush);
  s.brush_sizes = in.numbers("brush_sizes", s.brush_sizes);
  s.pressure_levels = in.integer("pressure_levels", s.pressure_levels);
  s.color_levels = in.integer("color_levels", s.color_levels);
  s.episode_length = in.integer("episode_length", s.episode_length);
  s.supersample = in.integer("supersample", s.supersample);
  return s;
}

json scene_json(const SceneSettings& s) {
  return {{"image_size", s.image_size},     {"grid", s.grid},
          {"max_objects", s.max_objects},   {"size_levels", s.size_levels},
          {"color_levels", s.color_levels}, {"episode_length", s.episode_length}};
}

SceneSettings scene_from_json(ObjectReader& in) {
  SceneSettings s;
  s.image_size = in.integer("image_size", s.image_size);
  s.grid = in.integer("grid", s.grid);
  s.max_objects = in.integer("max_objects", s.max_objects);
  s.size_levels = in.integer("size_levels", s.size_levels);
  s.color_levels = in.integer("color_levels", s.color_levels);
  s.episode_length = in.integer("episode_length", s.episode_length);
  return s;
}

int episode_length_of(const EnvironmentSettings& settings) {
  return settings.kind == EnvironmentSettings::Kind::kPainter ? settings.painter.episode_length
                                                              : settings.scene.episode_length;
}

}  // namespace

ActionSpec action_spec_for(const EnvironmentSettings& settings) {
  return settings.kind == EnvironmentSettings::Kind::kPainter
             ? painter_action_spec(settings.painter)
             : scene_action_spec(settings.scene);
}

Image render_program(const Program& program) {
  std::unique_ptr<Environment> environment = make_environment(program.settings);
  environment->reset(program.seed);
  for (const Command& command : program.commands) environment->step(command);
  return environment->canvas();
}

std::string program_to_json(const Program& program) {
  const ActionSpec spec = action_spec_for(program.settings);
  json parts = json::array();
  for (const ActionPart& part : spec.parts())
    parts.push_back({{"name", part.name}, {"size", part.size}});
  const bool painter = program.settings.kind == EnvironmentSettings::Kind::kPainter;
  json document = {{"format", kFormatName},
                   {"version", kProgramFormatVersion},
                   {"environment", kind_name(program.settings.kind)},
                   {"settings", painter ? painter_json(program.settings.painter)
                                        : scene_json(program.settings.scene)},
                   {"seed", program.seed},
                   {"action_spec", parts},
                   {"commands", program.commands}};
  return document.dump(1) + "\n";
}

Program program_from_json(const std::string& text, const std::string& source) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& error) {  // parse_error, or out_of_range for 1e999
    throw UserError(source + ": not valid JSON (" + error.what() + ")");
  }
  ObjectReader top(document, "", source);
  if (top.text("format") != kFormatName) top.fail("format", std::string("\"") + kFormatName + "\"");
  const int version = top.integer("version");
  if (version != kProgramFormatVersion) {
    top.fail("version", std::to_string(kProgramFormatVersion) + " (this build's format), got " +
                            std::to_string(version));
  }
  Program program;
  const std::string kind = top.text("environment");
  ObjectReader settings(top.raw("settings"), "settings", source);
  if (kind == "painter") {
    program.settings.kind = EnvironmentSettings::Kind::kPainter;
    program.settings.painter = painter_from_json(settings);
  } else if (kind == "scene") {
    program.settings.kind = EnvironmentSettings::Kind::kScene;
    program.settings.scene = scene_from_json(settings);
  } else {
    top.fail("environment", "\"painter\" or \"scene\", got \"" + escaped(kind) + "\"");
  }
  settings.finish();

  const json& seed = top.raw("seed");
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0)) {
    top.fail("seed", "a non-negative integer");
  }
  program.seed = seed.get<uint64_t>();

  ActionSpec spec;
  try {
    spec = action_spec_for(program.settings);
  } catch (const std::invalid_argument& error) {
    throw UserError(source + ": settings: " + error.what());
  } catch (const UserError& error) {
    throw UserError(source + ": settings: " + error.what());
  }
  if (top.has("action_spec")) {
    std::vector<ActionPart> parts;
    const json& listed = top.raw("action_spec");
    if (!listed.is_array()) top.fail("action_spec", "an array of {name, size}");
    for (const json& item : listed) {
      ObjectReader part(item, "action_spec[]", source);
      parts.push_back({part.text("name"), part.integer("size")});
      part.finish();
    }
    if (parts.size() != spec.size() || !std::equal(parts.begin(), parts.end(), spec.parts().begin(),
                                                   [](const ActionPart& a, const ActionPart& b) {
                                                     return a.name == b.name && a.size == b.size;
                                                   })) {
      top.fail("action_spec", "the settings' spec (" + spec.describe() + ")");
    }
  }

  const json& commands = top.raw("commands");
  if (!commands.is_array()) top.fail("commands", "an array of commands");
  if (static_cast<int>(commands.size()) > episode_length_of(program.settings)) {
    top.fail("commands",
             "at most episode_length = " + std::to_string(episode_length_of(program.settings)) +
                 " commands, got " + std::to_string(commands.size()));
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string where = source + ": commands[" + std::to_string(i) + "]";
    Command command;
    if (!commands[i].is_array()) throw UserError(where + ": expected an array of integers");
    for (const json& value : commands[i]) {
      if (!value.is_number_integer()) throw UserError(where + ": expected an array of integers");
      const int64_t number = value.get<int64_t>();
      command.push_back(static_cast<int32_t>(std::clamp<int64_t>(number, -1, INT32_MAX)));
    }
    try {
      spec.check(command);
    } catch (const UserError& error) {
      throw UserError(where + ": " + error.what());
    }
    program.commands.push_back(std::move(command));
  }
  top.finish();
  return program;
}

void save_program(const std::string& path, const Program& program) {
  write_file_atomically(path, program_to_json(program));
}

Program load_program(const std::string& path) {
  return program_from_json(read_text_file(path), path);
}

}  // namespace spiral::render
