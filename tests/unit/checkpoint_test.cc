// Checkpoints of the single-rank Trainer: exact round trips, refusal of other action specs,
// network sizes and corrupt files, pruning, and the signal guard that triggers them.
#include "spiral/learn/checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/signals.h"
#include "spiral/data/dataset.h"
#include "spiral/data/preprocess.h"
#include "spiral/learn/rollout.h"
#include "spiral/learn/trainer.h"
#include "temp_dir_test.h"

namespace spiral::learn {
namespace {

namespace fs = std::filesystem;

TrainerConfig tiny_config(uint64_t seed) {
  TrainerConfig config;
  config.environment.painter.canvas = 64;
  config.environment.painter.grid = 8;
  config.environment.painter.episode_length = 3;
  config.policy.residual_blocks = 1;
  config.policy.lstm_size = 64;
  config.discriminator.widths = {16, 32, 32, 32};
  config.conditional = true;
  config.batch = 4;
  config.render_threads = 2;
  config.replay_batches = 3;
  config.held_out = 4;
  config.seed = seed;
  return config;
}

std::shared_ptr<const data::Dataset> mnist() {
  static const std::shared_ptr<const data::Dataset> dataset =
      data::open_dataset(std::string("mnist:") + SPIRAL_TEST_SOURCE_DIR + "/inputs/data/mnist");
  return dataset;
}

// Every parameter and buffer of both networks, in order.
std::vector<torch::Tensor> state_tensors(Trainer& trainer) {
  std::vector<torch::Tensor> tensors;
  for (torch::nn::Module* module :
       std::vector<torch::nn::Module*>{trainer.policy().get(), trainer.discriminator().get()}) {
    for (const torch::Tensor& t : module->parameters()) tensors.push_back(t.detach().clone());
    for (const torch::Tensor& t : module->buffers()) tensors.push_back(t.detach().clone());
  }
  return tensors;
}

void expect_same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
}

// The key of a parameter's optimizer state (a string in LibTorch 1.x, a pointer in later ones).
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    return c10::guts::to_string(p.unsafeGetTensorImpl());
  } else {
    return static_cast<typename Map::key_type>(p.unsafeGetTensorImpl());
  }
}

// Adam's per-parameter state (exp_avg, exp_avg_sq, step) in parameter order.
std::vector<torch::Tensor> adam_state(torch::optim::Adam& adam) {
  std::vector<torch::Tensor> out;
  for (const auto& group : adam.param_groups()) {
    for (const torch::Tensor& p : group.params()) {
      const auto found = adam.state().find(state_key(adam.state(), p));
      if (found == adam.state().end()) continue;
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*found->second);
      out.push_back(s.exp_avg().clone());
      out.push_back(s.exp_avg_sq().clone());
      out.push_back(torch::tensor(static_cast<double>(s.step())));
    }
  }
  return out;
}

std::string message_of(const std::function<void()>& work) {
  try {
    work();
  } catch (const UserError& error) {
    return error.what();
  }
  return "(no UserError)";
}

// The parameters and buffers of one network, in order.
std::vector<torch::Tensor> module_tensors(const torch::nn::Module& module) {
  std::vector<torch::Tensor> tensors;
  for (const torch::Tensor& t : module.parameters()) tensors.push_back(t.detach().clone());
  for (const torch::Tensor& t : module.buffers()) tensors.push_back(t.detach().clone());
  return tensors;
}

