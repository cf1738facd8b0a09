#include "spiral/io/hdf5.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::io {
namespace {

// Turns off HDF5's printing of its error stack (per thread in thread-safe builds); we throw.
void silence_hdf5() {
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

herr_t innermost_error(unsigned n, const H5E_error2_t* error, void* data) {
  if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(data) = error->desc;
  return 0;
}

// HDF5 frees its objects at exit unless told not to; after a failed close (a full disk) that
// cleanup dereferences a half-closed file and crashes a process that was exiting cleanly.
[[maybe_unused]] const bool kNoCleanupAtExit = [] {
  H5dont_atexit();
  return true;
}();

// " (HDF5: <innermost message>)" for the failure that just happened, or "". A failed system
// call's long report is cut to its first words and the system's message.
std::string hdf5_detail() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &message);
  H5Eclear2(H5E_DEFAULT);
  const std::string marker = "error message = '";
  const size_t system = message.find(marker);
  if (system != std::string::npos) {
    const size_t start = system + marker.size();
    message = message.substr(0, message.find(':')) + ": " +
              message.substr(start, message.find('\'', start) - start);
  }
  return message.empty() ? "" : " (HDF5: " + message + ")";
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Human-readable name of an HDF5 datatype, e.g. "int32", "float64", "string".
std::string describe_type(hid_t type) {
  const size_t bits = 8 * H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_FLOAT:
      return "float" + std::to_string(bits);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "vlen";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_REFERENCE:
      return "reference";
    default:
      return "unknown type";
  }
}

bool same_element_type(hid_t a, hid_t b) {
  const H5T_class_t cls = H5Tget_class(a);
  if (cls != H5Tget_class(b) || H5Tget_size(a) != H5Tget_size(b)) return false;
  if (cls == H5T_INTEGER) return H5Tget_sign(a) == H5Tget_sign(b);
  return cls == H5T_FLOAT;
}

std::vector<hsize_t> dims_of(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

size_t product(const std::vector<size_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), size_t{1},
                         [](size_t a, size_t b) { return a * b; });
}

Handle link_create_plist() {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8);
  return lcpl;
}

Handle string_type(size_t size, H5T_cset_t cset) {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), size);
  H5Tset_cset(type.get(), cset);
  return type;
}

herr_t collect_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  } catch (...) {
    return -1;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Handle

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
  }
  return *this;
}

bool Handle::reset() {
  if (id_ < 0) return true;
  const hid_t id = std::exchange(id_, H5I_INVALID_HID);
  herr_t status = 0;
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      status = H5Fclose(id);
      break;
    case H5I_GROUP:
      status = H5Gclose(id);
      break;
    case H5I_DATASET:
      status = H5Dclose(id);
      break;
    case H5I_ATTR:
      status = H5Aclose(id);
      break;
    case H5I_DATASPACE:
      status = H5Sclose(id);
      break;
    case H5I_GENPROP_LST:
      status = H5Pclose(id);
      break;
    case H5I_DATATYPE:
      status = H5Tclose(id);
      break;
    default:
      status = -1;  // not an identifier we know how to close (or already invalid)
  }
  return status >= 0;
}

// ---------------------------------------------------------------------------------------------
// AttributeHolder

std::string AttributeHolder::where(const std::string& what) const {
  return file_path_ + ": " + what;
}

std::string AttributeHolder::child_path(const std::string& name) const {
  if (!name.empty() && name.front() == '/') return name;
  return path_ == "/" ? "/" + name : path_ + "/" + name;
}

Handle AttributeHolder::create_attribute(const std::string& name, hid_t type) {
  if (name.empty()) throw std::invalid_argument(where("empty attribute name on " + path_));
  if (has_attribute(name) && H5Adelete(id(), name.c_str()) < 0) {
    throw UserError(
        where("cannot replace attribute " + quoted(name) + " of " + path_ + hdf5_detail()));
  }
  Handle space(H5Screate(H5S_SCALAR));
  Handle acpl(H5Pcreate(H5P_ATTRIBUTE_CREATE));
  H5Pset_char_encoding(acpl.get(), H5T_CSET_UTF8);
  Handle attribute(H5Acreate2(id(), name.c_str(), type, space.get(), acpl.get(), H5P_DEFAULT));
  if (!attribute.valid()) {
    throw UserError(
        where("cannot write attribute " + quoted(name) + " of " + path_ + hdf5_detail()));
  }
  return attribute;
}

