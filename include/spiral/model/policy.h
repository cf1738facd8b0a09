// The SPIRAL policy network: a conv + LSTM agent with an autoregressive action decoder.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "spiral/render/action_spec.h"

namespace spiral::model {

// Sizes of the policy network; the defaults are SPIRAL.md's published sizes (64 x 64 gray canvas).
struct PolicyConfig {
  int canvas = 64;                  // height = width of the observation; a multiple of 8
  int channels = 1;                 // image channels C (1 gray, 3 RGB)
  bool conditional = false;         // adds the target image (C more input channels)
  int noise_dim = -1;               // -1: 10 when unconditional, 0 when conditional
  int torso_width = 32;             // channels of every torso conv and residual block
  int residual_blocks = 8;          // residual blocks in the torso
  int lstm_size = 256;              // Linear and LSTM width; a multiple of 16 (decoder reshape)
  int embedding_size = 16;          // per-part embedding of a sampled value
  int decoder_residual_blocks = 0;  // residual blocks in each location head (unpublished)
  // Stride of the first 5 x 5 convolution: 1 (the paper), 2 or 4. The torso then has one fewer
  // 4 x 4 stride-2 convolution for each halving, so it still ends at canvas / 8; at 2 the first
  // layer's arithmetic is a quarter and the torso's about a third (not in the paper).
  int first_stride = 1;
  // Location heads also read the torso's feature maps at the grid's resolution, so that a logit
  // sees the image under its own grid point (not in the paper, whose heads see only the LSTM).
  bool spatial_heads = true;
  // Once a location part is chosen, the parts after it also read the spatial heads' maps at the
  // chosen grid point (a scene object's size and colour, what the target shows where it stands);
  // needs spatial_heads. Not in the paper, whose later parts see only the LSTM and the earlier
  // parts' embeddings.
  bool point_features = false;
  // Where the action spec says at which point of the image each location value shows (the scene
  // builder's floor cells, in perspective), the spatial heads and point features read the maps
  // there, not at the painter's square grid (not in the paper). Networks saved before it read the
  // square grid.
  bool view_points = true;
  // Where the command has a single location part that comes after its second part (the scene
  // builder's floor cell, after mode and type), the policy chooses it right after the first part,
  // so that the parts before it in the command (the object's type) are chosen knowing where the
  // object stands, and read the maps there with point_features (not in the paper, which chooses
  // a command's parts in their order). Set only where it reorders.
  bool location_first = false;
  // Three more input planes say where the pen is (the previous command's end point, the canvas's
  // corner at the first step): a spot there and each pixel's x and y offset from it (painters
  // only; not in the paper, whose policy knows the pen only from the previous command's embedding).
  bool pen_planes = false;
  // The torso's feature maps in channels-last layout (NHWC), which oneDNN's CPU convolutions run
  // faster, in bf16 most of all; the values are the same.
  bool channels_last = false;
  // The convolutional torso (the first conv, the strided convs, the residual blocks: nearly all
  // the arithmetic) under bf16 autocast; its outputs go on in fp32 to the Linear, the LSTM and
  // the heads, so that logits, values and the LSTM state keep fp32's precision.
  bool bf16 = false;

