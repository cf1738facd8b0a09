#include "spiral/learn/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/logging.h"
#include "spiral/io/hdf5.h"
#include "spiral/learn/checkpoint_seal.h"

namespace spiral::learn {
namespace {

namespace fs = std::filesystem;

// Writes a dataset with its CRC32 attribute.
template <typename T>
void write_checked(io::Group& group, const std::string& name, const std::vector<size_t>& shape,
                   const std::vector<T>& data) {
  io::Dataset dataset = group.write_array<T>(name, shape, data);
  dataset.set_attribute("crc32", checkpoint_crc32(data.data(), data.size() * sizeof(T)));
}

void write_bytes(io::Group& group, const std::string& name, const std::string& bytes) {
  write_checked<uint8_t>(group, name, {bytes.size()},
                         std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

void write_tensor(io::Group& group, const std::string& name, const torch::Tensor& tensor) {
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU).to(torch::kFloat).contiguous();
  std::vector<size_t> shape(cpu.sizes().begin(), cpu.sizes().end());
  const float* data = cpu.data_ptr<float>();
  write_checked<float>(group, name, shape, std::vector<float>(data, data + cpu.numel()));
}

std::string read_bytes(const io::Group& group, const std::string& name) {
  const std::vector<uint8_t> data = group.open_dataset(name).read<uint8_t>();
  return std::string(data.begin(), data.end());
}

torch::Tensor read_tensor(const io::Group& group, const std::string& name) {
  io::Array<float> array = io::read_array<float>(group, name);
  std::vector<int64_t> shape(array.shape.begin(), array.shape.end());
  return torch::from_blob(array.data.data(), shape, torch::kFloat).clone();
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Every parameter and buffer of `module`, under parameters/ and buffers/.
void write_module(io::Group group, const torch::nn::Module& module) {
  io::Group parameters = group.create_group("parameters");
  for (const auto& item : module.named_parameters()) {
    write_tensor(parameters, item.key(), item.value());
  }
  io::Group buffers = group.create_group("buffers");
  for (const auto& item : module.named_buffers()) write_tensor(buffers, item.key(), item.value());
}

// Copies stored tensors into `module`; the names and shapes must match exactly.
void read_module(const io::Group& group, torch::nn::Module& module, const std::string& what) {
  torch::NoGradGuard no_grad;
  for (const char* kind : {"parameters", "buffers"}) {
    const io::Group stored = group.open_group(kind);
    const auto tensors =
        std::string(kind) == "parameters" ? module.named_parameters() : module.named_buffers();
    if (stored.names().size() != tensors.size()) {
      throw UserError(what + " has " + std::to_string(stored.names().size()) + " " + kind +
                      ", this run's has " + std::to_string(tensors.size()));
    }
    for (const auto& item : tensors) {
      if (!stored.has(item.key())) {
        throw UserError(what + " lacks " + std::string(kind) + " " + item.key());
      }
      const torch::Tensor value = read_tensor(stored, item.key());
      if (value.sizes() != item.value().sizes()) {
        throw UserError(what + " " + item.key() + " has shape " + shape_text(value.sizes().vec()) +
                        ", this run's " + shape_text(item.value().sizes().vec()));
      }
      item.value().copy_(value.to(item.value().device(), item.value().scalar_type()));
    }
  }
}

std::string optimizer_bytes(torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_optimizer(torch::optim::Optimizer& optimizer, const std::string& bytes,
                    torch::Device device) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  archive.load_from(in, device);
  optimizer.load(archive);
}

torch::Tensor bytes_tensor(const std::string& bytes) {
  torch::Tensor tensor = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::copy(bytes.begin(), bytes.end(), tensor.data_ptr<uint8_t>());
  return tensor;
}

std::string tensor_bytes(const torch::Tensor& tensor) {
  const torch::Tensor bytes = tensor.to(torch::kCPU, torch::kUInt8).contiguous();
  const char* data = reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>());
  return std::string(data, data + bytes.numel());
}

std::string generator_bytes(at::Generator& generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return tensor_bytes(generator.get_state());
}

void set_generator(at::Generator& generator, const std::string& bytes) {
  const torch::Tensor state = bytes_tensor(bytes);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

// Moves a stored replay onto the discriminator's device and into `trainer`.
void restore_replay(Trainer& trainer, RenderReplay::State state) {
  if (static_cast<int64_t>(state.renders.size()) > trainer.replay().capacity()) {
    throw UserError("the replay holds " + std::to_string(state.renders.size()) +
                    " batches, this run keeps " + std::to_string(trainer.replay().capacity()));
  }
  const torch::Device device = trainer.discriminator()->parameters().front().device();
  for (torch::Tensor& render : state.renders) render = render.to(device);
  for (torch::Tensor& target : state.targets) {
    if (target.defined()) target = target.to(device);
  }
  trainer.replay().restore(std::move(state));
}

// key=value words -> map.
std::map<std::string, std::string> parse_sizes(const std::string& text) {
  std::map<std::string, std::string> sizes;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) throw UserError("malformed network sizes '" + text + "'");
    sizes[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return sizes;
}

// Names the first size that differs between a checkpoint and this run.
void compare_sizes(const std::string& what, const std::string& stored, const std::string& current) {
  if (stored == current) return;
  const auto a = parse_sizes(stored);
  const auto b = parse_sizes(current);
  for (const auto& [key, value] : b) {
    const auto found = a.find(key);
    const std::string theirs = found == a.end() ? "(none)" : found->second;
    if (theirs != value) {
      throw UserError(what + " " + key + " is " + theirs + " in the checkpoint, " + value +
                      " in this run");
    }
  }
  throw UserError(what + " sizes differ: checkpoint '" + stored + "', this run '" + current + "'");
}

void compare_specs(const std::string& stored, const std::string& current) {
  if (stored == current) return;
  std::istringstream a(stored), b(current);
  std::string x, y;
  while (true) {
    const bool more_a = static_cast<bool>(a >> x);
    const bool more_b = static_cast<bool>(b >> y);
    if (!more_a && !more_b) break;
    if (!more_a || !more_b || x != y) {
      throw UserError("action part " + (more_a ? x : std::string("(none)")) +
                      " in the checkpoint, " + (more_b ? y : std::string("(none)")) +
                      " in this run (actions '" + stored + "' vs '" + current + "')");
    }
  }
}

// The first line of an exception's message (LibTorch's carry a backtrace).
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Runs `work`, turning any failure into a UserError naming the checkpoint file.
template <typename Work>
auto naming_file(const fs::path& path, const Work& work) -> decltype(work()) {
  try {
    return work();
  } catch (const std::exception& error) {
    std::string message = first_line(error.what());
    const std::string prefix = path.string() + ": ";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    throw UserError("checkpoint " + path.string() + ": " + message);
  }
}

}  // namespace

std::string policy_sizes(const model::PolicyConfig& c) {
  std::ostringstream out;
  out << "canvas=" << c.canvas << " channels=" << c.channels << " conditional=" << c.conditional
      << " noise_dim=" << c.resolved_noise_dim() << " torso_width=" << c.torso_width
      << " first_stride=" << c.first_stride << " residual_blocks=" << c.residual_blocks
      << " lstm_size=" << c.lstm_size << " embedding_size=" << c.embedding_size
      << " decoder_residual_blocks=" << c.decoder_residual_blocks
      << " spatial_heads=" << c.spatial_heads << " pen_planes=" << c.pen_planes
      << " point_features=" << c.point_features;
  // Written only when set (scene builders), so that painters saved before it compare equal.
  if (c.view_points) out << " view_points=1";
  if (c.location_first) out << " location_first=1";
  return out.str();
}

std::string discriminator_sizes(const model::DiscriminatorConfig& c) {
  std::ostringstream out;
  out << "canvas=" << c.canvas << " channels=" << c.channels << " conditional=" << c.conditional
      << " spectral_norm=" << c.spectral_norm << " widths=";
  for (size_t i = 0; i < c.widths.size(); ++i) out << (i ? "," : "") << c.widths[i];
  // Written only when set, so that networks saved before the pool existed compare equal.
  if (c.input_pool != 1) out << " input_pool=" << c.input_pool;
  return out.str();
}

model::PolicyConfig parse_policy_sizes(const std::string& text) {
  const auto sizes = parse_sizes(text);
  const auto get = [&](const std::string& key) {
    const auto found = sizes.find(key);
    if (found == sizes.end()) throw UserError("network sizes '" + text + "' lack " + key);
    try {
      return std::stoi(found->second);
    } catch (const std::exception&) {
      throw UserError("network size " + key + "=" + found->second + " is not an integer");
    }
  };
  model::PolicyConfig c;
  c.canvas = get("canvas");
  c.channels = get("channels");
  c.conditional = get("conditional") != 0;
  c.noise_dim = get("noise_dim");
  c.torso_width = get("torso_width");
  // Networks saved before the first convolution had a stride have the paper's, 1.
  c.first_stride = sizes.count("first_stride") != 0 ? get("first_stride") : 1;
  c.residual_blocks = get("residual_blocks");
  c.lstm_size = get("lstm_size");
  c.embedding_size = get("embedding_size");
  c.decoder_residual_blocks = get("decoder_residual_blocks");
  // Networks saved before spatial heads existed have none.
  c.spatial_heads = sizes.count("spatial_heads") != 0 && get("spatial_heads") != 0;
  c.pen_planes = sizes.count("pen_planes") != 0 && get("pen_planes") != 0;
  c.point_features = sizes.count("point_features") != 0 && get("point_features") != 0;
  c.view_points = sizes.count("view_points") != 0 && get("view_points") != 0;
  c.location_first = sizes.count("location_first") != 0 && get("location_first") != 0;
  c.check();
  return c;
}

fs::path checkpoint_path(const fs::path& run_dir, int64_t step) {
  char name[48];
  std::snprintf(name, sizeof name, "ckpt-%08lld.h5", static_cast<long long>(step));
  return run_dir / "checkpoints" / name;
}

std::vector<fs::path> list_checkpoints(const fs::path& run_dir) {
  static const std::regex pattern("ckpt-([0-9]{8,})\\.h5");
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run_dir / "checkpoints", error)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(name, match, pattern)) {
      found.emplace_back(std::stoll(match[1].str()), entry.path());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<fs::path> paths;
  for (auto& [step, path] : found) paths.push_back(std::move(path));
  return paths;
}

std::vector<fs::path> prune_checkpoints(const fs::path& run_dir, int keep) {
  std::vector<fs::path> doomed;
  // Only sealed, intact files count towards `keep` (at least 1), so the newest valid checkpoint is
  // never removed; damaged ones are left where they are (--resume auto and inspect name them).
  int valid = 0;
  for (const fs::path& path : list_checkpoints(run_dir)) {
    try {
      verify_checkpoint_seal(path);
    } catch (const UserError&) {
      continue;
    }
    if (++valid > std::max(keep, 1)) doomed.push_back(path);
  }
  // Temporary files of writes a killed process never finished.
  static const std::regex temporary("ckpt-[0-9]{8,}\\.h5\\.tmp");
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run_dir / "checkpoints", error)) {
    if (std::regex_match(entry.path().filename().string(), temporary)) {
      doomed.push_back(entry.path());
    }
  }
  std::vector<fs::path> removed;
  for (const fs::path& path : doomed) {
    if (fs::remove(path, error)) removed.push_back(path);
  }
  return removed;
}

