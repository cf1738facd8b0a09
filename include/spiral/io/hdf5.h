// HDF5 files with RAII handles: groups, attributes, extendible chunked datasets, SWMR.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace spiral::io {

// Maps a C++ element type to its native HDF5 type; the one place this mapping lives.
template <typename T>
struct H5Type;
template <>
struct H5Type<uint8_t> {
  static hid_t native() { return H5T_NATIVE_UINT8; }
};
template <>
struct H5Type<int32_t> {
  static hid_t native() { return H5T_NATIVE_INT32; }
};
template <>
struct H5Type<int64_t> {
  static hid_t native() { return H5T_NATIVE_INT64; }
};
template <>
struct H5Type<float> {
  static hid_t native() { return H5T_NATIVE_FLOAT; }
};
template <>
struct H5Type<double> {
  static hid_t native() { return H5T_NATIVE_DOUBLE; }
};

// Owns one HDF5 identifier (file, group, dataset, attribute, dataspace, property list or
// datatype) and closes it with the matching H5*close function. Move-only.
class Handle {
 public:
  Handle() = default;
  // Takes ownership of `id`; a negative id makes an empty handle.
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  // The identifier, or H5I_INVALID_HID when empty.
  hid_t get() const { return id_; }
  // Whether this handle owns an identifier.
  bool valid() const { return id_ >= 0; }
  // Closes the identifier now; returns false if HDF5 reported an error while closing.
  bool reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Options of an extendible dataset.
struct DatasetOptions {
  // Rows per chunk; 0 picks enough rows for about 64 KiB (at least 1).
  size_t chunk_rows = 0;
  // gzip level 0..9 (0 = no compression); with compression the shuffle filter is on too.
  int compression = 4;
};

// How a string attribute is stored.
enum class StringLength { kVariable, kFixed };

// Attribute access shared by groups (the file root included) and datasets.
class AttributeHolder {
 public:
  // Sets a scalar attribute, replacing any attribute of that name.
  void set_attribute(const std::string& name, double value);
  // Sets a scalar int64 attribute (any integer type converts), replacing any of that name.
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  void set_attribute(const std::string& name, T value) {
    set_int_attribute(name, static_cast<int64_t>(value));
  }
  // Sets a UTF-8 string attribute, replacing any of that name.
  void set_attribute(const std::string& name, const std::string& value,
                     StringLength length = StringLength::kVariable);
  void set_attribute(const std::string& name, const char* value,
                     StringLength length = StringLength::kVariable) {
    set_attribute(name, std::string(value), length);
  }

  // Whether an attribute of that name exists.
  bool has_attribute(const std::string& name) const;
  // Names of all attributes, in name order.
  std::vector<std::string> attribute_names() const;
  // Reads a scalar floating-point attribute (UserError if missing or not a float).
  double double_attribute(const std::string& name) const;
  // Reads a scalar integer attribute (UserError if missing or not an integer).
  int64_t int_attribute(const std::string& name) const;
  // Reads a string attribute, variable- or fixed-length (UserError if missing or not a string).
  std::string string_attribute(const std::string& name) const;

  // Name of the file this object lives in.
  const std::string& file_path() const { return file_path_; }
  // Absolute path of this object inside the file, e.g. "/metrics/loss".
  const std::string& path() const { return path_; }
  // The HDF5 identifier of this object.
  hid_t id() const { return handle_.get(); }

 protected:
  AttributeHolder(Handle handle, std::string file_path, std::string path)
      : handle_(std::move(handle)), file_path_(std::move(file_path)), path_(std::move(path)) {}
  AttributeHolder(AttributeHolder&&) noexcept = default;
  AttributeHolder& operator=(AttributeHolder&&) noexcept = default;
  ~AttributeHolder() = default;

  // "file: what" for error messages.
  std::string where(const std::string& what) const;
  // Absolute path of a child named `name`.
  std::string child_path(const std::string& name) const;

 private:
  void set_int_attribute(const std::string& name, int64_t value);
  Handle open_attribute(const std::string& name, H5T_class_t expected_class,
                        const char* expected) const;
  Handle create_attribute(const std::string& name, hid_t type);

  Handle handle_;
  std::string file_path_;
  std::string path_;
};

// A dataset whose first dimension counts rows; extendible ones grow by `append`.
class Dataset : public AttributeHolder {
 public:
  Dataset(Dataset&&) noexcept = default;
  Dataset& operator=(Dataset&&) noexcept = default;

  // Number of rows (the first dimension; 1 for a scalar dataset).
  size_t rows() const;
  // Shape of one row (all dimensions after the first).
  const std::vector<size_t>& row_shape() const { return row_shape_; }
  // Elements per row (1 for an empty row shape).
  size_t row_size() const;
  // Full shape: rows followed by the row shape.
  std::vector<size_t> shape() const;
  // Description of the stored element type, e.g. "float32" or "int64".
  std::string type_name() const;