  // The noise size after resolving -1.
  int resolved_noise_dim() const;
  // Planes the first convolution reads: canvas, target (conditional), x and y, pen planes.
  int input_channels() const;
  // Throws UserError naming the first bad field.
  void check() const;
};

// Floating-point operations (a multiply-add counts 2) of one forward step of a policy for one
// image: its convolutions, transposed convolutions, Linear layers and LSTM cell (the rest, under 1%
// at every size we ship, is left out). A backward pass costs about twice as much.
int64_t policy_forward_flops(const PolicyConfig& config, const render::ActionSpec& spec);

// True for parts sampled as a 2-D location: named end, control or position, with a size that is a
// perfect square >= 16 (the side is the grid). Every other part gets a linear (scalar) head.
bool is_location_part(const render::ActionPart& part);

// The mean of full-resolution maps [N, C, H, W] around each point of a grid x grid grid: point
// (row, col) is pixel (H * row / grid, W * col / grid), as the painter places it, and its cell is
// the square of one grid step centred there (zero padding past the edges) -> [N, C, grid, grid].
// Grids that do not divide the side take the mean over cells that start at the points.
torch::Tensor grid_point_means(const torch::Tensor& maps, int64_t grid);

// Maps [N, C, H, W] read at `points` [P, 2] ((x, y) as fractions of the side) with bilinear
// interpolation, after a mean over `window` x `window` pixels around each pixel (an odd window;
// 1: none) -> [N, C, grid, grid], grid * grid = P.
torch::Tensor view_point_means(const torch::Tensor& maps, const torch::Tensor& points,
                               int64_t window);

// The pen planes for pen grid indices `pen` [N] (int64, row * grid + col) on a side x side canvas:
// [N, 3, side, side] float = a Gaussian spot (sigma half a grid step) at the pen's pixel (side *
// row / grid, side * col / grid), then x - x_pen and y - y_pen in the coordinate planes' [-1, 1]
// units.
torch::Tensor pen_planes(const torch::Tensor& pen, int64_t grid, int64_t side,
                         const torch::TensorOptions& options);

// The parts that matter once the first part's value is known (same rule as the environments):
// painter (first part "flag"): value 0 (jump) -> only flag and end; scene (first part "mode"):
// value 2 (skip) -> only mode; everything else -> all parts. [B] int64 -> [B, P] float of 0/1.
torch::Tensor command_mask(const render::ActionSpec& spec, const torch::Tensor& first_values);
// The same rule for one command's first value, as a PartMask.
render::PartMask command_mask(const render::ActionSpec& spec, int first_value);

// A seeded CPU generator for act(); sampling draws its uniforms on the CPU, so the same seed gives
// the same commands on CPU and CUDA (up to float rounding of the probabilities).
at::Generator make_generator(uint64_t seed);

// The LSTM state carried between steps: h and c, each [B, lstm_size].
struct PolicyState {
  torch::Tensor h;
  torch::Tensor c;
};

// One step's (or, from evaluate_unroll, a whole unroll's [T, B, ...]) inputs.
struct PolicyInput {
  torch::Tensor canvas;         // [B, C, H, W] float in [0, 1]
  torch::Tensor target;         // [B, C, H, W] float; undefined for unconditional policies
  torch::Tensor prev_commands;  // [B, P] int64, the previous command (any in-range value if none)
  torch::Tensor prev_masks;     // [B, P] float, its mask (all 0 at the start of an episode)
  torch::Tensor noise;          // [B, noise_dim] float, fixed per episode; undefined if noise_dim 0
};

// What the policy produced or recomputed for a batch of steps.
struct PolicyStep {
  torch::Tensor commands;  // [B, P] int64
  torch::Tensor masks;     // [B, P] float: the parts that matter, per command_mask()
  torch::Tensor log_prob;  // [B]: sum of log pi over the parts that matter
  torch::Tensor entropy;   // [B]: sum of the entropies of the parts that matter
  torch::Tensor value;     // [B]: V(s)
  PolicyState state;       // the LSTM state after this step
};

// Pre-activation residual block: x + conv1x1(relu(conv3x3(relu(x)))).
struct ResidualBlockImpl : torch::nn::Module {
  explicit ResidualBlockImpl(int channels);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv3_{nullptr};
  torch::nn::Conv2d conv1_{nullptr};
};
TORCH_MODULE(ResidualBlock);

// Logits of a location part from z: reshape to [lstm/16, 4, 4] -> conv 3x3 -> residual blocks ->
// ReLU -> k x [ConvTranspose 4x4 stride 2, ReLU] with k = floor(log2(grid / 4)) -> bilinear resize
// to grid x grid when 4 * 2^k != grid -> conv 3x3 to 1 channel -> flatten (grid * grid logits).
// With `spatial_width` > 0 the head also takes the torso's maps [N, spatial_width, grid, grid]:
// their 1 x 1 projection is added before a ReLU that precedes the last conv.
struct LocationHeadImpl : torch::nn::Module {
  LocationHeadImpl(int lstm_size, int width, int residual_blocks, int grid, int spatial_width = 0);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& spatial = torch::Tensor());

