// Tests of the data module's readers on the shipped real files and on bad files made here.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "data_test_util.h"
#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "spiral/data/codec.h"
#include "spiral/data/dataset.h"
#include "spiral/data/folder.h"
#include "spiral/data/idx.h"
#include "spiral/data/omniglot.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/split.h"
#include "spiral/io/png.h"

namespace spiral::data {
namespace {

using test::DataTest;
using test::expect_user_error;
using test::fnv_of;
using test::gradient_image;
using test::mnist_dir;
using test::omniglot_file;
using test::write_bytes;

// ---- IDX ----------------------------------------------------------------------------------

// The MNIST test set's label histogram (LeCun's t10k-labels-idx1-ubyte).
const std::vector<size_t> kMnistTestHistogram = {980, 1135, 1032, 1010, 982,
                                                 892, 958,  1028, 974,  1009};

// An uncompressed IDX file: header for `dims`, then `data`.
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
                               uint8_t type = 0x08) {
  std::vector<uint8_t> bytes = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

// gzip-compresses `data` (one member).
std::vector<uint8_t> gzip_bytes(const std::vector<uint8_t>& data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&stream, data.size()) + 32);
  stream.next_in = const_cast<Bytef*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(Idx, MnistTestSetHasTenThousandLabelledDigits) {
  const std::unique_ptr<Dataset> mnist = open_dataset("mnist:" + mnist_dir());
  ASSERT_EQ(mnist->size(), 10000u);
  EXPECT_EQ(mnist->shape(), (ImageShape{28, 28, 1}));
  EXPECT_EQ(mnist->ink(), Ink::kLightOnDark);
  EXPECT_EQ(mnist->label_count(), 10);
  EXPECT_EQ(label_histogram(*mnist), kMnistTestHistogram);
  // Checksums of decoded pixels, computed independently (Python's gzip and struct).
  const Image first = mnist->image(0);
  EXPECT_EQ(first.height, 28);
  EXPECT_EQ(first.channels, 1);
  EXPECT_EQ(fnv_of(first), 0x34911e12542ca507ull);
  EXPECT_EQ(mnist->label(0), 7);
  EXPECT_EQ(fnv_of(mnist->image(9999)), 0x7f11ade86793d94cull);
  EXPECT_EQ(mnist->label(9999), 6);
  EXPECT_EQ(mnist->key(0), "t10k/0");
  EXPECT_EQ(mnist->label_name(3), "3");
  EXPECT_EQ(mnist->name(), "mnist:" + mnist_dir());
}

TEST_F(DataTest, IdxReadsUncompressedTrainFilesFromAnyFolder) {
  const IdxArray images = read_idx(mnist_dir() + "/t10k-images-idx3-ubyte.gz", 3);
  const IdxArray labels = read_idx(mnist_dir() + "/t10k-labels-idx1-ubyte.gz", 1);
  ASSERT_EQ(images.dims, (std::vector<uint32_t>{10000, 28, 28}));
  // 30 "train" images, uncompressed and with the other spelling, next to 20 gzipped "t10k" ones.
  const std::vector<uint8_t> train_pixels(images.data.begin() + 784 * 100,
                                          images.data.begin() + 784 * 130);
  const std::vector<uint8_t> train_labels(labels.data.begin() + 100, labels.data.begin() + 130);
  write_bytes(temp("train-images.idx3-ubyte"), idx_bytes({30, 28, 28}, train_pixels));
  write_bytes(temp("train-labels.idx1-ubyte"), idx_bytes({30}, train_labels));
  const std::vector<uint8_t> test_pixels(images.data.begin(), images.data.begin() + 784 * 20);
  const std::vector<uint8_t> test_labels(labels.data.begin(), labels.data.begin() + 20);
  write_bytes(temp("t10k-images-idx3-ubyte.gz"), gzip_bytes(idx_bytes({20, 28, 28}, test_pixels)));
  write_bytes(temp("t10k-labels-idx1-ubyte.gz"), gzip_bytes(idx_bytes({20}, test_labels)));

  const std::unique_ptr<Dataset> all = open_dataset("mnist:" + dir());
  ASSERT_EQ(all->size(), 50u);
  EXPECT_EQ(all->key(0), "train/0");
  EXPECT_EQ(all->key(30), "t10k/0");
  EXPECT_EQ(all->key(49), "t10k/19");
  EXPECT_EQ(all->image(30).pixels, open_dataset("mnist:" + mnist_dir())->image(0).pixels);
  EXPECT_EQ(all->label(0), labels.data[100]);
  EXPECT_EQ(open_dataset("mnist:" + dir() + "?set=train")->size(), 30u);
  EXPECT_EQ(open_dataset("mnist:" + dir() + "?set=t10k")->size(), 20u);
  const Split split = split_dataset(*all, parse_split_rule("first:30"));
  EXPECT_EQ(split.train.size(), 30u);
  EXPECT_EQ(split.held_out.front(), 30u);
}

TEST(Idx, FashionMnistFromDebianIsSeventyThousandImages) {
  const std::string folder = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(folder)) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  const std::unique_ptr<Dataset> fashion = open_dataset("fashion-mnist:" + folder);
  ASSERT_EQ(fashion->size(), 70000u);
  EXPECT_EQ(fashion->shape(), (ImageShape{28, 28, 1}));
  EXPECT_EQ(label_histogram(*fashion), std::vector<size_t>(10, 7000));
  EXPECT_EQ(fashion->label_name(9), "Ankle boot");
  const Split split = split_dataset(*fashion, parse_split_rule("first:60000"));
  EXPECT_EQ(split.held_out.size(), 10000u);
  EXPECT_EQ(fashion->key(split.held_out.front()), "t10k/0");
}