// What a PBT exploit step copies: the policy and its Adam state exactly, D only when asked, the
// learning rates and random streams never; the digest sees every difference but the lr.
TEST(NetworkState, CopiesThePolicyAndItsAdamExactlyAndDOnlyWhenAsked) {
  Trainer source(tiny_config(1), mnist());
  source.train_step();
  source.train_step();
  Trainer copy(tiny_config(7), mnist());
  copy.train_step();
  copy.set_hyper_parameters(3e-5, 0.02);
  const std::vector<torch::Tensor> own_d = module_tensors(*copy.discriminator());
  const uint64_t engine_before = std::mt19937_64(copy.rng())();
  EXPECT_NE(network_digest(source, false), network_digest(copy, false));

  restore_network_state(copy, network_state(source, false));
  expect_same(module_tensors(*source.policy()), module_tensors(*copy.policy()));
  const std::vector<torch::Tensor> adam = adam_state(source.policy_optimizer());
  ASSERT_FALSE(adam.empty());
  expect_same(adam, adam_state(copy.policy_optimizer()));
  expect_same(own_d, module_tensors(*copy.discriminator()));  // D untouched
  EXPECT_EQ(std::mt19937_64(copy.rng())(), engine_before);    // streams untouched
  EXPECT_EQ(network_digest(source, false), network_digest(copy, false));
  EXPECT_NE(network_digest(source, true), network_digest(copy, true));

  restore_network_state(copy, network_state(source, true));
  expect_same(module_tensors(*source.discriminator()), module_tensors(*copy.discriminator()));
  expect_same(adam_state(source.discriminator_optimizer()),
              adam_state(copy.discriminator_optimizer()));
  EXPECT_EQ(network_digest(source, true), network_digest(copy, true));

  // The copy learns on with its own hyper-parameters: the lr set after the copy is the one used.
  copy.set_hyper_parameters(3e-5, 0.02);
  EXPECT_DOUBLE_EQ(copy.config().policy_lr, 3e-5);
  EXPECT_DOUBLE_EQ(copy.config().a2c.entropy_cost, 0.02);
  const auto& options = static_cast<const torch::optim::AdamOptions&>(
      copy.policy_optimizer().param_groups().front().options());
  EXPECT_DOUBLE_EQ(options.lr(), 3e-5);
  copy.train_step();
  EXPECT_NE(network_digest(source, false), network_digest(copy, false));
}

class CheckpointTest : public TempDirTest {};

TEST_F(CheckpointTest, RoundTripRestoresNetworksOptimizersRngAndReplay) {
  Trainer original(tiny_config(1), mnist());
  original.train_step();
  original.train_step();
  const fs::path path = checkpoint_path(dir_, 2);
  EXPECT_EQ(path.filename().string(), "ckpt-00000002.h5");
  save_checkpoint(path, original, {2, 24, 1.5}, "# config\n");
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));

  Trainer restored(tiny_config(7), mnist());  // another seed: everything differs before loading
  const CheckpointFile file(path);
  EXPECT_EQ(file.header().config, "# config\n");
  const CheckpointCounters counters = file.load_trainer(restored);
  EXPECT_EQ(counters.step, 2);
  EXPECT_EQ(counters.frames, 24);
  EXPECT_DOUBLE_EQ(counters.wall_time, 1.5);
  expect_same(state_tensors(original), state_tensors(restored));
  const std::vector<torch::Tensor> adam = adam_state(original.policy_optimizer());
  ASSERT_FALSE(adam.empty());
  expect_same(adam, adam_state(restored.policy_optimizer()));
  expect_same(adam_state(original.discriminator_optimizer()),
              adam_state(restored.discriminator_optimizer()));
  EXPECT_EQ(restored.replay().batches(), 2);

  // The same next sampled actions from the same seed and generator.
  render::EnvironmentBatch envs_a(original.config().environment, 4, 1);
  render::EnvironmentBatch envs_b(original.config().environment, 4, 1);
  std::vector<Image> images;
  for (size_t i = 0; i < 4; ++i) images.push_back(data::canvas_image(*mnist(), i, {64}));
  std::vector<torch::Tensor> rows;
  for (const Image& image : images) rows.push_back(image_to_tensor(image));
  const torch::Tensor target = torch::stack(rows);
  RolloutOptions options;
  options.seeds = {1, 2, 3, 4};
  at::Generator gen_a = model::make_generator(5);
  at::Generator gen_b = model::make_generator(5);
  const Rollout a = play_episodes(original.policy(), envs_a, target, options, &gen_a, true);
  const Rollout b = play_episodes(restored.policy(), envs_b, target, options, &gen_b, true);
  ASSERT_EQ(a.commands.size(), 3u);
  for (size_t t = 0; t < a.commands.size(); ++t) {
    EXPECT_TRUE(torch::equal(a.commands[t], b.commands[t]));
  }

  // Resuming continues exactly where the original goes on: same losses, same parameters.
  for (int i = 0; i < 2; ++i) {
    const TrainStepStats x = original.train_step();
    const TrainStepStats y = restored.train_step();
    EXPECT_EQ(x.policy_loss, y.policy_loss);
    EXPECT_EQ(x.discriminator_loss, y.discriminator_loss);
  }
  expect_same(state_tensors(original), state_tensors(restored));
}