void AttributeHolder::set_attribute(const std::string& name, double value) {
  Handle attribute = create_attribute(name, H5T_NATIVE_DOUBLE);
  if (H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &value) < 0) {
    throw UserError(where("cannot write attribute " + quoted(name) + hdf5_detail()));
  }
}

void AttributeHolder::set_int_attribute(const std::string& name, int64_t value) {
  Handle attribute = create_attribute(name, H5T_NATIVE_INT64);
  if (H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value) < 0) {
    throw UserError(where("cannot write attribute " + quoted(name) + hdf5_detail()));
  }
}

void AttributeHolder::set_attribute(const std::string& name, const std::string& value,
                                    StringLength length) {
  herr_t status = 0;
  if (length == StringLength::kVariable) {
    Handle type = string_type(H5T_VARIABLE, H5T_CSET_UTF8);
    Handle attribute = create_attribute(name, type.get());
    const char* text = value.c_str();
    status = H5Awrite(attribute.get(), type.get(), &text);
  } else {
    Handle type = string_type(value.empty() ? 1 : value.size(), H5T_CSET_UTF8);
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
    Handle attribute = create_attribute(name, type.get());
    std::string padded = value.empty() ? std::string(1, '\0') : value;
    status = H5Awrite(attribute.get(), type.get(), padded.data());
  }
  if (status < 0) {
    throw UserError(where("cannot write attribute " + quoted(name) + hdf5_detail()));
  }
}

bool AttributeHolder::has_attribute(const std::string& name) const {
  return H5Aexists(id(), name.c_str()) > 0;
}

std::vector<std::string> AttributeHolder::attribute_names() const {
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names) < 0) {
    throw UserError(where("cannot list attributes of " + path_ + hdf5_detail()));
  }
  return names;
}

Handle AttributeHolder::open_attribute(const std::string& name, H5T_class_t expected_class,
                                       const char* expected) const {
  if (!has_attribute(name)) {
    throw UserError(where("attribute " + quoted(name) + " of " + path_ + " not found"));
  }
  Handle attribute(H5Aopen(id(), name.c_str(), H5P_DEFAULT));
  if (!attribute.valid()) {
    throw UserError(
        where("cannot read attribute " + quoted(name) + " of " + path_ + hdf5_detail()));
  }
  Handle type(H5Aget_type(attribute.get()));
  Handle space(H5Aget_space(attribute.get()));
  const std::string what = "attribute " + quoted(name) + " of " + path_;
  if (H5Tget_class(type.get()) != expected_class) {
    throw UserError(where(what + " is " + describe_type(type.get()) + ", expected " + expected));
  }
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw UserError(where(what + " has " +
                          std::to_string(H5Sget_simple_extent_npoints(space.get())) +
                          " elements, expected a scalar " + expected));
  }
  return attribute;
}

double AttributeHolder::double_attribute(const std::string& name) const {
  Handle attribute = open_attribute(name, H5T_FLOAT, "a floating-point number");
  double value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value) < 0) {
    throw UserError(where("cannot read attribute " + quoted(name) + hdf5_detail()));
  }
  return value;
}

int64_t AttributeHolder::int_attribute(const std::string& name) const {
  Handle attribute = open_attribute(name, H5T_INTEGER, "an integer");
  int64_t value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) < 0) {
    throw UserError(where("cannot read attribute " + quoted(name) + hdf5_detail()));
  }
  return value;
}