std::string rank_state(Trainer& trainer, bool with_replay) {
  torch::serialize::OutputArchive archive;
  archive.write("generator", bytes_tensor(generator_bytes(trainer.generator())));
  std::ostringstream engine;
  engine << trainer.rng();
  archive.write("engine", bytes_tensor(engine.str()));
  if (with_replay) {
    const RenderReplay::State state = trainer.replay().state();
    archive.write("replay_next", torch::tensor(state.next, torch::kInt64));
    archive.write("replay_batches", torch::tensor(static_cast<int64_t>(state.renders.size())));
    for (size_t i = 0; i < state.renders.size(); ++i) {
      archive.write("renders_" + std::to_string(i), state.renders[i].cpu());
      if (state.targets[i].defined()) {
        archive.write("targets_" + std::to_string(i), state.targets[i].cpu());
      }
    }
  }
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void restore_rank_state(Trainer& trainer, const std::string& bytes) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  archive.load_from(in);
  // A new tensor per key: read() into a defined tensor would rebind that one in place.
  const auto read = [&](const std::string& key) {
    torch::Tensor value;
    archive.read(key, value);
    return value;
  };
  set_generator(trainer.generator(), tensor_bytes(read("generator")));
  std::istringstream engine(tensor_bytes(read("engine")));
  engine >> trainer.rng();
  if (engine.fail()) throw UserError("unreadable random engine state");
  torch::Tensor batches;
  if (!archive.try_read("replay_batches", batches)) return;
  RenderReplay::State state;
  state.next = read("replay_next").item<int64_t>();
  for (int64_t i = 0; i < batches.item<int64_t>(); ++i) {
    const std::string index = std::to_string(i);
    state.renders.push_back(read("renders_" + index));
    torch::Tensor target;
    state.targets.push_back(archive.try_read("targets_" + index, target) ? target
                                                                         : torch::Tensor());
  }
  restore_replay(trainer, std::move(state));
}