TEST_F(CheckpointTest, OtherRanksGetTheirOwnRandomStreamsAndReplayBack) {
  TrainerConfig rank1_config = tiny_config(1);
  rank1_config.rank = 1;
  Trainer rank0(tiny_config(1), mnist());
  Trainer rank1(rank1_config, mnist());
  rank0.train_step();
  rank1.train_step();
  rank1.train_step();  // a replay of another length than rank 0's
  const fs::path path = checkpoint_path(dir_, 2);
  save_checkpoint(path, rank0, {2, 24, 0}, "", true, {rank_state(rank1, true)});
  const CheckpointFile file(path);
  EXPECT_EQ(file.header().ranks, 2);

  Trainer resumed1(rank1_config, mnist());
  resumed1.reseed(99);  // streams that differ from rank 1's before loading
  file.load_trainer(resumed1, 1);
  EXPECT_EQ(resumed1.replay().batches(), 2);
  EXPECT_EQ(resumed1.rng()(), rank1.rng()());
  EXPECT_TRUE(
      torch::equal(torch::rand({8}, resumed1.generator()), torch::rand({8}, rank1.generator())));
  const RenderReplay::State a = resumed1.replay().state();
  const RenderReplay::State b = rank1.replay().state();
  EXPECT_EQ(a.next, b.next);
  ASSERT_EQ(a.renders.size(), b.renders.size());
  for (size_t i = 0; i < a.renders.size(); ++i) {
    EXPECT_TRUE(torch::equal(a.renders[i], b.renders[i]));
    EXPECT_TRUE(torch::equal(a.targets[i], b.targets[i]));
  }
  // The networks are rank 0's (data-parallel ranks hold the same ones).
  expect_same(state_tensors(rank0), state_tensors(resumed1));

  // A rank the checkpoint has no state for takes rank 0's.
  TrainerConfig rank2_config = tiny_config(1);
  rank2_config.rank = 2;
  Trainer resumed2(rank2_config, mnist());
  file.load_trainer(resumed2, 2);
  EXPECT_EQ(resumed2.replay().batches(), 1);
  EXPECT_EQ(resumed2.rng()(), rank0.rng()());
}

TEST_F(CheckpointTest, NonFiniteGradientsLeaveNetworksAndOptimizersAsTheyWere) {
  Trainer trainer(tiny_config(1), mnist());
  ASSERT_FALSE(trainer.train_step().policy_skipped);
  const std::vector<torch::Tensor> before = state_tensors(trainer);
  const std::vector<torch::Tensor> policy_adam = adam_state(trainer.policy_optimizer());
  const std::vector<torch::Tensor> d_adam = adam_state(trainer.discriminator_optimizer());

  // One NaN weight in D: NaN rewards, so NaN policy gradients, and a NaN D loss.
  torch::Tensor weight = trainer.discriminator()->parameters().front();
  const float kept = weight.view(-1)[0].item<float>();
  {
    torch::NoGradGuard no_grad;
    weight.view(-1)[0].fill_(std::numeric_limits<float>::quiet_NaN());
  }
  const TrainStepStats stats = trainer.train_step();
  EXPECT_TRUE(stats.policy_skipped);
  EXPECT_TRUE(stats.discriminator_skipped);
  EXPECT_FALSE(std::isfinite(stats.grad_norm));
  {
    torch::NoGradGuard no_grad;
    weight.view(-1)[0].fill_(kept);
  }
  expect_same(before, state_tensors(trainer));
  expect_same(policy_adam, adam_state(trainer.policy_optimizer()));
  expect_same(d_adam, adam_state(trainer.discriminator_optimizer()));

  // With the weight mended, updates apply again.
  const TrainStepStats next = trainer.train_step();
  EXPECT_FALSE(next.policy_skipped);
  EXPECT_FALSE(next.discriminator_skipped);
  EXPECT_FALSE(torch::equal(before.front(), trainer.policy()->parameters().front()));
}