  // Appends `rows` rows read from `data` (rows * row_size() elements).
  template <typename T>
  void append(const T* data, size_t rows) {
    append_raw(H5Type<T>::native(), data, rows);
  }
  // Appends whole rows; data.size() must be a multiple of row_size() (else invalid_argument).
  template <typename T>
  void append(const std::vector<T>& data) {
    append(data.data(), rows_in(data.size()));
  }
  // Reads every row, flattened row-major.
  template <typename T>
  std::vector<T> read() const {
    return read_rows<T>(0, rows());
  }
  // Reads rows [first, first + count), flattened row-major (out_of_range past the end).
  template <typename T>
  std::vector<T> read_rows(size_t first, size_t count) const {
    std::vector<T> out(count * row_size());
    read_raw(H5Type<T>::native(), out.data(), first, count);
    return out;
  }

  // Writes appended rows to the file so that SWMR readers can see them.
  void flush();
  // Re-reads the dataset's extent from the file (for SWMR readers).
  void refresh();

 private:
  friend class Group;
  Dataset(Handle handle, std::string file_path, std::string path);

  size_t rows_in(size_t elements) const;
  void check_type(hid_t mem_type) const;
  void append_raw(hid_t mem_type, const void* data, size_t rows);
  void read_raw(hid_t mem_type, void* out, size_t first, size_t count) const;

  Handle type_;
  int rank_ = 0;
  std::vector<size_t> row_shape_;
};

// A group of named groups and datasets (the file root is one).
class Group : public AttributeHolder {
 public:
  Group(Group&&) noexcept = default;
  Group& operator=(Group&&) noexcept = default;

  // Creates a group (intermediate groups of a path "a/b" too); logic_error if it exists.
  Group create_group(const std::string& name);
  // Opens an existing group (UserError if missing or not a group).
  Group open_group(const std::string& name) const;
  // Whether a link of that name exists; nested paths "a/b" are followed.
  bool has(const std::string& name) const;
  // Names of the direct children, in name order.
  std::vector<std::string> names() const;

  // Creates an empty dataset extendible along its first dimension, each row of `row_shape`
  // (empty for a series of scalars), chunked and compressed as `options` says.
  template <typename T>
  Dataset create_dataset(const std::string& name, const std::vector<size_t>& row_shape,
                         const DatasetOptions& options = {}) {
    return create_dataset_raw(name, H5Type<T>::native(), sizeof(T), row_shape, options);
  }
  // Creates a fixed-size (non-extendible, contiguous) dataset of `shape` and writes `data`.
  template <typename T>
  Dataset write_array(const std::string& name, const std::vector<size_t>& shape,
                      const std::vector<T>& data) {
    return write_array_raw(name, H5Type<T>::native(), shape, data.data(), data.size());
  }
  // Opens an existing dataset (UserError if missing or not a dataset).
  Dataset open_dataset(const std::string& name) const;

 private:
  friend class File;
  Group(Handle handle, std::string file_path, std::string path)
      : AttributeHolder(std::move(handle), std::move(file_path), std::move(path)) {}

  Dataset create_dataset_raw(const std::string& name, hid_t type, size_t element_size,
                             const std::vector<size_t>& row_shape, const DatasetOptions& options);
  Dataset write_array_raw(const std::string& name, hid_t type, const std::vector<size_t>& shape,
                          const void* data, size_t size);
  void check_new(const std::string& name) const;
};

// An n-dimensional array read from a dataset.
template <typename T>
struct Array {
  std::vector<size_t> shape;
  std::vector<T> data;  // row-major
};

// Reads a whole dataset with its shape (UserError if missing or of another element type).
template <typename T>
Array<T> read_array(const Group& group, const std::string& name) {
  Dataset dataset = group.open_dataset(name);
  return Array<T>{dataset.shape(), dataset.read<T>()};
}

// An open HDF5 file. Moving transfers it; destruction or close() closes it.
class File {
 public:
  // How an existing file is opened.
  enum class Mode { kReadOnly, kReadWrite, kSwmrRead };

  // Creates (or truncates) a file with the latest format, so SWMR writing can start later.
  // `user_block` bytes (0, or a power of 2 of at least 512) in front of the HDF5 data are left
  // to the caller (HDF5's user block).
  static File create(const std::string& path, size_t user_block = 0);
  // Opens an existing file (UserError if missing or not an HDF5 file).
  static File open(const std::string& path, Mode mode = Mode::kReadOnly);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File() = default;

  // The file's root group "/".
  Group root() const;
  // Switches to single-writer/multiple-reader mode; create all datasets before this.
  void start_swmr_write();
  // Writes everything buffered to disk.
  void flush();
  // Closes the file now (UserError if HDF5 fails to write it out); later use is a logic_error.
  void close();
  // Whether the file is open.
  bool is_open() const { return handle_.valid(); }
  // The path the file was opened with.
  const std::string& path() const { return path_; }

 private:
  File(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  hid_t checked_id() const;

  Handle handle_;
  std::string path_;
};

}  // namespace spiral::io
