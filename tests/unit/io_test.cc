// Tests of the io module: HDF5 files (datasets, attributes, SWMR, h5py interop) and PNG images.
#include <png.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "spiral/core/errors.h"
#include "spiral/io/hdf5.h"
#include "spiral/io/png.h"
#include "temp_dir_test.h"

namespace spiral::io {
namespace {

namespace fs = std::filesystem;

// HDF5 and PNG tests, each in a fresh temporary folder.
class IoTest : public TempDirTest {};

// Expects `statement` to throw `Exception` with a message containing every one of `parts`.
template <typename Exception, typename F>
void expect_throw_with(F&& statement, const std::vector<std::string>& parts) {
  try {
    statement();
    ADD_FAILURE() << "no exception thrown";
  } catch (const Exception& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

// Distinct values for each index, including the type's extremes.
template <typename T>
std::vector<T> test_values(size_t count) {
  std::vector<T> values(count);
  for (size_t i = 0; i < count; ++i) {
    if (std::is_floating_point_v<T>) {
      values[i] = static_cast<T>(static_cast<double>(i) * 1.25 - 17.0 + 1.0 / 3.0);
    } else {
      values[i] = static_cast<T>((i * 37 + 11) % 200);
    }
  }
  if (count > 0) values[0] = std::numeric_limits<T>::max();
  if (count > 1) values[1] = std::numeric_limits<T>::lowest();
  return values;
}

// ----------------------------------------------------------------------------------------------
// HDF5 datasets

template <typename T>
class DatasetTypeTest : public IoTest {};
using ElementTypes = ::testing::Types<uint8_t, int32_t, int64_t, float, double>;
TYPED_TEST_SUITE(DatasetTypeTest, ElementTypes);

TYPED_TEST(DatasetTypeTest, RoundTripsThroughAppendAndRead) {
  using T = TypeParam;
  const std::string path = this->temp("types.h5");
  const std::vector<std::vector<size_t>> shapes = {{}, {5}, {2, 3, 4}};
  {
    File file = File::create(path);
    Group root = file.root();
    for (size_t s = 0; s < shapes.size(); ++s) {
      Dataset dataset = root.create_dataset<T>("d" + std::to_string(s), shapes[s]);
      const size_t row = dataset.row_size();
      const std::vector<T> values = test_values<T>(7 * row);
      dataset.append(values.data(), 3);                                        // pointer overload
      dataset.append(std::vector<T>(values.begin() + 3 * row, values.end()));  // vector overload
    }
  }
  File file = File::open(path);
  for (size_t s = 0; s < shapes.size(); ++s) {
    Dataset dataset = file.root().open_dataset("d" + std::to_string(s));
    EXPECT_EQ(dataset.rows(), 7u);
    EXPECT_EQ(dataset.row_shape(), shapes[s]);
    const std::vector<T> expected = test_values<T>(7 * dataset.row_size());
    EXPECT_EQ(dataset.template read<T>(), expected) << "row shape #" << s;
  }
}

TEST_F(IoTest, AppendsAccumulateAcrossReopen) {
  const std::string path = temp("grow.h5");
  std::vector<int32_t> all(10 * 6);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int32_t>(i * 3 - 50);
  {
    File file = File::create(path);
    file.root().create_dataset<int32_t>("a/b/series", {2, 3}).append(all.data(), 4);
  }
  {
    File file = File::open(path, File::Mode::kReadWrite);
    Dataset dataset = file.root().open_dataset("a/b/series");
    EXPECT_EQ(dataset.rows(), 4u);
    dataset.append(all.data() + 4 * 6, 6);
  }
  File file = File::open(path);
  Dataset dataset = file.root().open_group("a").open_dataset("b/series");
  EXPECT_EQ(dataset.path(), "/a/b/series");
  EXPECT_EQ(dataset.shape(), (std::vector<size_t>{10, 2, 3}));
  EXPECT_EQ(dataset.read<int32_t>(), all);
  EXPECT_EQ(dataset.read_rows<int32_t>(3, 4),
            std::vector<int32_t>(all.begin() + 3 * 6, all.begin() + 7 * 6));
  EXPECT_TRUE(dataset.read_rows<int32_t>(10, 0).empty());
  EXPECT_THROW(dataset.read_rows<int32_t>(8, 3), std::out_of_range);
}

TEST_F(IoTest, DatasetsAreChunkedAndCompressedAsAsked) {
  File file = File::create(temp("chunks.h5"));
  Group root = file.root();
  Dataset images = root.create_dataset<uint8_t>("images", {64, 64, 3});
  Dataset scalars = root.create_dataset<double>("scalars", {}, {/*chunk_rows=*/0, 0});
  Dataset fixed = root.create_dataset<float>("fixed", {4}, {/*chunk_rows=*/100, 9});

  auto chunk_rows = [](const Dataset& d) {
    Handle dcpl(H5Dget_create_plist(d.id()));
    hsize_t chunk[4] = {};
    EXPECT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED);
    H5Pget_chunk(dcpl.get(), 4, chunk);
    return chunk[0];
  };
  auto filters = [](const Dataset& d) {
    Handle dcpl(H5Dget_create_plist(d.id()));
    std::vector<H5Z_filter_t> ids;
    for (int i = 0; i < H5Pget_nfilters(dcpl.get()); ++i) {
      unsigned flags = 0;
      size_t n = 0;
      ids.push_back(H5Pget_filter2(dcpl.get(), i, &flags, &n, nullptr, 0, nullptr, nullptr));
    }
    return ids;
  };
  EXPECT_EQ(chunk_rows(images), 65536u / (64 * 64 * 3));
  EXPECT_EQ(chunk_rows(scalars), 65536u / 8);
  EXPECT_EQ(chunk_rows(fixed), 100u);
  EXPECT_EQ(filters(images), (std::vector<H5Z_filter_t>{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE}));
  EXPECT_TRUE(filters(scalars).empty());
  EXPECT_THROW(root.create_dataset<float>("bad", {4}, {0, 10}), std::invalid_argument);
  EXPECT_THROW(root.create_dataset<float>("images", {4}), std::logic_error);
}

TEST_F(IoTest, AppendOfPartialRowIsInvalidArgument) {
  File file = File::create(temp("partial.h5"));
  Dataset dataset = file.root().create_dataset<float>("x", {3});
  EXPECT_THROW(dataset.append(std::vector<float>(7)), std::invalid_argument);
  EXPECT_EQ(dataset.rows(), 0u);
}

TEST_F(IoTest, WrongElementTypeOnReadIsUserError) {
  const std::string path = temp("typed.h5");
  File file = File::create(path);
  Dataset dataset = file.root().create_dataset<float>("x", {2});
  dataset.append(std::vector<float>{1, 2});
  EXPECT_EQ(dataset.type_name(), "float32");
  expect_throw_with<UserError>([&] { dataset.read<double>(); }, {path, "/x", "float32"});
  expect_throw_with<UserError>([&] { dataset.read<int32_t>(); }, {path, "float32", "int32"});
  expect_throw_with<UserError>(
      [&] {
        dataset.append(std::vector<uint8_t>{1, 2});
      },
      {path, "float32", "uint8"});
}

TEST_F(IoTest, FixedArraysRoundTripWithShape) {
  const std::string path = temp("arrays.h5");
  const std::vector<double> values = test_values<double>(24);
  {
    File file = File::create(path);
    Group root = file.root();
    root.write_array("weights/w", {2, 3, 4}, values);
    root.write_array("count", {}, std::vector<int64_t>{42});
    EXPECT_THROW(root.write_array("bad", {5}, values), std::invalid_argument);
  }
  File file = File::open(path);
  Array<double> array = read_array<double>(file.root(), "weights/w");
  EXPECT_EQ(array.shape, (std::vector<size_t>{2, 3, 4}));
  EXPECT_EQ(array.data, values);
  Array<int64_t> scalar = read_array<int64_t>(file.root(), "count");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.data, std::vector<int64_t>{42});
  expect_throw_with<UserError>([&] { read_array<double>(file.root(), "missing"); },
                               {path, "/missing", "not found"});
}

// ----------------------------------------------------------------------------------------------
// HDF5 groups and files

TEST_F(IoTest, GroupsNestAndList) {
  const std::string path = temp("groups.h5");
  File file = File::create(path);
  Group root = file.root();
  Group a = root.create_group("a");
  a.create_group("c");
  root.create_group("x/y/z");
  a.create_dataset<int64_t>("b", {});
  EXPECT_TRUE(root.has("a"));
  EXPECT_TRUE(root.has("a/b"));
  EXPECT_TRUE(root.has("/x/y/z"));
  EXPECT_FALSE(root.has("a/nope"));
  EXPECT_FALSE(root.has("nope/deeper"));
  EXPECT_FALSE(root.has("a/b/under_a_dataset"));
  EXPECT_EQ(root.names(), (std::vector<std::string>{"a", "x"}));
  EXPECT_EQ(a.names(), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(root.open_group("x/y").path(), "/x/y");
  EXPECT_THROW(root.create_group("a"), std::logic_error);
  expect_throw_with<UserError>([&] { root.open_group("missing"); }, {path, "/missing"});
  expect_throw_with<UserError>([&] { root.open_group("a/b"); }, {path, "/a/b", "not a group"});
  expect_throw_with<UserError>([&] { root.open_dataset("a/c"); }, {path, "/a/c", "not a dataset"});
}

TEST_F(IoTest, OpeningMissingOrForeignFileIsUserError) {
  const std::string missing = temp("missing.h5");
  expect_throw_with<UserError>([&] { File::open(missing); }, {missing, "no such file"});
  const std::string text = temp("text.h5");
  std::ofstream(text) << "this is not HDF5\n";
  expect_throw_with<UserError>([&] { File::open(text); }, {text, "not an HDF5 file"});
  const std::string nowhere = temp("no/such/dir/out.h5");
  expect_throw_with<UserError>([&] { File::create(nowhere); }, {nowhere});
}

TEST_F(IoTest, MovedFileStaysOpenAndClosedFileIsLogicError) {
  const std::string path = temp("moved.h5");
  File first = File::create(path);
  File second = std::move(first);
  EXPECT_TRUE(second.is_open());
  EXPECT_EQ(second.path(), path);
  second.root().create_group("g");
  second.flush();
  second.close();
  EXPECT_FALSE(second.is_open());
  expect_throw_with<std::logic_error>([&] { second.root(); }, {path});
  EXPECT_TRUE(File::open(path).root().has("g"));
}

TEST_F(IoTest, ReadOnlyFileRejectsWrites) {
  const std::string path = temp("ro.h5");
  File::create(path).root().create_dataset<float>("x", {});
  File file = File::open(path);
  Dataset dataset = file.root().open_dataset("x");
  expect_throw_with<UserError>([&] { dataset.append(std::vector<float>{1}); }, {path, "/x"});
  expect_throw_with<UserError>([&] { file.root().set_attribute("a", 1.0); }, {path, "'a'"});
}

// ----------------------------------------------------------------------------------------------
// HDF5 attributes

TEST_F(IoTest, AttributesOnRootGroupAndDataset) {
  const std::string path = temp("attrs.h5");
  {
    File file = File::create(path);
    Group root = file.root();
    Group group = root.create_group("g");
    Dataset dataset = group.create_dataset<float>("d", {2});
    root.set_attribute("seed", int64_t{-1234567890123});
    root.set_attribute("lr", 2.5e-4);
    root.set_attribute("name", "λ run ✓");
    group.set_attribute("count", 7);  // int converts to int64
    group.set_attribute("fixed", std::string("abc"), StringLength::kFixed);
    group.set_attribute("empty", "", StringLength::kFixed);
    dataset.set_attribute("units", "seconds");
    dataset.set_attribute("scale", 0.5);
    dataset.set_attribute("units", "frames");  // replaces the string
    dataset.set_attribute("scale", 3);         // replaces a double by an int
  }
  File file = File::open(path);
  Group root = file.root();
  Group group = root.open_group("g");
  Dataset dataset = group.open_dataset("d");
  EXPECT_EQ(root.int_attribute("seed"), -1234567890123);
  EXPECT_EQ(root.double_attribute("lr"), 2.5e-4);
  EXPECT_EQ(root.string_attribute("name"), "λ run ✓");
  EXPECT_EQ(group.int_attribute("count"), 7);
  EXPECT_EQ(group.string_attribute("fixed"), "abc");
  EXPECT_EQ(group.string_attribute("empty"), "");
  EXPECT_EQ(dataset.string_attribute("units"), "frames");
  EXPECT_EQ(dataset.int_attribute("scale"), 3);
  EXPECT_TRUE(dataset.has_attribute("units"));
  EXPECT_FALSE(dataset.has_attribute("missing"));
  EXPECT_EQ(root.attribute_names(), (std::vector<std::string>{"lr", "name", "seed"}));
  EXPECT_EQ(dataset.attribute_names(), (std::vector<std::string>{"scale", "units"}));
  expect_throw_with<UserError>([&] { dataset.double_attribute("scale"); },
                               {path, "'scale'", "/g/d", "int64"});
  expect_throw_with<UserError>([&] { root.int_attribute("name"); }, {path, "'name'", "string"});
}

TEST_F(IoTest, MissingAttributeNamesAttributeAndFile) {
  const std::string path = temp("noattr.h5");
  File file = File::create(path);
  Group group = file.root().create_group("metrics");
  expect_throw_with<UserError>([&] { group.string_attribute("units"); },
                               {path, "'units'", "/metrics", "not found"});
  expect_throw_with<UserError>([&] { file.root().double_attribute("lr"); }, {path, "'lr'"});
}

// ----------------------------------------------------------------------------------------------
// SWMR and h5py

TEST_F(IoTest, SwmrReaderSeesFlushedRowsWhileWriterIsOpen) {
  const std::string path = temp("swmr.h5");
  File writer = File::create(path);
  Dataset written = writer.root().create_dataset<double>("loss", {2});
  writer.start_swmr_write();
  written.append(std::vector<double>{1, 2, 3, 4, 5, 6});
  written.flush();

  File reader = File::open(path, File::Mode::kSwmrRead);
  Dataset read = reader.root().open_dataset("loss");
  EXPECT_EQ(read.rows(), 3u);
  EXPECT_EQ(read.read<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));

  written.append(std::vector<double>{7, 8});
  written.flush();
  read.refresh();
  EXPECT_EQ(read.rows(), 4u);
  EXPECT_EQ(read.read_rows<double>(3, 1), (std::vector<double>{7, 8}));
}

// Runs a shell command and returns its standard output; `status` gets the exit status.
std::string run_command(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return output;
  }
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  *status = pclose(pipe);
  return output;
}

// A Python interpreter that can import h5py, or "" if there is none.
std::string python_with_h5py() {
  for (const char* python : {"python3", "/usr/bin/python3"}) {
    int status = 0;
    run_command(std::string(python) + " -c 'import h5py' >/dev/null 2>&1", &status);
    if (status == 0) return python;
  }
  return "";
}

TEST_F(IoTest, H5pyReadsOurFile) {
  const std::string python = python_with_h5py();
  if (python.empty()) GTEST_SKIP() << "no python3 with h5py (python3 -c 'import h5py' failed)";
  const std::string path = temp("interop.h5");
  {
    File file = File::create(path);
    Group root = file.root();
    root.set_attribute("name", "spiral ✓");
    root.set_attribute("steps", int64_t{123456789012});
    Dataset dataset = root.create_group("metrics").create_dataset<float>("loss", {2});
    dataset.append(std::vector<float>{0.5f, -1.25f, 3.0f, 1e-3f, 7.75f, 100.0f});
    dataset.set_attribute("units", "nats", StringLength::kFixed);
  }
  const std::string script = temp("read.py");
  std::ofstream(script) << R"(import sys, h5py
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(sys.argv[1], 'r') as f:
    d = f['metrics/loss']
    print(d.shape, d.dtype, d.maxshape)
    print(' '.join(repr(float(v)) for v in d[()].ravel()))
    print(text(f.attrs['name']))
    print(int(f.attrs['steps']), f.attrs['steps'].dtype)
    print(text(d.attrs['units']))
)";
  int status = 0;
  const std::string output = run_command(
      "PYTHONIOENCODING=utf-8 " + python + " " + script + " " + path + " 2>&1", &status);
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(output,
            "(3, 2) float32 (None, 2)\n"
            "0.5 -1.25 3.0 0.0010000000474974513 7.75 100.0\n"
            "spiral ✓\n"
            "123456789012 int64\n"
            "nats\n");
}