std::string AttributeHolder::string_attribute(const std::string& name) const {
  Handle attribute = open_attribute(name, H5T_STRING, "a string");
  Handle stored(H5Aget_type(attribute.get()));
  const H5T_cset_t cset = H5Tget_cset(stored.get());
  if (H5Tis_variable_str(stored.get()) > 0) {
    Handle type = string_type(H5T_VARIABLE, cset);
    char* text = nullptr;
    if (H5Aread(attribute.get(), type.get(), &text) < 0) {
      throw UserError(where("cannot read attribute " + quoted(name) + hdf5_detail()));
    }
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(stored.get()), '\0');
  if (H5Aread(attribute.get(), stored.get(), value.data()) < 0) {
    throw UserError(where("cannot read attribute " + quoted(name) + hdf5_detail()));
  }
  if (H5Tget_strpad(stored.get()) == H5T_STR_SPACEPAD) {
    value.erase(value.find_last_not_of(' ') + 1);
  } else {
    value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Dataset

Dataset::Dataset(Handle handle, std::string file_path, std::string path)
    : AttributeHolder(std::move(handle), std::move(file_path), std::move(path)),
      type_(H5Dget_type(id())) {
  Handle space(H5Dget_space(id()));
  const std::vector<hsize_t> dims = dims_of(space.get());
  rank_ = static_cast<int>(dims.size());
  for (size_t i = 1; i < dims.size(); ++i) row_shape_.push_back(static_cast<size_t>(dims[i]));
}

size_t Dataset::rows() const {
  if (rank_ == 0) return 1;
  Handle space(H5Dget_space(id()));
  return static_cast<size_t>(dims_of(space.get()).at(0));
}

size_t Dataset::row_size() const { return product(row_shape_); }

std::vector<size_t> Dataset::shape() const {
  if (rank_ == 0) return {};
  std::vector<size_t> shape{rows()};
  shape.insert(shape.end(), row_shape_.begin(), row_shape_.end());
  return shape;
}

std::string Dataset::type_name() const { return describe_type(type_.get()); }

size_t Dataset::rows_in(size_t elements) const {
  const size_t row = row_size();
  if (row == 0 ? elements != 0 : elements % row != 0) {
    throw std::invalid_argument(where("cannot append " + std::to_string(elements) +
                                      " elements to " + path() + ": not a multiple of the " +
                                      std::to_string(row) + " elements in a row"));
  }
  return row == 0 ? 0 : elements / row;
}

void Dataset::check_type(hid_t mem_type) const {
  if (!same_element_type(type_.get(), mem_type)) {
    throw UserError(where("dataset " + path() + " holds " + type_name() + ", expected " +
                          describe_type(mem_type)));
  }
}

void Dataset::append_raw(hid_t mem_type, const void* data, size_t rows) {
  check_type(mem_type);
  Handle space(H5Dget_space(id()));
  std::vector<hsize_t> dims = dims_of(space.get());
  std::vector<hsize_t> max_dims(dims.size());
  if (!dims.empty()) H5Sget_simple_extent_dims(space.get(), nullptr, max_dims.data());
  if (dims.empty() || max_dims[0] != H5S_UNLIMITED) {
    throw UserError(where("dataset " + path() + " has a fixed size, expected an extendible one"));
  }
  if (rows == 0) return;
  if (data == nullptr) throw std::invalid_argument(where("null data appended to " + path()));
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> count = dims;
  start[0] = dims[0];
  count[0] = rows;
  dims[0] += rows;
  if (H5Dset_extent(id(), dims.data()) < 0) {
    throw UserError(where("cannot extend dataset " + path() + hdf5_detail()));
  }
  Handle file_space(H5Dget_space(id()));
  Handle memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                          nullptr) < 0 ||
      H5Dwrite(id(), mem_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
    throw UserError(where("cannot append to dataset " + path() + hdf5_detail()));
  }
}

void Dataset::read_raw(hid_t mem_type, void* out, size_t first, size_t count) const {
  check_type(mem_type);
  const size_t total = rows();
  if (first > total || count > total - first) {
    throw std::out_of_range(where("cannot read rows [" + std::to_string(first) + ", " +
                                  std::to_string(first + count) + ") of dataset " + path() +
                                  ", which has " + std::to_string(total) + " rows"));
  }
  if (count == 0 || row_size() == 0) return;
  herr_t status = 0;
  if (rank_ == 0) {
    status = H5Dread(id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
  } else {
    Handle file_space(H5Dget_space(id()));
    std::vector<hsize_t> start(rank_, 0);
    std::vector<hsize_t> counts = dims_of(file_space.get());
    start[0] = first;
    counts[0] = count;
    Handle memory_space(H5Screate_simple(rank_, counts.data(), nullptr));
    status = H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                 counts.data(), nullptr);
    if (status >= 0) {
      status = H5Dread(id(), mem_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out);
    }
  }
  if (status < 0) throw UserError(where("cannot read dataset " + path() + hdf5_detail()));
}

void Dataset::flush() {
  if (H5Dflush(id()) < 0) throw UserError(where("cannot flush dataset " + path() + hdf5_detail()));
}

void Dataset::refresh() {
  if (H5Drefresh(id()) < 0) {
    throw UserError(where("cannot refresh dataset " + path() + hdf5_detail()));
  }
}

// ---------------------------------------------------------------------------------------------
// Group

bool Group::has(const std::string& name) const {
  std::string prefix = !name.empty() && name.front() == '/' ? "/" : "";
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string::npos) end = name.size();
    if (end > begin) {
      if (!prefix.empty() && prefix.back() != '/') prefix += '/';
      prefix += name.substr(begin, end - begin);
      if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    begin = end + 1;
  }
  return true;
}

