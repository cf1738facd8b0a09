#include "spiral/learn/digit_classifier.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "spiral/core/errors.h"
#include "spiral/core/option_lists.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/split.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/hdf5_atomic.h"
#include "spiral/learn/trainer.h"

namespace spiral::learn {
namespace {

// The root attribute that marks a classifier file, and the layout version this code writes.
constexpr const char* kFormat = "spiral-digit-classifier";
constexpr int64_t kFormatVersion = 1;
// Images per forward pass when classifying without gradients.
constexpr int64_t kInferenceBatch = 256;

// `count` of `indices`, evenly spaced (all of them for 0 or more than there are).
std::vector<size_t> evenly_spaced(const std::vector<size_t>& indices, size_t count) {
  if (count == 0 || count >= indices.size()) return indices;
  std::vector<size_t> chosen;
  for (size_t i = 0; i < count; ++i) chosen.push_back(indices[i * indices.size() / count]);
  return chosen;
}

// Rows `rows` of `images`' images and labels.
std::pair<torch::Tensor, torch::Tensor> batch_of(const LabelledImages& images,
                                                 const torch::Tensor& rows) {
  return {images.images.index_select(0, rows), images.labels.index_select(0, rows)};
}

// `images` moved by a random whole-pixel offset in [-max_shift, max_shift] along each axis (one
// offset for the batch), the white background filling in.
torch::Tensor shifted(const torch::Tensor& images, int max_shift, at::Generator& generator) {
  if (max_shift == 0) return images;
  const torch::Tensor offsets = torch::randint(-max_shift, max_shift + 1, {2}, generator);
  const int64_t dy = offsets[0].item<int64_t>(), dx = offsets[1].item<int64_t>();
  const int64_t pad = max_shift;
  const int64_t side_y = images.size(2), side_x = images.size(3);
  const torch::Tensor padded = torch::constant_pad_nd(images, {pad, pad, pad, pad}, 1.0);
  return padded.slice(2, pad - dy, pad - dy + side_y).slice(3, pad - dx, pad - dx + side_x);
}

}  // namespace

LabelledImages labelled_images(const data::Dataset& dataset, const std::vector<size_t>& indices,
                               int canvas) {
  if (dataset.label_count() == 0) {
    throw UserError("dataset " + dataset.name() + " has no labels; a classifier needs labels");
  }
  LabelledImages out;
  out.indices = indices;
  const int64_t count = static_cast<int64_t>(indices.size());
  out.images = torch::empty({count, 1, canvas, canvas}, torch::kFloat);
  out.labels = torch::empty({count}, torch::kLong);
  float* pixels = out.images.data_ptr<float>();
  int64_t* labels = out.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    const std::vector<float> values =
        data::to_unit_floats(target_image(dataset, indices[static_cast<size_t>(i)], canvas, 1));
    std::copy(values.begin(), values.end(), pixels + i * canvas * canvas);
    labels[i] = dataset.label(indices[static_cast<size_t>(i)]);
  }
  return out;
}