TEST_F(IoTest, H5pyReadsRowsWhileOurWriterIsOpen) {
  const std::string python = python_with_h5py();
  if (python.empty()) GTEST_SKIP() << "no python3 with h5py (python3 -c 'import h5py' failed)";
  const std::string path = temp("live.h5");
  File writer = File::create(path);
  Dataset series = writer.root().create_dataset<int64_t>("frames", {});
  writer.start_swmr_write();
  const std::string script = temp("live.py");
  std::ofstream(script) << R"(import sys, h5py
with h5py.File(sys.argv[1], 'r', libver='latest', swmr=True) as f:
    print(' '.join(str(int(v)) for v in f['frames'][()]))
)";
  const std::string command = python + " " + script + " " + path + " 2>&1";
  for (int64_t round = 1; round <= 2; ++round) {
    series.append(std::vector<int64_t>{round * 10, round * 10 + 1});
    series.flush();
    int status = 0;
    const std::string output = run_command(command, &status);
    ASSERT_EQ(status, 0) << output;
    EXPECT_EQ(output, round == 1 ? "10 11\n" : "10 11 20 21\n");
  }
}

// ----------------------------------------------------------------------------------------------
// PNG

Image make_image(int height, int width, int channels, int seed) {
  Image image{height, width, channels, {}};
  image.pixels.resize(static_cast<size_t>(height) * width * channels);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>((i * 31 + seed * 17) % 256);
  }
  return image;
}