  int grid_;
  torch::nn::Conv2d conv_in_{nullptr};
  torch::nn::Sequential blocks_;
  torch::nn::Sequential upsample_;
  torch::nn::Conv2d spatial_in_{nullptr};
  torch::nn::Conv2d conv_out_{nullptr};
};
TORCH_MODULE(LocationHead);

// The policy. Batches may live on any device; the module must be on the same one.
class PolicyImpl : public torch::nn::Module {
 public:
  PolicyImpl(const PolicyConfig& config, const render::ActionSpec& spec);

  // A zero LSTM state for `batch` episodes on the module's device.
  PolicyState initial_state(int64_t batch) const;
  // Samples one command per row (argmax per part when greedy). `generator` (a CPU generator, see
  // make_generator) may be null: the global generator is used. Runs under the caller's grad mode.
  // When sampling, each part is drawn uniformly instead with probability `random_parts`, and
  // log_prob is that of the mixture the parts were drawn from.
  PolicyStep act(const PolicyInput& input, const PolicyState& state, at::Generator* generator,
                 bool greedy = false, double random_parts = 0);
  // Recomputes log_prob, entropy and value of given commands [B, P] (teacher forcing).
  PolicyStep evaluate(const PolicyInput& input, const PolicyState& state,
                      const torch::Tensor& commands);
  // evaluate() over an unroll: every input and `commands` carry a leading time axis [T, B, ...];
  // the state starts at `state` and is never reset inside the unroll. Outputs are [T, B, ...];
  // the returned state is the one after the last step.
  PolicyStep evaluate_unroll(const PolicyInput& inputs, const PolicyState& state,
                             const torch::Tensor& commands);

  const PolicyConfig& config() const { return config_; }
  const render::ActionSpec& spec() const { return spec_; }
  // Input channels of the first conv: C (+ C target) + 2 coordinate planes (+ 3 pen planes).
  int input_channels() const { return config_.input_channels(); }

 private:
  // The torso's outputs for N = rows of the input.
  struct Features {
    torch::Tensor flat;  // [N, lstm_size]: the LSTM's input
    // [N, 2 torso_width, grid, grid] for the location heads (undefined without spatial heads): the
    // first layer's mean around each grid point and the deepest map resized to the grid.
    torch::Tensor spatial;
  };
  // Conv torso up to the Linear.
  Features torso(const PolicyInput& input);
  // Autoregressive decoder from z [N, lstm]: samples when `given` is undefined.
  PolicyStep decode(torch::Tensor z, const torch::Tensor& spatial, const torch::Tensor& given,
                    at::Generator* generator, bool greedy, double random_parts);
  torch::Device device() const;

  PolicyConfig config_;
  render::ActionSpec spec_;
  int noise_dim_;
  int flat_size_;
  int grid_ = 0;               // side of the location parts' grid (0: none, or no spatial heads)
  torch::Tensor view_points_;  // [grid * grid, 2]: where the location values show (view_points)
  int pen_part_ = -1;  // index of the part whose value is the pen's next position (pen planes)
  int pen_grid_ = 0;   // that part's grid side
  torch::nn::Conv2d conv_in_{nullptr};
  std::vector<torch::nn::Embedding> embeddings_;
  torch::nn::Sequential action_mlp_{nullptr};
  torch::nn::Sequential noise_mlp_{nullptr};
  torch::nn::Sequential torso_;
  torch::nn::Linear fc_{nullptr};
  torch::nn::LSTMCell lstm_{nullptr};
  torch::nn::Linear value_{nullptr};
  std::vector<torch::nn::AnyModule> heads_;
  std::vector<bool> location_heads_;  // heads_[i] is a LocationHead
  std::vector<int> order_;            // the parts in the order they are chosen (location_first)
  std::vector<torch::nn::Linear> updates_;  // after each part chosen but the last, in order_
  // For location parts chosen before others (point_features): the maps at the chosen point -> z.
  std::vector<torch::nn::Linear> point_updates_;  // as updates_; null if unused
};
TORCH_MODULE(Policy);

}  // namespace spiral::model