std::vector<std::string> Group::names() const {
  H5G_info_t info;
  if (H5Gget_info(id(), &info) < 0) {
    throw UserError(where("cannot list group " + path() + hdf5_detail()));
  }
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) throw UserError(where("cannot list group " + path() + hdf5_detail()));
    std::string name(static_cast<size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(size));
    names.push_back(std::move(name));
  }
  return names;
}

void Group::check_new(const std::string& name) const {
  if (name.empty()) throw std::invalid_argument(where("empty object name in " + path()));
  if (has(name)) throw std::logic_error(where(child_path(name) + " already exists"));
}

Group Group::create_group(const std::string& name) {
  check_new(name);
  Handle lcpl = link_create_plist();
  Handle group(H5Gcreate2(id(), name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!group.valid()) {
    throw UserError(where("cannot create group " + child_path(name) + hdf5_detail()));
  }
  return Group(std::move(group), file_path(), child_path(name));
}

Group Group::open_group(const std::string& name) const {
  if (!has(name)) throw UserError(where("group " + child_path(name) + " not found"));
  Handle group(H5Gopen2(id(), name.c_str(), H5P_DEFAULT));
  if (!group.valid()) {
    H5Eclear2(H5E_DEFAULT);
    throw UserError(where(child_path(name) + " is not a group"));
  }
  return Group(std::move(group), file_path(), child_path(name));
}

Dataset Group::open_dataset(const std::string& name) const {
  if (!has(name)) throw UserError(where("dataset " + child_path(name) + " not found"));
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT));
  if (!dataset.valid()) {
    H5Eclear2(H5E_DEFAULT);
    throw UserError(where(child_path(name) + " is not a dataset"));
  }
  return Dataset(std::move(dataset), file_path(), child_path(name));
}

Dataset Group::create_dataset_raw(const std::string& name, hid_t type, size_t element_size,
                                  const std::vector<size_t>& row_shape,
                                  const DatasetOptions& options) {
  check_new(name);
  if (options.compression < 0 || options.compression > 9) {
    throw std::invalid_argument(where("gzip level " + std::to_string(options.compression) +
                                      " for " + child_path(name) + ", expected 0..9"));
  }
  for (size_t extent : row_shape) {
    if (extent == 0) {
      throw std::invalid_argument(where("row shape of " + child_path(name) + " has a zero extent"));
    }
  }
  const size_t row_bytes = element_size * product(row_shape);
  constexpr size_t kTargetChunkBytes = 64 * 1024;
  size_t chunk_rows = options.chunk_rows;
  if (chunk_rows == 0) chunk_rows = std::max<size_t>(1, kTargetChunkBytes / row_bytes);

  std::vector<hsize_t> dims{0};
  std::vector<hsize_t> max_dims{H5S_UNLIMITED};
  std::vector<hsize_t> chunk{chunk_rows};
  for (size_t extent : row_shape) {
    dims.push_back(extent);
    max_dims.push_back(extent);
    chunk.push_back(extent);
  }
  const int rank = static_cast<int>(dims.size());
  Handle space(H5Screate_simple(rank, dims.data(), max_dims.data()));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  herr_t status = H5Pset_chunk(dcpl.get(), rank, chunk.data());
  if (status >= 0 && options.compression > 0) {
    status = H5Pset_shuffle(dcpl.get());
    if (status >= 0)
      status = H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.compression));
  }
  if (status < 0) {
    throw std::invalid_argument(where("bad chunking for " + child_path(name) + hdf5_detail()));
  }
  Handle lcpl = link_create_plist();
  Handle dataset(
      H5Dcreate2(id(), name.c_str(), type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT));
  if (!dataset.valid()) {
    throw UserError(where("cannot create dataset " + child_path(name) + hdf5_detail()));
  }
  return Dataset(std::move(dataset), file_path(), child_path(name));
}