TEST_F(DataTest, TruncatedGzipIsRefusedNamingTheFile) {
  std::vector<uint8_t> bytes = read_file(mnist_dir() + "/t10k-labels-idx1-ubyte.gz");
  bytes.resize(bytes.size() / 2);
  write_bytes(temp("t10k-images-idx3-ubyte.gz"),
              read_file(mnist_dir() + "/t10k-images-idx3-ubyte.gz"));
  write_bytes(temp("t10k-labels-idx1-ubyte.gz"), bytes);
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {temp("t10k-labels-idx1-ubyte.gz"), "truncated gzip"});
}

TEST_F(DataTest, CorruptGzipAndTrailingGarbageAreRefused) {
  std::vector<uint8_t> bytes = gzip_bytes(idx_bytes({3}, {1, 2, 3}));
  std::vector<uint8_t> corrupt = bytes;
  corrupt[12] ^= 0xff;
  corrupt[13] ^= 0xff;
  expect_user_error([&] { decode_idx(corrupt.data(), corrupt.size(), "x.gz", 1); },
                    {"x.gz", "gzip"});
  std::vector<uint8_t> garbage = bytes;
  garbage.push_back('!');
  expect_user_error([&] { decode_idx(garbage.data(), garbage.size(), "y.gz", 1); },
                    {"y.gz", "trailing garbage"});
  // Two gzip members make one stream.
  const std::vector<uint8_t> half1 = gzip_bytes({0, 0, 8, 1, 0, 0});
  const std::vector<uint8_t> half2 = gzip_bytes({0, 2, 7, 9});
  std::vector<uint8_t> joined = half1;
  joined.insert(joined.end(), half2.begin(), half2.end());
  const IdxArray array = decode_idx(joined.data(), joined.size(), "joined.gz", 1);
  EXPECT_EQ(array.data, (std::vector<uint8_t>{7, 9}));
  std::vector<uint8_t> big(1 << 20, 0);
  const std::vector<uint8_t> bomb = gzip_bytes(big);
  expect_user_error([&] { gunzip(bomb.data(), bomb.size(), "bomb.gz", 1000); },
                    {"bomb.gz", "more than 1000 bytes"});
}

TEST_F(DataTest, BadIdxMagicIsRefused) {
  write_bytes(temp("t10k-images-idx3-ubyte"), idx_bytes({2, 28, 28}, std::vector<uint8_t>(1568)));
  write_bytes(temp("t10k-labels-idx1-ubyte"), {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 2, 1, 2});
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {temp("t10k-labels-idx1-ubyte"), "bad IDX magic 0x12340801", "0x00000801"});
  // Images where labels belong: the rank is checked.
  write_bytes(temp("t10k-labels-idx1-ubyte"), idx_bytes({2, 28, 28}, std::vector<uint8_t>(1568)));
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {temp("t10k-labels-idx1-ubyte"), "bad IDX magic 0x00000803"});
  // Floats are not MNIST.
  write_bytes(temp("t10k-labels-idx1-ubyte"), idx_bytes({2}, std::vector<uint8_t>(8), 0x0d));
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {temp("t10k-labels-idx1-ubyte"), "element type", "not supported"});
}