TrainedClassifier train_digit_classifier(
    const data::Dataset& dataset, const ClassifierTrainingConfig& config,
    const std::function<void(const ClassifierEpoch&)>& progress) {
  if (dataset.label_count() == 0) {
    throw UserError("dataset " + dataset.name() +
                    " has no labels; train-classifier needs a labelled set (mnist, fashion-mnist)");
  }
  const data::Split split =
      data::split_dataset(dataset, data::parse_split_rule(data::kDefaultSplit));
  if (split.train.empty() || split.held_out.empty()) {
    throw UserError("dataset " + dataset.name() +
                    ": too few images for a train / held-out split (every:10); need at least 10");
  }
  model::DigitClassifierConfig network_config = config.network;
  network_config.classes = dataset.label_count();
  torch::manual_seed(config.seed);  // parameter initialisation
  model::DigitClassifier network(network_config);
  const LabelledImages train = labelled_images(
      dataset, evenly_spaced(split.train, config.train_images), network_config.canvas);
  const LabelledImages held_out = labelled_images(dataset, split.held_out, network_config.canvas);

  torch::optim::Adam optimizer(network->parameters(),
                               torch::optim::AdamOptions(config.learning_rate));
  at::Generator generator = at::detail::createCPUGenerator(config.seed);
  const int64_t count = train.images.size(0);
  const int64_t steps_per_epoch = (count + config.batch - 1) / config.batch;
  const int64_t total_steps = std::max<int64_t>(1, steps_per_epoch * config.epochs);
  int64_t step = 0;
  TrainedClassifier result;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    network->train();
    const torch::Tensor order = torch::randperm(count, generator, torch::kLong);
    double loss_sum = 0;
    int64_t correct = 0, batches = 0;
    for (int64_t first = 0; first < count; first += config.batch) {
      const auto [images, labels] =
          batch_of(train, order.slice(0, first, std::min(count, first + config.batch)));
      // The learning rate falls linearly to 0 over the whole run.
      const double rate = config.learning_rate * static_cast<double>(total_steps - step) /
                          static_cast<double>(total_steps);
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(rate);
      }
      ++step;
      const torch::Tensor logits = network->forward(shifted(images, config.max_shift, generator));
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
      ++batches;
    }
    network->eval();
    ClassifierEpoch report;
    report.epoch = epoch;
    report.epochs = config.epochs;
    report.loss = loss_sum / static_cast<double>(std::max<int64_t>(batches, 1));
    report.train_accuracy = static_cast<double>(correct) / static_cast<double>(count);
    report.held_out_accuracy = classifier_accuracy(network, held_out);
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.held_out_accuracy = report.held_out_accuracy;
    if (progress) progress(report);
  }
  network->eval();
  if (config.epochs == 0) result.held_out_accuracy = classifier_accuracy(network, held_out);
  result.network = network;
  result.dataset = dataset.name();
  for (int label = 0; label < dataset.label_count(); ++label) {
    result.label_names.push_back(dataset.label_name(label));
  }
  result.train_images = static_cast<size_t>(count);
  result.held_out_images = held_out.indices.size();
  result.epochs = config.epochs;
  result.seed = config.seed;
  return result;
}

Classification classify(model::DigitClassifier& network, const torch::Tensor& images) {
  const model::DigitClassifierConfig& config = network->config();
  torch::NoGradGuard no_grad;
  network->eval();
  torch::Tensor x = images.to(torch::kCPU, torch::kFloat);
  if (x.size(1) != config.channels) {
    if (config.channels != 1) {
      throw std::invalid_argument("classify: images of " + std::to_string(x.size(1)) +
                                  " channels for a classifier of " +
                                  std::to_string(config.channels));
    }
    x = x.mean(1, true);
  }
  if (x.size(2) != config.canvas || x.size(3) != config.canvas) {
    x = torch::adaptive_avg_pool2d(x, {config.canvas, config.canvas});
  }
  std::vector<torch::Tensor> labels, confidence, features;
  for (int64_t first = 0; first < x.size(0); first += kInferenceBatch) {
    const torch::Tensor batch_features =
        network->features(x.slice(0, first, std::min(x.size(0), first + kInferenceBatch)));
    const auto [probability, label] = torch::softmax(network->logits(batch_features), 1).max(1);
    labels.push_back(label);
    confidence.push_back(probability.to(torch::kDouble));
    features.push_back(batch_features.to(torch::kDouble));
  }
  if (labels.empty()) {
    return {torch::empty({0}, torch::kLong), torch::empty({0}, torch::kDouble),
            torch::empty({0, config.features}, torch::kDouble)};
  }
  return {torch::cat(labels), torch::cat(confidence), torch::cat(features)};
}

double classifier_accuracy(model::DigitClassifier& network, const LabelledImages& images) {
  if (images.indices.empty()) return 0.0;
  const Classification result = classify(network, images.images);
  return result.labels.eq(images.labels).to(torch::kDouble).mean().item<double>();
}