TEST_F(CheckpointTest, AnotherActionSpecIsRefusedNamingThePart) {
  Trainer grid8(tiny_config(1), mnist());
  const fs::path path = checkpoint_path(dir_, 0);
  save_checkpoint(path, grid8, {}, "");
  TrainerConfig other = tiny_config(1);
  other.environment.painter.grid = 16;
  Trainer grid16(other, mnist());
  const std::string message = message_of([&] { CheckpointFile(path).load_trainer(grid16); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("end:64 in the checkpoint, end:256 in this run"), std::string::npos)
      << message;
}

TEST_F(CheckpointTest, OtherNetworkSizesAreRefusedNamingTheSize) {
  Trainer small(tiny_config(1), mnist());
  const fs::path path = checkpoint_path(dir_, 0);
  save_checkpoint(path, small, {}, "", false);
  TrainerConfig other = tiny_config(1);
  other.policy.lstm_size = 128;
  Trainer larger(other, mnist());
  const std::string message = message_of([&] { CheckpointFile(path).load_trainer(larger); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("policy lstm_size is 64 in the checkpoint, 128 in this run"),
            std::string::npos)
      << message;

  TrainerConfig wider = tiny_config(1);
  wider.discriminator.widths = {32, 32, 32, 32};
  Trainer wider_d(wider, mnist());
  const std::string d_message = message_of([&] { CheckpointFile(path).load_trainer(wider_d); });
  EXPECT_NE(d_message.find("discriminator widths"), std::string::npos) << d_message;

  TrainerConfig pooled = tiny_config(1);
  pooled.discriminator.input_pool = 2;
  Trainer pooled_d(pooled, mnist());
  const std::string pool_message = message_of([&] { CheckpointFile(path).load_trainer(pooled_d); });
  EXPECT_NE(
      pool_message.find("discriminator input_pool is (none) in the checkpoint, 2 in this run"),
      std::string::npos)
      << pool_message;
}

TEST_F(CheckpointTest, BitFlipAndTruncationAreRefused) {
  Trainer trainer(tiny_config(1), mnist());
  const fs::path path = checkpoint_path(dir_, 1);
  save_checkpoint(path, trainer, {1, 12, 0}, "");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();

  // Flip one bit inside the stored values of the policy's first parameter.
  const torch::Tensor first = trainer.policy()->parameters().front().detach().contiguous();
  const std::string needle(static_cast<const char*>(first.data_ptr()), 64);
  const size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  std::string flipped = bytes;
  flipped[at + 10] ^= 0x04;
  const fs::path bad = checkpoint_path(dir_, 2);
  std::ofstream(bad, std::ios::binary) << flipped;
  const std::string message = message_of([&] { CheckpointFile{bad}; });
  EXPECT_NE(message.find(bad.string()), std::string::npos) << message;
  EXPECT_NE(message.find("CRC32"), std::string::npos) << message;

  const fs::path cut = checkpoint_path(dir_, 3);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string cut_message = message_of([&] { CheckpointFile{cut}; });
  EXPECT_NE(cut_message.find(cut.string()), std::string::npos) << cut_message;

  // The newest valid checkpoint skips both corrupt newer ones.
  const std::optional<fs::path> newest = newest_valid_checkpoint(dir_);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(newest->string(), path.string());
  EXPECT_FALSE(newest_valid_checkpoint(dir_ / "missing").has_value());
}

TEST_F(CheckpointTest, PruningKeepsTheNewest) {
  Trainer trainer(tiny_config(1), mnist());
  for (int64_t step : {3, 10, 1, 200, 7}) {
    save_checkpoint(checkpoint_path(dir_, step), trainer, {step, 0, 0}, "", false);
  }
  std::ofstream(dir_ / "checkpoints" / "notes.txt") << "kept";
  const std::vector<fs::path> removed = prune_checkpoints(dir_, 3);
  EXPECT_EQ(removed.size(), 2u);
  const std::vector<fs::path> kept = list_checkpoints(dir_);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].filename().string(), "ckpt-00000200.h5");
  EXPECT_EQ(kept[1].filename().string(), "ckpt-00000010.h5");
  EXPECT_EQ(kept[2].filename().string(), "ckpt-00000007.h5");
  EXPECT_TRUE(fs::exists(dir_ / "checkpoints" / "notes.txt"));
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// `bytes` with bit (at % 8) of byte `at` flipped.
std::string flipped(std::string bytes, size_t at) {
  bytes[at] = static_cast<char>(bytes[at] ^ (1 << (at % 8)));
  return bytes;
}

TEST_F(CheckpointTest, AnyFlippedBitOrCutIsRefusedBeforeHdf5ParsesTheFile) {
  Trainer trainer(tiny_config(1), mnist());
  const fs::path path = checkpoint_path(dir_, 1);
  save_checkpoint(path, trainer, {1, 12, 0}, "episode-length = 5\n", false);
  const std::string bytes = file_bytes(path);
  ASSERT_GT(bytes.size(), 8192u);
  // Every third byte of the first 8 KiB (the checksum block, HDF5's superblock and the root
  // group's header), bytes evenly spaced over the rest, the last 64 bytes, and a bit of the stored
  // configuration's '5' (then that '5' made a '7').
  std::vector<size_t> positions;
  for (size_t at = 0; at < 8192; at += 3) positions.push_back(at);
  for (size_t i = 0; i < 400; ++i) positions.push_back(i * bytes.size() / 400);
  for (size_t at = bytes.size() - 64; at < bytes.size(); ++at) positions.push_back(at);
  const size_t five = bytes.find("episode-length = 5");
  ASSERT_NE(five, std::string::npos);
  positions.push_back(five + 17);
  const fs::path bad = dir_ / "checkpoints" / "bad.h5";
  for (size_t at : positions) {
    write_file_bytes(bad, flipped(bytes, at));
    const std::string message = message_of([&] { CheckpointFile{bad}; });
    ASSERT_NE(message, "(no UserError)") << "bit " << at % 8 << " of byte " << at << " flipped";
    ASSERT_EQ(message.find('\n'), std::string::npos) << message;
    ASSERT_NE(message.find(bad.string()), std::string::npos) << message;
  }
  std::string seven = bytes;
  seven[five + 17] = '7';
  write_file_bytes(bad, seven);
  EXPECT_NE(message_of([&] { CheckpointFile{bad}; }).find("whole-file CRC32"), std::string::npos);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{511}, size_t{512}, size_t{513}, bytes.size() / 2,
                     bytes.size() - 1}) {
    write_file_bytes(bad, bytes.substr(0, cut));
    const std::string message = message_of([&] { CheckpointFile{bad}; });
    ASSERT_NE(message, "(no UserError)") << "cut after " << cut << " bytes";
    ASSERT_EQ(message.find('\n'), std::string::npos) << message;
  }
  write_file_bytes(bad, bytes + "appended");
  EXPECT_NE(message_of([&] { CheckpointFile{bad}; }).find("truncated or extended"),
            std::string::npos);
  EXPECT_EQ(CheckpointFile(path).header().config, "episode-length = 5\n");
}