TEST_F(DataTest, IdxDimensionsMustMatchTheSize) {
  write_bytes(temp("t10k-images-idx3-ubyte"), idx_bytes({3, 28, 28}, std::vector<uint8_t>(1568)));
  write_bytes(temp("t10k-labels-idx1-ubyte"), idx_bytes({3}, {1, 2, 3}));
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {temp("t10k-images-idx3-ubyte"), "3x28x28 need 2352 bytes", "holds 1568"});
  write_bytes(temp("t10k-images-idx3-ubyte"), idx_bytes({2, 28, 28}, std::vector<uint8_t>(1568)));
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {temp("t10k-labels-idx1-ubyte"), "3 labels", "one per image: 2"});
  const std::vector<uint8_t> header_only = {0, 0, 8, 3, 0, 0};
  expect_user_error([&] { parse_idx(header_only.data(), header_only.size(), "h", 3); },
                    {"h: truncated IDX header"});
  const std::vector<uint8_t> huge = idx_bytes({0xffffffff, 0xffffffff, 0xffffffff}, {1});
  expect_user_error([&] { parse_idx(huge.data(), huge.size(), "huge", 3); }, {"huge", "too many"});
}

TEST_F(DataTest, MissingIdxFilesAreNamed) {
  expect_user_error([&] { open_dataset("mnist:" + dir()); }, {dir(), "no MNIST-format IDX files"});
  write_bytes(temp("t10k-images-idx3-ubyte"), idx_bytes({1, 2, 2}, {0, 0, 0, 0}));
  expect_user_error([&] { open_dataset("mnist:" + dir()); },
                    {"t10k-labels-idx1-ubyte", "t10k-images-idx3-ubyte"});
  expect_user_error([&] { open_dataset("mnist:" + dir() + "?set=train"); },
                    {"no train-images-idx3-ubyte"});
  expect_user_error([&] { open_dataset("mnist:" + temp("absent")); },
                    {temp("absent"), "not a directory"});
}

// ---- Omniglot -----------------------------------------------------------------------------

TEST(Omniglot, BackgroundZipsHoldTheirPngs) {
  const std::unique_ptr<Dataset> small1 =
      open_dataset("omniglot:" + omniglot_file("images_background_small1.zip"));
  ASSERT_EQ(small1->size(), 2720u);
  EXPECT_EQ(small1->label_count(), 136);
  EXPECT_EQ(small1->shape(), (ImageShape{105, 105, 1}));
  EXPECT_EQ(small1->ink(), Ink::kDarkOnLight);
  EXPECT_EQ(small1->key(0), "Balinese/character01/0108_01");
  EXPECT_EQ(small1->label_name(small1->label(0)), "Balinese/character01");
  EXPECT_EQ(small1->metadata(0), "alphabet=Balinese character=character01 drawer=01");
  const Image first = small1->image(0);
  EXPECT_EQ(first.height, 105);
  EXPECT_EQ(first.width, 105);
  EXPECT_EQ(first.channels, 1);
  // Checksum and ink count from an independent decoder (pure Python PNG + zlib).
  EXPECT_EQ(fnv_of(first), 0x419f0675f5095d17ull);
  EXPECT_EQ(std::count(first.pixels.begin(), first.pixels.end(), 0), 881);
  EXPECT_EQ(label_histogram(*small1), std::vector<size_t>(136, 20));

  const std::unique_ptr<Dataset> small2 =
      open_dataset("omniglot:" + omniglot_file("images_background_small2.zip"));
  ASSERT_EQ(small2->size(), 3120u);
  EXPECT_EQ(small2->label_count(), 156);
  EXPECT_EQ(fnv_of(small2->image(0)), 0x2da2117f143f981eull);
  EXPECT_EQ(open_dataset("omniglot:" + omniglot_file("all_runs.zip"))->size(), 800u);
}

TEST_F(DataTest, OmniglotFolderReadsLikeTheZipAndSkipsJunk) {
  const OmniglotDataset zip("z", omniglot_file("images_background_small1.zip"));
  for (size_t i : {0, 1, 2719}) {
    const std::string key = zip.key(i);
    std::filesystem::create_directories(
        temp("images_background_small1/" + key.substr(0, key.rfind('/'))));
    io::write_png(temp("images_background_small1/" + key + ".png"), zip.image(i));
  }
  std::filesystem::create_directories(temp("__MACOSX/images_background_small1/Balinese"));
  write_bytes(temp("__MACOSX/images_background_small1/Balinese/._x.png"), {1, 2, 3});
  write_bytes(temp("images_background_small1/.DS_Store"), {1, 2, 3});
  const std::unique_ptr<Dataset> folder = open_dataset("omniglot:" + dir());
  ASSERT_EQ(folder->size(), 3u);
  EXPECT_EQ(folder->key(2), zip.key(2719));
  EXPECT_EQ(folder->image(2).pixels, zip.image(2719).pixels);
  EXPECT_EQ(folder->label_count(), 2);
}