void save_digit_classifier(const std::string& path, const TrainedClassifier& classifier) {
  io::write_hdf5_atomically(path, [&](io::Group& root) {
    const model::DigitClassifierConfig& config = classifier.network->config();
    root.set_attribute("format", kFormat);
    root.set_attribute("format_version", kFormatVersion);
    root.set_attribute("dataset", classifier.dataset);
    root.set_attribute("label_names", join(classifier.label_names, "\n"));
    root.set_attribute("held_out_accuracy", classifier.held_out_accuracy);
    root.set_attribute("held_out_split", data::kDefaultSplit);
    root.set_attribute("train_images", classifier.train_images);
    root.set_attribute("held_out_images", classifier.held_out_images);
    root.set_attribute("epochs", classifier.epochs);
    root.set_attribute("seed", classifier.seed);
    root.set_attribute("canvas", config.canvas);
    root.set_attribute("channels", config.channels);
    root.set_attribute("classes", config.classes);
    root.set_attribute("features", config.features);
    std::vector<std::string> widths;
    for (int width : config.widths) widths.push_back(std::to_string(width));
    root.set_attribute("widths", join(widths, ","));
    io::Group parameters = root.create_group("parameters");
    for (const auto& item : classifier.network->named_parameters()) {
      const torch::Tensor value = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
      const float* data = value.data_ptr<float>();
      parameters.write_array<float>(item.key(),
                                    std::vector<size_t>(value.sizes().begin(), value.sizes().end()),
                                    std::vector<float>(data, data + value.numel()));
    }
  });
}

TrainedClassifier load_digit_classifier(const std::string& path) {
  const io::File file = io::File::open(path);
  const io::Group root = file.root();
  if (!root.has_attribute("format") || root.string_attribute("format") != kFormat) {
    throw UserError(path +
                    ": not a digit classifier file (expected one written by spiral data "
                    "train-classifier, with the format attribute '" +
                    std::string(kFormat) + "')");
  }
  const int64_t version = root.int_attribute("format_version");
  if (version != kFormatVersion) {
    throw UserError(path + ": digit classifier format version " + std::to_string(version) +
                    ", this build reads version " + std::to_string(kFormatVersion));
  }
  model::DigitClassifierConfig config;
  config.canvas = static_cast<int>(root.int_attribute("canvas"));
  config.channels = static_cast<int>(root.int_attribute("channels"));
  config.classes = static_cast<int>(root.int_attribute("classes"));
  config.features = static_cast<int>(root.int_attribute("features"));
  config.widths.clear();
  try {
    for (const std::string& width : split(root.string_attribute("widths"), ',')) {
      config.widths.push_back(std::stoi(width));
    }
    config.check();
  } catch (const std::exception& error) {
    throw UserError(path + ": bad network sizes: " + error.what());
  }
  TrainedClassifier classifier;
  classifier.network = model::DigitClassifier(config);
  const io::Group parameters = root.open_group("parameters");
  const auto named = classifier.network->named_parameters();
  if (parameters.names().size() != named.size()) {
    throw UserError(path + ": holds " + std::to_string(parameters.names().size()) +
                    " parameter tensors, a classifier of its sizes has " +
                    std::to_string(named.size()));
  }
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : named) {
      if (!parameters.has(item.key())) throw UserError(path + ": lacks parameter " + item.key());
      io::Array<float> array = io::read_array<float>(parameters, item.key());
      const std::vector<int64_t> shape(array.shape.begin(), array.shape.end());
      if (shape != item.value().sizes().vec()) {
        throw UserError(path + ": parameter " + item.key() +
                        " has another shape than its sizes give");
      }
      item.value().copy_(torch::from_blob(array.data.data(), shape, torch::kFloat));
    }
  }
  classifier.network->eval();
  classifier.dataset = root.string_attribute("dataset");
  classifier.label_names = split(root.string_attribute("label_names"), '\n');
  classifier.held_out_accuracy = root.double_attribute("held_out_accuracy");
  classifier.train_images = static_cast<size_t>(root.int_attribute("train_images"));
  classifier.held_out_images = static_cast<size_t>(root.int_attribute("held_out_images"));
  classifier.epochs = static_cast<int>(root.int_attribute("epochs"));
  classifier.seed = static_cast<uint64_t>(root.int_attribute("seed"));
  return classifier;
}

void check_classifier_fits(const TrainedClassifier& classifier, const std::string& path,
                           const data::Dataset& dataset, const std::string& spec) {
  const int classes = classifier.network->config().classes;
  if (dataset.label_count() != classes) {
    throw UserError("--classifier " + path + " tells " + std::to_string(classes) +
                    " classes apart, dataset " + spec + " has " +
                    (dataset.label_count() == 0 ? std::string("no labels")
                                                : std::to_string(dataset.label_count())));
  }
}

}  // namespace spiral::learn