TEST_F(IoTest, PngGrayAndRgbRoundTripExactly) {
  for (int channels : {1, 3}) {
    const std::string path = temp("image" + std::to_string(channels) + ".png");
    const Image image = make_image(13, 21, channels, channels);
    write_png(path, image);
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    const Image back = read_png(path);
    EXPECT_EQ(back.height, 13);
    EXPECT_EQ(back.width, 21);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, image.pixels);
  }
}

TEST_F(IoTest, WritePngRejectsBadImagesAndLeavesNoFile) {
  Image bad = make_image(4, 4, 3, 0);
  bad.pixels.pop_back();
  EXPECT_THROW(write_png(temp("bad.png"), bad), std::invalid_argument);
  const std::string nowhere = temp("no/such/dir/out.png");
  expect_throw_with<UserError>([&] { write_png(nowhere, make_image(2, 2, 1, 0)); }, {nowhere});
  EXPECT_TRUE(fs::is_empty(dir_));
}

// Writes a PNG with raw libpng: `rows` are packed rows at `bit_depth`. Returns false on error.
bool write_raw_png(const char* path, int width, int height, int bit_depth, int color_type,
                   png_bytepp rows, png_colorp palette, int palette_size) {
  FILE* file = fopen(path, "wb");
  if (file == nullptr) return false;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(file);
    return false;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette != nullptr) png_set_PLTE(png, info, palette, palette_size);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return fclose(file) == 0;
}