TEST_F(DataTest, CorruptOmniglotPngIsNamed) {
  std::filesystem::create_directories(temp("Alpha/character01"));
  Image image = gradient_image(105, 105, 1);
  io::write_png(temp("Alpha/character01/0001_01.png"), image);
  std::vector<uint8_t> bytes = read_file(temp("Alpha/character01/0001_01.png"));
  bytes.resize(bytes.size() - 30);
  write_bytes(temp("Alpha/character01/0001_02.png"), bytes);
  const std::unique_ptr<Dataset> set = open_dataset("omniglot:" + dir());
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->image(0).pixels, image.pixels);
  expect_user_error([&] { set->image(1); }, {temp("Alpha/character01/0001_02.png"), "PNG"});
  write_bytes(temp("notes.zip"), {'P', 'K', 1, 2, 3});
  expect_user_error([&] { open_dataset("omniglot:" + temp("notes.zip")); },
                    {temp("notes.zip"), "not a readable zip archive"});
  expect_user_error([&] { open_dataset("omniglot:" + temp("Alpha")); },
                    {"expected the layout <alphabet>/<character>/<id>_<drawer>.png"});
}

TEST(Strokes, EveryFileOfBothZipsParses) {
  for (const char* set : {"small1", "small2"}) {
    const OmniglotStrokes strokes(omniglot_file(std::string("strokes_background_") + set + ".zip"));
    const OmniglotDataset images("i",
                                 omniglot_file(std::string("images_background_") + set + ".zip"));
    ASSERT_EQ(strokes.size(), images.size()) << set;  // junk entries skipped
    size_t points = 0;
    for (size_t i = 0; i < strokes.size(); ++i) {
      ASSERT_GE(images.find(strokes.key(i)), 0) << strokes.key(i);
      ASSERT_FALSE(strokes.drawing(i).empty());
      for (const Stroke& stroke : strokes.drawing(i)) {
        ASSERT_FALSE(stroke.empty());
        for (const StrokePoint& p : stroke) {
          // Image coordinates: inside (or just outside) the 105 x 105 frame, y downwards.
          EXPECT_GT(p.x, -20);
          EXPECT_LT(p.x, 125);
          EXPECT_GT(p.y, -20);
          EXPECT_LT(p.y, 125);
        }
        points += stroke.size();
      }
    }
    EXPECT_GT(points, strokes.size() * 10) << set;
  }
  const OmniglotStrokes strokes(omniglot_file("strokes_background_small1.zip"));
  const Drawing* drawing = strokes.find("Balinese/character01/0108_01");
  ASSERT_NE(drawing, nullptr);
  EXPECT_DOUBLE_EQ((*drawing)[0][0].x, 18.954528);
  EXPECT_DOUBLE_EQ((*drawing)[0][0].y, 43.534334);  // "18.954528,-43.534334,0" with y negated
  EXPECT_DOUBLE_EQ((*drawing)[0][1].t, 56);
}

TEST(Strokes, FormatDetails) {
  const std::string text = "START\r\n1,-2,0\r\n\r\n3,-4.5,10\r\nBREAK\r\nBREAK\r\n 5 , -6 ,20\n";
  const Drawing drawing = parse_strokes(text.data(), text.size(), "s.txt");
  ASSERT_EQ(drawing.size(), 2u);
  EXPECT_EQ(drawing[0].size(), 2u);
  EXPECT_DOUBLE_EQ(drawing[0][1].y, 4.5);
  EXPECT_DOUBLE_EQ(drawing[1][0].x, 5);
  EXPECT_EQ(omniglot_key("a/b/Greek/character01/0394_01.txt"), "Greek/character01/0394_01");
  EXPECT_EQ(omniglot_key("character01/0394_01.txt"), "");
}