TEST_F(CheckpointTest, FilesWithoutTheWholeFileChecksumAreRefusedClearly) {
  const fs::path path = checkpoint_path(dir_, 1);
  fs::create_directories(path.parent_path());
  write_file_bytes(path, std::string("\x89HDF\r\n\x1a\n", 8) + std::string(2000, '\0'));
  const std::string message = message_of([&] { CheckpointFile{path}; });
  EXPECT_NE(message.find("without a whole-file checksum (checkpoint format 1"), std::string::npos)
      << message;
  write_file_bytes(path, std::string(2000, 'x'));
  EXPECT_NE(message_of([&] { CheckpointFile{path}; }).find("not a spiral checkpoint"),
            std::string::npos);
}

TEST_F(CheckpointTest, ImpossibleCountersAreRefused) {
  Trainer trainer(tiny_config(1), mnist());
  const fs::path path = checkpoint_path(dir_, 1);
  for (const CheckpointCounters& counters :
       {CheckpointCounters{-5, 12, 0}, CheckpointCounters{1, -12, 0}, CheckpointCounters{1, 12, -1},
        CheckpointCounters{1, 12, std::nan("")}}) {
    save_checkpoint(path, trainer, counters, "", false);
    const std::string message = message_of([&] { CheckpointFile{path}; });
    EXPECT_NE(message.find("impossible counters"), std::string::npos) << message;
  }
}