TEST_F(IoTest, OneBitGrayPngReadsAs0And255) {
  // 10 x 2, like Omniglot's 1-bit strokes: row 0 = 1010110000, row 1 = 0111111111.
  png_byte row0[2] = {0b10101100, 0b00000000};
  png_byte row1[2] = {0b01111111, 0b11000000};
  png_bytep rows[2] = {row0, row1};
  const std::string path = temp("onebit.png");
  ASSERT_TRUE(write_raw_png(path.c_str(), 10, 2, 1, PNG_COLOR_TYPE_GRAY, rows, nullptr, 0));
  const Image image = read_png(path);
  ASSERT_EQ(image.channels, 1);
  ASSERT_EQ(image.height, 2);
  ASSERT_EQ(image.width, 10);
  const std::vector<uint8_t> expected = {255, 0,   255, 0,   255, 255, 0,   0,   0,   0,
                                         0,   255, 255, 255, 255, 255, 255, 255, 255, 255};
  EXPECT_EQ(image.pixels, expected);
}

TEST_F(IoTest, PalettePngReadsAsRgb) {
  png_color palette[2] = {{10, 20, 30}, {200, 100, 50}};
  png_byte row0[1] = {0b01000000};  // 2-bit indices 1, 0
  png_bytep rows[1] = {row0};
  const std::string path = temp("palette.png");
  ASSERT_TRUE(write_raw_png(path.c_str(), 2, 1, 2, PNG_COLOR_TYPE_PALETTE, rows, palette, 2));
  const Image image = read_png(path);
  ASSERT_EQ(image.channels, 3);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{200, 100, 50, 10, 20, 30}));
}

TEST_F(IoTest, BrokenPngsAreUserErrors) {
  const std::string missing = temp("missing.png");
  expect_throw_with<UserError>([&] { read_png(missing); }, {missing});

  const std::string text = temp("text.png");
  std::ofstream(text) << "definitely not a PNG image";
  expect_throw_with<UserError>([&] { read_png(text); }, {text, "not a PNG"});

  const std::string good = temp("good.png");
  write_png(good, make_image(40, 40, 3, 5));
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Cut inside the image data, inside the header, and corrupt one byte of the image data.
  for (size_t cut : {bytes.size() / 2, size_t{20}}) {
    const std::string truncated = temp("truncated" + std::to_string(cut) + ".png");
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, cut);
    expect_throw_with<UserError>([&] { read_png(truncated); }, {truncated, "PNG"});
  }
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x5a;
  const std::string corrupt = temp("corrupt.png");
  std::ofstream(corrupt, std::ios::binary) << flipped;
  expect_throw_with<UserError>([&] { read_png(corrupt); }, {corrupt, "corrupt"});
}

}  // namespace
}  // namespace spiral::io