TEST(Strokes, MalformedLinesAreNamedWithTheirLineNumber) {
  const auto error_of = [](const std::string& text) {
    try {
      parse_strokes(text.data(), text.size(), "bad.txt");
    } catch (const UserError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("START\n1,2,3\n1;2;3\n"),
            "bad.txt:3: expected 'x,y,t', START or BREAK, got '1;2;3'");
  EXPECT_EQ(error_of("START\n1,2\n"), "bad.txt:2: expected 'x,y,t', START or BREAK, got '1,2'");
  EXPECT_EQ(error_of("START\n1,2,3,4\n"),
            "bad.txt:2: expected 'x,y,t', START or BREAK, got '1,2,3,4'");
  EXPECT_EQ(error_of("START\n1,nan,3\n"),
            "bad.txt:2: expected 'x,y,t', START or BREAK, got '1,nan,3'");
  EXPECT_EQ(error_of("1,2,3\n"), "bad.txt:1: expected START before '1,2,3'");
  EXPECT_EQ(error_of("START\nBREAK\nSTART\n"), "bad.txt:3: second START (expected one per file)");
  EXPECT_EQ(error_of(""), "bad.txt: empty stroke file (expected START, then x,y,t lines)");
  EXPECT_EQ(error_of("START\nBREAK\n"),
            "bad.txt: no pen samples (expected x,y,t lines after START)");
  EXPECT_EQ(error_of(std::string("START\n1,2,\x01\n", 12)),
            "bad.txt:2: expected 'x,y,t', START or BREAK, got '1,2,?'");
}

TEST_F(DataTest, StrokesBesideAnImageSetAreFound) {
  EXPECT_EQ(omniglot_strokes_beside(omniglot_file("images_background_small1.zip")),
            omniglot_file("strokes_background_small1.zip"));
  EXPECT_EQ(omniglot_strokes_beside(omniglot_file("all_runs.zip")), "");
  std::filesystem::create_directories(temp("images_evaluation"));
  EXPECT_EQ(omniglot_strokes_beside(temp("images_evaluation") + "/"), "");  // no strokes beside
  std::filesystem::create_directories(temp("strokes_evaluation"));
  EXPECT_EQ(omniglot_strokes_beside(temp("images_evaluation") + "/"), temp("strokes_evaluation"));
  EXPECT_EQ(omniglot_strokes_beside(temp("images_evaluation")), temp("strokes_evaluation"));
  EXPECT_EQ(omniglot_strokes_beside(temp("strokes_evaluation")), "");
}

TEST_F(DataTest, MalformedStrokeFileInAFolderIsNamed) {
  std::filesystem::create_directories(temp("A/character01"));
  write_bytes(temp("A/character01/0001_01.txt"), {'S', 'T', 'A', 'R', 'T', '\n', 'x', '\n'});
  expect_user_error([&] { OmniglotStrokes strokes(dir()); },
                    {temp("A/character01/0001_01.txt") + ":2: expected 'x,y,t'"});
}

// ---- CelebA and image folders -------------------------------------------------------------

// A CelebA-like folder: `count` 178 x 218 JPEGs named 000001.jpg ..., and an identity list in
// the parent folder giving image i the identity 100 + i / 2.
std::string make_celeba(const std::string& root, int count) {
  const std::string folder = root + "/img_align_celeba";
  std::filesystem::create_directories(folder);
  std::ofstream identities(root + "/identity_CelebA.txt");
  for (int i = 0; i < count; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "%06d.jpg", i + 1);
    write_jpeg(folder + "/" + name, gradient_image(218, 178, 3, i));
    identities << name << " " << 100 + i / 2 << "\n";
  }
  return folder;
}

TEST_F(DataTest, CelebaCropsTheCentreAndReadsIdentities) {
  const std::string folder = make_celeba(dir(), 6);
  write_bytes(folder + "/list.txt", {'x'});  // not a .jpg: ignored
  const std::unique_ptr<Dataset> celeba = open_dataset("celeba:" + folder);
  ASSERT_EQ(celeba->size(), 6u);
  EXPECT_EQ(celeba->shape(), (ImageShape{178, 178, 3}));
  EXPECT_EQ(celeba->ink(), Ink::kNatural);
  EXPECT_EQ(celeba->key(5), "000006.jpg");
  EXPECT_EQ(celeba->label_count(), 3);
  EXPECT_EQ(celeba->label(5), 2);
  EXPECT_EQ(celeba->label_name(2), "102");
  EXPECT_EQ(celeba->split_group(4), "identity:102");
  const Image image = celeba->image(3);
  ASSERT_EQ(image.height, 178);
  ASSERT_EQ(image.width, 178);
  // The crop starts 20 rows down: compare with the source pattern (JPEG is lossy).
  const Image source = center_crop(gradient_image(218, 178, 3, 3), 178, 178);
  EXPECT_LT(test::mean_abs_difference(image, source), 3.0);

  const std::unique_ptr<Dataset> small = open_dataset("celeba:" + folder + "?crop=108");
  EXPECT_EQ(small->image(0).height, 108);
  const Image canvas = canvas_image(*small, 0, {64, ColorMode::kRgb});
  EXPECT_EQ(canvas.height, 64);
  EXPECT_EQ(canvas.channels, 3);

  // Identity-grouped hash split: a person is never on both sides.
  const Split split = split_dataset(*celeba, parse_split_rule("hash:2"));
  std::set<int> train_people, held_people;
  for (size_t i : split.train) train_people.insert(celeba->label(i));
  for (size_t i : split.held_out) held_people.insert(celeba->label(i));
  for (int person : train_people) EXPECT_EQ(held_people.count(person), 0u);
  EXPECT_EQ(split_dataset(*celeba, parse_split_rule("first:4")).held_out,
            (std::vector<size_t>{4, 5}));
}