namespace {

// The key of a parameter's optimizer state (a string in LibTorch 1.x, a pointer in later ones).
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    return c10::guts::to_string(p.unsafeGetTensorImpl());
  } else {
    return static_cast<typename Map::key_type>(p.unsafeGetTensorImpl());
  }
}

// Folds the bytes of `tensor` (on the CPU, as stored) into an FNV-1a digest.
void fold(uint64_t* digest, const torch::Tensor& tensor) {
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  const auto* bytes = static_cast<const unsigned char*>(cpu.data_ptr());
  const size_t size = static_cast<size_t>(cpu.numel()) * cpu.element_size();
  for (size_t i = 0; i < size; ++i) {
    *digest = (*digest ^ bytes[i]) * 0x100000001B3ULL;
  }
}

// Folds a module's parameters and buffers and its Adam's per-parameter state.
void fold_network(uint64_t* digest, const torch::nn::Module& module, torch::optim::Adam& adam) {
  for (const torch::Tensor& t : module.parameters()) fold(digest, t);
  for (const torch::Tensor& t : module.buffers()) fold(digest, t);
  for (const auto& group : adam.param_groups()) {
    for (const torch::Tensor& p : group.params()) {
      const auto found = adam.state().find(state_key(adam.state(), p));
      if (found == adam.state().end()) continue;
      const auto& state = static_cast<const torch::optim::AdamParamState&>(*found->second);
      fold(digest, state.exp_avg());
      fold(digest, state.exp_avg_sq());
      fold(digest, torch::tensor(static_cast<int64_t>(state.step())));
    }
  }
}

}  // namespace