TEST_F(CheckpointTest, PruningCountsOnlyIntactCheckpointsAndNeverRemovesTheNewestValid) {
  Trainer trainer(tiny_config(1), mnist());
  const fs::path valid = checkpoint_path(dir_, 10);
  save_checkpoint(valid, trainer, {10, 0, 0}, "", false);
  const std::string bytes = file_bytes(valid);
  write_file_bytes(checkpoint_path(dir_, 20), flipped(bytes, bytes.size() / 2));
  write_file_bytes(checkpoint_path(dir_, 30), "");
  write_file_bytes(checkpoint_path(dir_, 40), bytes.substr(0, bytes.size() / 3));
  EXPECT_TRUE(prune_checkpoints(dir_, 1).empty());
  EXPECT_EQ(list_checkpoints(dir_).size(), 4u);
  EXPECT_EQ(newest_valid_checkpoint(dir_)->string(), valid.string());

  save_checkpoint(checkpoint_path(dir_, 15), trainer, {15, 0, 0}, "", false);
  const std::vector<fs::path> removed = prune_checkpoints(dir_, 1);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].string(), valid.string());
  std::vector<std::string> kept;
  for (const fs::path& path : list_checkpoints(dir_)) kept.push_back(path.filename().string());
  EXPECT_EQ(kept, (std::vector<std::string>{"ckpt-00000040.h5", "ckpt-00000030.h5",
                                            "ckpt-00000020.h5", "ckpt-00000015.h5"}));
  EXPECT_EQ(newest_valid_checkpoint(dir_)->filename().string(), "ckpt-00000015.h5");
}

volatile std::sig_atomic_t g_previous_handler_calls = 0;
extern "C" void count_signal(int) { g_previous_handler_calls = g_previous_handler_calls + 1; }

TEST(SignalGuardTest, RecordsTheFirstSignalAndRestoresTheOldHandler) {
  std::signal(SIGUSR1, count_signal);
  {
    SignalGuard guard;
    EXPECT_EQ(guard.received(), 0);
    std::raise(SIGUSR1);
    std::raise(SIGTERM);
    EXPECT_EQ(guard.received(), SIGUSR1);
    EXPECT_EQ(g_previous_handler_calls, 0);
    EXPECT_THROW(SignalGuard(), std::logic_error);
  }
  std::raise(SIGUSR1);
  EXPECT_EQ(g_previous_handler_calls, 1);
  std::signal(SIGUSR1, SIG_DFL);
  EXPECT_STREQ(signal_name(SIGTERM), "SIGTERM");
}