TEST_F(DataTest, CelebaWithoutIdentitiesAndBadFiles) {
  const std::string folder = temp("faces");
  std::filesystem::create_directories(folder);
  expect_user_error([&] { open_dataset("celeba:" + folder); }, {folder, "no .jpg files"});
  write_jpeg(folder + "/000001.jpg", gradient_image(218, 178, 3));
  write_jpeg(folder + "/000002.jpg", gradient_image(100, 100, 1));
  std::vector<uint8_t> jpeg = encode_jpeg(gradient_image(218, 178, 3));
  jpeg.resize(jpeg.size() / 2);
  write_bytes(folder + "/000003.jpg", jpeg);
  const std::unique_ptr<Dataset> celeba = open_dataset("celeba:" + folder);
  EXPECT_EQ(celeba->label_count(), 0);
  EXPECT_EQ(celeba->split_group(0), "000001.jpg");
  EXPECT_THROW(celeba->label(0), std::logic_error);
  EXPECT_EQ(celeba->image(0).channels, 3);
  expect_user_error([&] { celeba->image(1); },
                    {folder + "/000002.jpg", "100x100", "expected at least 178x178"});
  expect_user_error([&] { celeba->image(2); }, {folder + "/000003.jpg", "corrupt JPEG"});
  expect_user_error([&] { open_dataset("celeba:" + folder + "?crop=300"); },
                    {"crop 300", "expected 1 to 178"});
  write_bytes(temp("ids.txt"), {'0', '0', '0', '0', '0', '1', '.', 'j', 'p', 'g', '\n'});
  expect_user_error([&] { open_dataset("celeba:" + folder + "?identities=" + temp("ids.txt")); },
                    {temp("ids.txt") + ":1: expected '<file> <identity>'"});
}

TEST_F(DataTest, ImageFolderReadsPngAndJpegRecursively) {
  std::filesystem::create_directories(temp("pics/sub"));
  std::filesystem::create_directories(temp("pics/.hidden"));
  io::write_png(temp("pics/b.png"), gradient_image(30, 40, 4));
  write_jpeg(temp("pics/a.jpg"), gradient_image(20, 20, 3));
  io::write_png(temp("pics/sub/c.png"), gradient_image(10, 10, 1));
  write_bytes(temp("pics/.hidden/readme.txt"), {'x'});
  write_bytes(temp("pics/.DS_Store"), {'x'});
  const std::unique_ptr<Dataset> folder = open_dataset("folder:" + temp("pics"));
  ASSERT_EQ(folder->size(), 3u);
  EXPECT_EQ(folder->key(0), "a.jpg");
  EXPECT_EQ(folder->key(2), "sub/c.png");
  EXPECT_EQ(folder->shape(), (ImageShape{20, 20, 3}));
  EXPECT_TRUE(folder->shapes_vary());
  EXPECT_EQ(folder->image(1).pixels, gradient_image(30, 40, 4).pixels);
  EXPECT_EQ(folder->label_count(), 0);
  const Image canvas = canvas_image(*folder, 1, {64, ColorMode::kGray});
  EXPECT_EQ(canvas.height, 64);
  EXPECT_EQ(canvas.width, 64);
  EXPECT_EQ(canvas.channels, 1);
}

TEST_F(DataTest, ImageFolderRefusesNonImagesEmptyFoldersAndCorruptFiles) {
  std::filesystem::create_directories(temp("empty/sub"));
  expect_user_error([&] { open_dataset("folder:" + temp("empty")); },
                    {temp("empty"), "no PNG or JPEG files"});
  std::filesystem::create_directories(temp("mixed"));
  io::write_png(temp("mixed/a.png"), gradient_image(8, 8, 1));
  write_bytes(temp("mixed/notes.txt"), {'h', 'e', 'l', 'l', 'o'});
  expect_user_error([&] { open_dataset("folder:" + temp("mixed")); },
                    {temp("mixed/notes.txt"), "not a PNG or JPEG image"});
  std::filesystem::remove(temp("mixed/notes.txt"));
  std::vector<uint8_t> png = read_file(temp("mixed/a.png"));
  png[png.size() / 2] ^= 0x55;  // a flipped byte in the image data: the CRC fails
  write_bytes(temp("mixed/b.png"), png);
  const std::unique_ptr<Dataset> folder = open_dataset("folder:" + temp("mixed"));
  expect_user_error([&] { folder->image(1); }, {temp("mixed/b.png"), "corrupt PNG"});
  expect_user_error([&] { open_dataset("folder:" + temp("absent")); },
                    {temp("absent"), "no such file or folder"});
}

// ---- Codecs -------------------------------------------------------------------------------