uint64_t network_digest(Trainer& trainer, bool with_discriminator) {
  uint64_t digest = 0xCBF29CE484222325ULL;
  fold_network(&digest, *trainer.policy(), trainer.policy_optimizer());
  if (with_discriminator) {
    fold_network(&digest, *trainer.discriminator(), trainer.discriminator_optimizer());
  }
  return digest;
}

std::string network_state(Trainer& trainer, bool with_discriminator) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive policy;
  trainer.policy()->save(policy);
  archive.write("policy", policy);
  archive.write("policy_optimizer", bytes_tensor(optimizer_bytes(trainer.policy_optimizer())));
  if (with_discriminator) {
    torch::serialize::OutputArchive discriminator;
    trainer.discriminator()->save(discriminator);
    archive.write("discriminator", discriminator);
    archive.write("discriminator_optimizer",
                  bytes_tensor(optimizer_bytes(trainer.discriminator_optimizer())));
  }
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void restore_network_state(Trainer& trainer, const std::string& bytes) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  const torch::Device device = trainer.policy()->parameters().front().device();
  archive.load_from(in, device);
  torch::serialize::InputArchive policy;
  archive.read("policy", policy);
  trainer.policy()->load(policy);
  torch::Tensor optimizer;
  archive.read("policy_optimizer", optimizer);
  load_optimizer(trainer.policy_optimizer(), tensor_bytes(optimizer), device);
  torch::serialize::InputArchive discriminator;
  if (!archive.try_read("discriminator", discriminator)) return;
  const torch::Device d_device = trainer.discriminator()->parameters().front().device();
  trainer.discriminator()->load(discriminator);
  torch::Tensor d_optimizer;
  archive.read("discriminator_optimizer", d_optimizer);
  load_optimizer(trainer.discriminator_optimizer(), tensor_bytes(d_optimizer), d_device);
}