TEST(CheckpointSizes, NetworksSavedBeforeSpatialHeadsHaveNone) {
  model::PolicyConfig config;
  config.view_points = false;  // as a painter's policy records it
  config.spatial_heads = true;
  EXPECT_TRUE(parse_policy_sizes(policy_sizes(config)).spatial_heads);
  config.spatial_heads = false;
  const std::string without = policy_sizes(config);
  EXPECT_FALSE(parse_policy_sizes(without).spatial_heads);
  // The sizes as checkpoints wrote them before the field existed.
  const std::string old = without.substr(0, without.find(" spatial_heads="));
  EXPECT_EQ(old.find("spatial_heads"), std::string::npos);
  EXPECT_FALSE(parse_policy_sizes(old).spatial_heads);
  EXPECT_EQ(policy_sizes(parse_policy_sizes(old)), without);
}

TEST(CheckpointSizes, PenPlanesAreRecordedAndAbsentInOlderNetworks) {
  model::PolicyConfig config;
  config.pen_planes = true;
  const std::string with = policy_sizes(config);
  EXPECT_TRUE(parse_policy_sizes(with).pen_planes);
  const std::string old = with.substr(0, with.find(" pen_planes="));
  EXPECT_EQ(old.find("pen_planes"), std::string::npos);
  EXPECT_FALSE(parse_policy_sizes(old).pen_planes);
}

TEST(CheckpointSizes, PointFeaturesAreRecordedAndAbsentInOlderNetworks) {
  model::PolicyConfig config;
  config.point_features = true;
  const std::string with = policy_sizes(config);
  EXPECT_TRUE(parse_policy_sizes(with).point_features);
  const std::string old = with.substr(0, with.find(" point_features="));
  EXPECT_EQ(old.find("point_features"), std::string::npos);
  EXPECT_FALSE(parse_policy_sizes(old).point_features);
  config.spatial_heads = false;  // a file that claims point features without spatial heads
  EXPECT_THROW(parse_policy_sizes(policy_sizes(config)), UserError);
}

TEST(CheckpointSizes, ViewPointsAndLocationFirstAreRecordedOnlyWhenSet) {
  model::PolicyConfig config;
  config.view_points = false;  // as a painter's policy records them
  const std::string grid = policy_sizes(config);
  EXPECT_EQ(grid.find("view_points"), std::string::npos);  // painters' sizes as they were
  EXPECT_EQ(grid.find("location_first"), std::string::npos);
  EXPECT_FALSE(parse_policy_sizes(grid).view_points);
  EXPECT_FALSE(parse_policy_sizes(grid).location_first);
  config.view_points = true;
  const std::string viewed = policy_sizes(config);
  EXPECT_EQ(viewed.substr(viewed.find(" view_points=")), " view_points=1");
  EXPECT_TRUE(parse_policy_sizes(viewed).view_points);
  EXPECT_FALSE(parse_policy_sizes(viewed).location_first);  // scene builders saved before it
  config.location_first = true;
  const std::string reordered = policy_sizes(config);
  EXPECT_EQ(reordered.substr(reordered.find(" view_points=")), " view_points=1 location_first=1");
  EXPECT_TRUE(parse_policy_sizes(reordered).location_first);
}

TEST(CheckpointSizes, TheDiscriminatorsInputPoolIsRecordedOnlyWhenSet) {
  model::DiscriminatorConfig config;
  EXPECT_EQ(discriminator_sizes(config).find("input_pool"), std::string::npos);
  config.input_pool = 4;
  const std::string pooled = discriminator_sizes(config);
  EXPECT_EQ(pooled.substr(pooled.find(" input_pool=")), " input_pool=4");
}

TEST(CheckpointSizes, TheFirstStrideIsRecordedAndThePapersInOlderNetworks) {
  model::PolicyConfig config;
  config.first_stride = 2;
  const std::string with = policy_sizes(config);
  EXPECT_EQ(parse_policy_sizes(with).first_stride, 2);
  const std::string old =
      with.substr(0, with.find(" first_stride=")) + with.substr(with.find(" residual_blocks="));
  EXPECT_EQ(old.find("first_stride"), std::string::npos);
  EXPECT_EQ(parse_policy_sizes(old).first_stride, 1);
  config.first_stride = 3;
  EXPECT_THROW(parse_policy_sizes(policy_sizes(config)), UserError);
}

}  // namespace
}  // namespace spiral::learn
