#include "command.h"
#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/logging.h"
#include "spiral/io/png.h"
#include "spiral/render/painter.h"
#include "spiral/render/program.h"

namespace spiral::app {
namespace {

int run_render(const Config& config, CommandContext&) {
  const std::string out = config.get_text("out");
  if (out.empty()) throw UserError("--out: expected the PNG file to write");
  if (config.get_text("program").empty()) throw UserError("--program: expected a program file");
  render::Program program = render::load_program(config.get_text("program"));
  const bool painter = program.settings.kind == render::EnvironmentSettings::Kind::kPainter;
  const int size = static_cast<int>(config.get_int("size"));
  const std::string brush = config.get_text("brush");
  const std::string svg = config.get_text("svg");
  if (!painter && (!brush.empty() || !svg.empty())) {
    throw UserError(std::string(brush.empty() ? "--svg" : "--brush") +
                    ": applies to painter programs only; this program is a scene");
  }
  if (size != 0) {
    if (painter && size % 64 != 0) {
      throw UserError("--size: a painter canvas must be a multiple of 64, got " +
                      std::to_string(size));
    }
    (painter ? program.settings.painter.canvas : program.settings.scene.image_size) = size;
  }
  if (!brush.empty()) program.settings.painter.brush = brush;

  const Image image = render::render_program(program);
  if (!svg.empty()) {
    write_file_atomically(svg, render::painter_svg(program.settings.painter, program.commands));
  }
  io::write_png(out, image);
  log_info("rendered ", program.commands.size(), " commands at ", image.width, "x", image.height,
           " to ", out, svg.empty() ? "" : " and " + svg);
  return 0;
}

}  // namespace

Command render_command() {
  return {"render",
          "Render a recorded program (painter or MuJoCo scene) to PNG, at any size or brush.",
          {{"render",
            {
                positional(input_file_option("program", "", "Program file (JSON) to render")),
                text_option("out", "", "PNG file to write"),
                int_option("size", 0, 0, 8192, "px", "Canvas side (0: the program's own)"),
                text_option("brush", "", "Painter brush to use instead of the program's"),
                text_option("svg", "", "Also write the painter program as SVG to this file"),
            }}},
          run_render,
          {}};
}

}  // namespace spiral::app