std::string member_rank_state(Trainer& trainer, bool with_replay) {
  torch::serialize::OutputArchive archive;
  archive.write("networks", bytes_tensor(network_state(trainer, true)));
  archive.write("rank", bytes_tensor(rank_state(trainer, with_replay)));
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void save_checkpoint(const fs::path& path, Trainer& trainer, const CheckpointCounters& counters,
                     const std::string& config, bool with_replay,
                     const std::vector<std::string>& other_ranks,
                     const std::vector<std::pair<std::string, std::string>>& population) {
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  PendingFile pending(path, "checkpoint");
  const fs::path& temporary = pending.temporary();
  {
    io::File file = io::File::create(temporary.string(), kCheckpointSealBytes);
    io::Group root = file.root();
    root.set_attribute("format_version", kCheckpointFormatVersion);
    root.set_attribute("step", counters.step);
    root.set_attribute("frames", counters.frames);
    root.set_attribute("wall_time", counters.wall_time);
    root.set_attribute("config", config);
    root.set_attribute("action_spec", trainer.action_spec().describe());
    root.set_attribute("policy_sizes", policy_sizes(trainer.policy()->config()));
    root.set_attribute("discriminator_sizes",
                       discriminator_sizes(trainer.discriminator()->config()));
    root.set_attribute("has_replay", with_replay ? 1 : 0);
    write_module(root.create_group("policy"), *trainer.policy());
    write_module(root.create_group("discriminator"), *trainer.discriminator());
    io::Group optimizers = root.create_group("optimizers");
    write_bytes(optimizers, "policy", optimizer_bytes(trainer.policy_optimizer()));
    write_bytes(optimizers, "discriminator", optimizer_bytes(trainer.discriminator_optimizer()));
    io::Group rng = root.create_group("rng");
    write_bytes(rng, "generator", generator_bytes(trainer.generator()));
    std::ostringstream engine;
    engine << trainer.rng();
    write_bytes(rng, "engine", engine.str());
    root.set_attribute("ranks", static_cast<int64_t>(1 + other_ranks.size()));
    if (!other_ranks.empty()) {
      io::Group ranks = root.create_group("ranks");
      for (size_t r = 0; r < other_ranks.size(); ++r) {
        write_bytes(ranks, "rank_" + std::to_string(r + 1), other_ranks[r]);
      }
    }
    if (!population.empty()) {
      io::Group members = root.create_group("population");
      for (const auto& [name, bytes] : population) write_bytes(members, name, bytes);
    }
    if (with_replay) {
      const RenderReplay::State state = trainer.replay().state();
      io::Group replay = root.create_group("replay");
      replay.set_attribute("next", state.next);
      replay.set_attribute("batches", static_cast<int64_t>(state.renders.size()));
      for (size_t i = 0; i < state.renders.size(); ++i) {
        write_tensor(replay, "renders_" + std::to_string(i), state.renders[i]);
        if (state.targets[i].defined()) {
          write_tensor(replay, "targets_" + std::to_string(i), state.targets[i]);
        }
      }
    }
    file.close();
  }
  seal_checkpoint(temporary);
  pending.commit();
}

CheckpointFile::CheckpointFile(fs::path path) : path_(std::move(path)) {
  header_ = naming_file(path_, [&] { return read_checkpoint_header(path_); });
}

model::PolicyConfig CheckpointFile::policy_config() const {
  return naming_file(path_, [&] { return parse_policy_sizes(header_.policy_sizes); });
}

void CheckpointFile::check_policy(const render::ActionSpec& spec,
                                  const model::PolicyConfig& config) const {
  naming_file(path_, [&] {
    compare_specs(header_.action_spec, spec.describe());
    // Through parse_policy_sizes, so that sizes added since the checkpoint take their defaults.
    compare_sizes("policy", policy_sizes(parse_policy_sizes(header_.policy_sizes)),
                  policy_sizes(config));
    return 0;
  });
}

void CheckpointFile::load_policy(model::Policy& policy) const {
  naming_file(path_, [&] {
    const io::File file = io::File::open(path_.string());
    read_module(file.root().open_group("policy"), *policy, "policy");
    return 0;
  });
}

CheckpointCounters CheckpointFile::load_trainer(Trainer& trainer, int rank) const {
  check_policy(trainer.action_spec(), trainer.policy()->config());
  return naming_file(path_, [&] {
    compare_sizes("discriminator", header_.discriminator_sizes,
                  discriminator_sizes(trainer.discriminator()->config()));
    const io::File file = io::File::open(path_.string());
    const io::Group root = file.root();
    read_module(root.open_group("policy"), *trainer.policy(), "policy");
    read_module(root.open_group("discriminator"), *trainer.discriminator(), "discriminator");
    const torch::Device policy_device = trainer.policy()->parameters().front().device();
    const torch::Device d_device = trainer.discriminator()->parameters().front().device();
    const io::Group optimizers = root.open_group("optimizers");
    load_optimizer(trainer.policy_optimizer(), read_bytes(optimizers, "policy"), policy_device);
    load_optimizer(trainer.discriminator_optimizer(), read_bytes(optimizers, "discriminator"),
                   d_device);
    const io::Group rng = root.open_group("rng");
    set_generator(trainer.generator(), read_bytes(rng, "generator"));
    std::istringstream engine(read_bytes(rng, "engine"));
    engine >> trainer.rng();
    if (engine.fail()) throw UserError("unreadable random engine state");
    if (header_.has_replay) {
      const io::Group replay = root.open_group("replay");
      RenderReplay::State state;
      state.next = replay.int_attribute("next");
      const int64_t batches = replay.int_attribute("batches");
      for (int64_t i = 0; i < batches; ++i) {
        const std::string index = std::to_string(i);
        state.renders.push_back(read_tensor(replay, "renders_" + index));
        state.targets.push_back(replay.has("targets_" + index)
                                    ? read_tensor(replay, "targets_" + index)
                                    : torch::Tensor());
      }
      restore_replay(trainer, std::move(state));
    }
    if (rank > 0 && rank < header_.ranks) {
      restore_rank_state(trainer,
                         read_bytes(root.open_group("ranks"), "rank_" + std::to_string(rank)));
    }
    return header_.counters;
  });
}

bool CheckpointFile::has_population() const {
  return naming_file(path_, [&] {
    const io::File file = io::File::open(path_.string());
    return file.root().has("population");
  });
}

std::string CheckpointFile::population_part(const std::string& name) const {
  return naming_file(path_, [&] {
    const io::File file = io::File::open(path_.string());
    if (!file.root().has("population") || !file.root().open_group("population").has(name)) {
      throw UserError("no population/" + name + " (a checkpoint of another --population)");
    }
    return read_bytes(file.root().open_group("population"), name);
  });
}

void CheckpointFile::load_member_rank(Trainer& trainer, const std::string& name) const {
  const std::string bytes = population_part(name);
  naming_file(path_, [&] {
    std::istringstream in(bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(in);
    torch::Tensor networks, rank;
    archive.read("networks", networks);
    archive.read("rank", rank);
    restore_network_state(trainer, tensor_bytes(networks));
    restore_rank_state(trainer, tensor_bytes(rank));
    return 0;
  });
}

std::optional<fs::path> newest_valid_checkpoint(const fs::path& run_dir) {
  for (const fs::path& path : list_checkpoints(run_dir)) {
    try {
      CheckpointFile file(path);
      return path;
    } catch (const UserError& error) {
      log_warning("skipping ", error.what());
    }
  }
  return std::nullopt;
}

}  // namespace spiral::learn