TEST_F(DataTest, PngDecodedFromMemoryMatchesTheIoReader) {
  for (int channels = 1; channels <= 4; ++channels) {
    const Image image = gradient_image(17, 23, channels);
    io::write_png(temp("x.png"), image);
    const std::vector<uint8_t> bytes = read_file(temp("x.png"));
    EXPECT_EQ(sniff_image_format(bytes.data(), bytes.size()), ImageFormat::kPng);
    const Image decoded = decode_png(bytes.data(), bytes.size(), "x.png");
    EXPECT_EQ(decoded.channels, channels);
    EXPECT_EQ(decoded.pixels, image.pixels);
    EXPECT_EQ(io::read_png(temp("x.png")).pixels, decoded.pixels);
  }
  const std::vector<uint8_t> text = {'h', 'i'};
  expect_user_error([&] { decode_image(text.data(), text.size(), "hi.txt"); },
                    {"hi.txt: not a PNG or JPEG image"});
  std::vector<uint8_t> bytes = read_file(temp("x.png"));
  bytes.resize(40);
  expect_user_error([&] { decode_png(bytes.data(), bytes.size(), "cut.png"); },
                    {"cut.png: corrupt PNG"});
}

TEST_F(DataTest, ValidPngBeyondTheSizeLimitIsUnsupportedNotCorrupt) {
  io::write_png(temp("wide.png"), gradient_image(1, 40000, 1));
  const std::vector<uint8_t> bytes = read_file(temp("wide.png"));
  EXPECT_EQ(io::read_png(temp("wide.png")).width, 40000);  // a valid file
  expect_user_error([&] { decode_png(bytes.data(), bytes.size(), "wide.png"); },
                    {"wide.png: unsupported PNG of 1x40000x1", "at most 32768 pixels a side"});
}

TEST(Codec, JpegRoundTripIsClose) {
  for (int channels : {1, 3}) {
    const Image image = gradient_image(40, 30, channels);
    const std::vector<uint8_t> bytes = encode_jpeg(image, 95);
    EXPECT_EQ(sniff_image_format(bytes.data(), bytes.size()), ImageFormat::kJpeg);
    const Image decoded = decode_image(bytes.data(), bytes.size(), "x.jpg");
    EXPECT_EQ(decoded.channels, channels);
    EXPECT_LT(test::mean_abs_difference(decoded, image), 3.0);
  }
  std::vector<uint8_t> bytes = encode_jpeg(gradient_image(64, 64, 3), 90);
  std::vector<uint8_t> garbled = bytes;  // garbage in the headers, after the SOI marker
  for (size_t i = 4; i < 40; ++i) garbled[i] = static_cast<uint8_t>(i * 37);
  expect_user_error([&] { decode_jpeg(garbled.data(), garbled.size(), "g.jpg"); },
                    {"g.jpg: corrupt JPEG"});
  bytes.resize(300);
  expect_user_error([&] { decode_jpeg(bytes.data(), bytes.size(), "t.jpg"); },
                    {"t.jpg: corrupt JPEG"});
}

// ---- Preprocessing ------------------------------------------------------------------------

TEST(Preprocess, MnistAndOmniglotBecomeDarkInkOnWhite) {
  const std::unique_ptr<Dataset> mnist = open_dataset("mnist:" + mnist_dir());
  const Image digit = canvas_image(*mnist, 0, {64, ColorMode::kGray});
  ASSERT_EQ(digit.height, 64);
  ASSERT_EQ(digit.width, 64);
  EXPECT_EQ(digit.at(0, 0), 255);                                              // white background
  EXPECT_LT(*std::min_element(digit.pixels.begin(), digit.pixels.end()), 10);  // dark ink
  const Image rgb = canvas_image(*mnist, 0, {64, ColorMode::kRgb});
  EXPECT_EQ(rgb.channels, 3);
  EXPECT_EQ(rgb.at(32, 32, 0), rgb.at(32, 32, 2));

  const OmniglotDataset omniglot("o", omniglot_file("images_background_small1.zip"));
  const Image letter = canvas_image(omniglot, 0, {64, ColorMode::kGray});
  EXPECT_EQ(letter.at(0, 0), 255);
  EXPECT_LT(*std::min_element(letter.pixels.begin(), letter.pixels.end()), 10);
  // Ink stays a minority of the canvas: the polarity was not flipped.
  const long dark =
      std::count_if(letter.pixels.begin(), letter.pixels.end(), [](uint8_t v) { return v < 128; });
  EXPECT_LT(dark, 64 * 64 / 4);
}