Dataset Group::write_array_raw(const std::string& name, hid_t type,
                               const std::vector<size_t>& shape, const void* data, size_t size) {
  check_new(name);
  if (product(shape) != size) {
    throw std::invalid_argument(where("array " + child_path(name) + " has " + std::to_string(size) +
                                      " elements, its shape needs " +
                                      std::to_string(product(shape))));
  }
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(shape.empty()
                   ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Handle lcpl = link_create_plist();
  Handle dataset(
      H5Dcreate2(id(), name.c_str(), type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset.valid() ||
      (size > 0 && H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)) {
    throw UserError(where("cannot write dataset " + child_path(name) + hdf5_detail()));
  }
  return Dataset(std::move(dataset), file_path(), child_path(name));
}

// ---------------------------------------------------------------------------------------------
// File

namespace {

Handle latest_format_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  return fapl;
}

}  // namespace

File File::create(const std::string& path, size_t user_block) {
  silence_hdf5();
  Handle fapl = latest_format_access();
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
  if (!fcpl.valid() || H5Pset_userblock(fcpl.get(), user_block) < 0) {
    throw std::logic_error("HDF5 user block of " + std::to_string(user_block) + " bytes");
  }
  Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()));
  if (!file.valid()) throw UserError(path + ": cannot create HDF5 file" + hdf5_detail());
  return File(std::move(file), path);
}

File File::open(const std::string& path, Mode mode) {
  silence_hdf5();
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) throw UserError(path + ": no such file");
  if (!std::filesystem::is_regular_file(status)) {
    throw UserError(path + ": not a regular file, expected an HDF5 file");
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw UserError(path + ": not an HDF5 file");
  }
  unsigned flags = H5F_ACC_RDONLY;
  if (mode == Mode::kReadWrite) flags = H5F_ACC_RDWR;
  if (mode == Mode::kSwmrRead) flags = H5F_ACC_RDONLY | H5F_ACC_SWMR_READ;
  Handle fapl = latest_format_access();
  Handle file(H5Fopen(path.c_str(), flags, fapl.get()));
  if (!file.valid()) throw UserError(path + ": cannot open HDF5 file" + hdf5_detail());
  return File(std::move(file), path);
}

hid_t File::checked_id() const {
  if (!handle_.valid()) throw std::logic_error(path_ + ": HDF5 file used after close");
  return handle_.get();
}

Group File::root() const {
  Handle group(H5Gopen2(checked_id(), "/", H5P_DEFAULT));
  if (!group.valid()) throw UserError(path_ + ": cannot open root group" + hdf5_detail());
  return Group(std::move(group), path_, "/");
}

void File::start_swmr_write() {
  if (H5Fstart_swmr_write(checked_id()) < 0) {
    throw std::logic_error(path_ + ": cannot start SWMR writing" + hdf5_detail());
  }
}

void File::flush() {
  if (H5Fflush(checked_id(), H5F_SCOPE_GLOBAL) < 0) {
    throw UserError(path_ + ": cannot flush HDF5 file" + hdf5_detail());
  }
}

void File::close() {
  if (handle_.valid() && !handle_.reset()) {
    throw UserError(path_ + ": error while closing HDF5 file" + hdf5_detail());
  }
}

}  // namespace spiral::io
