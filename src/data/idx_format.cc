// IDX parsing and gzip inflation on memory buffers (no files), so fuzzers can drive them.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/data/idx.h"

namespace spiral::data {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;

// Owns a zlib inflate stream set up for gzip input.
class Inflater {
 public:
  explicit Inflater(const std::string& name) {
    if (inflateInit2(&stream_, 15 + 16) != Z_OK) {
      throw std::runtime_error(name + ": cannot initialise zlib");
    }
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", value);
  return text;
}

std::string dims_text(const std::vector<uint32_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? "x" : "") + std::to_string(dims[i]);
  return text.empty() ? "scalar" : text;
}

uint32_t big_endian32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

}  // namespace

bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

std::vector<uint8_t> gunzip(const uint8_t* data, size_t size, const std::string& name,
                            size_t max_bytes) {
  if (!is_gzip(data, size)) throw UserError(name + ": not a gzip file (bad magic)");
  Inflater inflater(name);
  z_stream& stream = inflater.stream();
  std::vector<uint8_t> out(std::min<size_t>(max_bytes, std::max<size_t>(size * 4, 1 << 16)));
  size_t produced = 0;
  size_t consumed = 0;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= max_bytes) {
        throw UserError(name + ": gzip data inflates to more than " + std::to_string(max_bytes) +
                        " bytes");
      }
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    const size_t in_chunk = std::min<size_t>(size - consumed, 1u << 30);
    const size_t out_chunk = std::min<size_t>(out.size() - produced, 1u << 30);
    stream.next_in = const_cast<Bytef*>(data + consumed);
    stream.avail_in = static_cast<uInt>(in_chunk);
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(out_chunk);
    const int result = inflate(&stream, Z_NO_FLUSH);
    consumed += in_chunk - stream.avail_in;
    produced += out_chunk - stream.avail_out;
    if (result == Z_STREAM_END) {
      if (consumed == size) break;
      if (!is_gzip(data + consumed, size - consumed)) {
        throw UserError(name + ": corrupt gzip (" + std::to_string(size - consumed) +
                        " bytes of trailing garbage)");
      }
      inflateReset(&stream);  // the next member of a concatenated gzip file
      continue;
    }
    if (result == Z_BUF_ERROR && consumed == size && stream.avail_out > 0) {
      throw UserError(name + ": truncated gzip (unexpected end of data after " +
                      std::to_string(size) + " bytes)");
    }
    if (result != Z_OK && result != Z_BUF_ERROR) {
      throw UserError(name + ": corrupt gzip (" +
                      (stream.msg != nullptr ? stream.msg : "error " + std::to_string(result)) +
                      ")");
    }
  }
  out.resize(produced);
  return out;
}

IdxArray parse_idx(const uint8_t* data, size_t size, const std::string& name, int rank) {
  if (size < 4) {
    throw UserError(name + ": not an IDX file (" + std::to_string(size) + " bytes, no header)");
  }
  const uint32_t magic = big_endian32(data);
  const int type = data[2];
  const int dims = data[3];
  const std::string expected =
      rank > 0 ? hex32(0x800u + static_cast<uint32_t>(rank)) : std::string("0x000008NN");
  if (data[0] != 0 || data[1] != 0 || dims == 0 || (rank > 0 && dims != rank)) {
    throw UserError(name + ": bad IDX magic " + hex32(magic) + " (expected " + expected +
                    ": unsigned bytes, " +
                    (rank > 0 ? std::to_string(rank) + " dimensions" : "any dimensions") + ")");
  }
  if (type != kUnsignedByte) {
    throw UserError(name + ": IDX element type " + hex32(magic) + " is not supported (expected " +
                    expected + ": unsigned bytes)");
  }
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (size < header) {
    throw UserError(name + ": truncated IDX header (" + std::to_string(size) + " bytes, expected " +
                    std::to_string(header) + " for " + std::to_string(dims) + " dimensions)");
  }
  IdxArray array;
  uint64_t elements = 1;
  bool overflow = false;
  for (int d = 0; d < dims; ++d) {
    const uint32_t extent = big_endian32(data + 4 + 4 * d);
    array.dims.push_back(extent);
    if (extent != 0 && elements > (uint64_t{1} << 48) / extent) overflow = true;
    elements *= extent;
  }
  const size_t payload = size - header;
  if (overflow || elements != payload) {
    throw UserError(name + ": IDX dimensions " + dims_text(array.dims) + " need " +
                    (overflow ? std::string("too many") : std::to_string(elements)) +
                    " bytes of data, the file holds " + std::to_string(payload));
  }
  array.data.assign(data + header, data + size);
  return array;
}

IdxArray decode_idx(const uint8_t* data, size_t size, const std::string& name, int rank,
                    size_t max_bytes) {
  if (!is_gzip(data, size)) return parse_idx(data, size, name, rank);
  const std::vector<uint8_t> raw = gunzip(data, size, name, max_bytes);
  return parse_idx(raw.data(), raw.size(), name, rank);
}

}  // namespace spiral::data