TEST(Preprocess, ColourConversionsCropsAndFloats) {
  Image rgba{1, 3, 4, {255, 0, 0, 255, 0, 0, 255, 0, 10, 20, 30, 128}};
  const Image gray = to_gray(rgba);
  EXPECT_EQ(gray.pixels, (std::vector<uint8_t>{76, 255, 136}));
  const Image rgb = to_rgb(rgba);
  EXPECT_EQ(rgb.pixels, (std::vector<uint8_t>{255, 0, 0, 255, 255, 255, 132, 137, 142}));
  EXPECT_EQ(to_rgb(Image{1, 1, 1, {7}}).pixels, (std::vector<uint8_t>{7, 7, 7}));
  EXPECT_EQ(to_gray(Image{1, 1, 2, {0, 0}}).pixels, (std::vector<uint8_t>{255}));
  EXPECT_EQ(invert(Image{1, 2, 1, {0, 200}}).pixels, (std::vector<uint8_t>{255, 55}));
  const Image wide = gradient_image(4, 7, 1);
  const Image square = center_crop(wide, 4, 4);
  EXPECT_EQ(square.at(0, 0), wide.at(0, 1));  // margin 3: one column left, two right
  EXPECT_THROW(center_crop(wide, 5, 4), std::invalid_argument);
  const Image canvas = to_canvas(wide, Ink::kNatural, {2, ColorMode::kGray});
  EXPECT_EQ(canvas.height, 2);
  EXPECT_EQ(canvas.width, 2);
  const std::vector<float> floats = to_unit_floats(Image{1, 2, 1, {0, 255}});
  EXPECT_EQ(floats, (std::vector<float>{0.0f, 1.0f}));
  EXPECT_EQ(parse_color_mode("rgb"), ColorMode::kRgb);
  expect_user_error([] { parse_color_mode("cmyk"); }, {"'cmyk'", "gray or rgb"});
}

// ---- Splits and specs ---------------------------------------------------------------------

TEST(Split, RulesParsePrintAndSplit) {
  for (const char* text : {"every:10", "first:60000", "hash:7", "none"}) {
    EXPECT_EQ(to_string(parse_split_rule(text)), text);
  }
  for (const char* text :
       {"every:1", "every:", "hash:0", "first:-1", "firsts:3", "every:10x", ""}) {
    expect_user_error([&] { parse_split_rule(text); },
                      {"split rule '" + std::string(text) + "'", "every:K"});
  }
  EXPECT_EQ(std::string(kDefaultSplit), "every:10");
  const std::unique_ptr<Dataset> mnist = open_dataset("mnist:" + mnist_dir());
  const Split every = split_dataset(*mnist, parse_split_rule("every:10"));
  EXPECT_EQ(every.held_out.size(), 1000u);
  EXPECT_EQ(every.train.size(), 9000u);
  EXPECT_EQ(every.held_out[0], 9u);
  EXPECT_EQ(every.held_out[1], 19u);
  const Split none = split_dataset(*mnist, parse_split_rule("none"));
  EXPECT_EQ(none.train.size(), 10000u);
  // FNV-1a test vectors, and the hash rule applied by hand.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
  const Split hashed = split_dataset(*mnist, parse_split_rule("hash:10"));
  size_t expected = 0;
  for (size_t i = 0; i < mnist->size(); ++i) {
    expected += fnv1a64("t10k/" + std::to_string(i)) % 10 == 0;
  }
  EXPECT_EQ(hashed.held_out.size(), expected);
  EXPECT_GT(expected, 800u);
  EXPECT_LT(expected, 1200u);
}

TEST(Spec, ParsesKindsLocationsAndOptions) {
  const DatasetSpec spec = parse_dataset_spec("celeba:/data/img_align_celeba?crop=140");
  EXPECT_EQ(spec.kind, "celeba");
  EXPECT_EQ(spec.location, "/data/img_align_celeba");
  EXPECT_EQ(spec.options.at("crop"), "140");
  EXPECT_EQ(parse_dataset_spec("scenes:runs/a:b.h5").location, "runs/a:b.h5");
  const std::string kinds = "mnist, fashion-mnist, omniglot, celeba, folder, scenes";
  for (const char* text : {"inputs/data/mnist", "imagenet:/x", "mnist:", ":x", ""}) {
    expect_user_error([&] { open_dataset(text); },
                      {"dataset spec '" + std::string(text) + "'", kinds});
  }
  expect_user_error([] { parse_dataset_spec("mnist:x?size=3"); },
                    {"unknown option 'size=3' for mnist", "set"});
  expect_user_error([] { parse_dataset_spec("folder:x?a=b"); }, {"for folder (expected none)"});
  expect_user_error([&] { open_dataset("mnist:" + mnist_dir() + "?set=both"); },
                    {"'both'", "all, train or t10k"});
  expect_user_error([] { open_dataset("celeba:/x?crop=big"); }, {"crop=big", "integer"});
}

}  // namespace
}  // namespace spiral::data
