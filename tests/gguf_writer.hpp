#pragma once

// A small GGUF writer for tests: metadata of any value type and a tensor table whose offsets
// follow from the types and shapes, with the data section zero-filled (or left out, for damage).

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace slmroof::testing {

class GgufWriter {
 public:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    uint64_t bytes;
  };

  // Bytes of a tensor of `type` (ggml id) with block `block` of `block_bytes`.
  static uint64_t Size(const std::vector<uint64_t>& ne, uint64_t block, uint64_t block_bytes) {
    uint64_t n = 1;
    for (uint64_t d : ne) {
      n *= d;
    }
    return n / block * block_bytes;
  }

  void Str(const std::string& key, const std::string& value) {
    Key(key, 8);
    String(&kv_, value);
    ++kv_count_;
  }
  void U32(const std::string& key, uint32_t value) {
    Key(key, 4);
    Put(&kv_, value);
    ++kv_count_;
  }
  void F32(const std::string& key, float value) {
    Key(key, 6);
    Put(&kv_, value);
    ++kv_count_;
  }
  void Bool(const std::string& key, bool value) {
    Key(key, 7);
    kv_.push_back(static_cast<char>(value ? 1 : 0));
    ++kv_count_;
  }
  void ArrU32(const std::string& key, const std::vector<uint32_t>& values) {
    Key(key, 9);
    Put(&kv_, uint32_t{4});
    Put(&kv_, static_cast<uint64_t>(values.size()));
    for (uint32_t v : values) {
      Put(&kv_, v);
    }
    ++kv_count_;
  }
  void ArrBool(const std::string& key, const std::vector<bool>& values) {
    Key(key, 9);
    Put(&kv_, uint32_t{7});
    Put(&kv_, static_cast<uint64_t>(values.size()));
    for (bool v : values) {
      kv_.push_back(static_cast<char>(v ? 1 : 0));
    }
    ++kv_count_;
  }
  void ArrStr(const std::string& key, const std::vector<std::string>& values) {
    Key(key, 9);
    Put(&kv_, uint32_t{8});
    Put(&kv_, static_cast<uint64_t>(values.size()));
    for (const std::string& v : values) {
      String(&kv_, v);
    }
    ++kv_count_;
  }
  // Raw bytes appended to the metadata section (for damage), counted as `entries` pairs.
  void RawKv(const std::string& bytes, uint64_t entries) {
    kv_ += bytes;
    kv_count_ += entries;
  }

  // A tensor; `bytes` is its data size (Size(...) for a consistent one).
  void Add(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t bytes) {
    tensors_.push_back({name, ne, type, bytes});
  }

  // The file: header, metadata, tensor infos with offsets packed at `alignment`, padding, data.
  // `with_data` false leaves the data section out (a truncated file).
  std::string Build(bool with_data = true, uint32_t version = 3, uint64_t alignment = 32,
                    uint64_t tensor_count_override = 0, uint64_t kv_count_override = 0) const {
    std::string out = "GGUF";
    Put(&out, version);
    Put(&out, tensor_count_override ? tensor_count_override : static_cast<uint64_t>(tensors_.size()));
    Put(&out, kv_count_override ? kv_count_override : kv_count_);
    out += kv_;
    uint64_t offset = 0;
    for (const Tensor& t : tensors_) {
      String(&out, t.name);
      Put(&out, static_cast<uint32_t>(t.ne.size()));
      for (uint64_t d : t.ne) {
        Put(&out, d);
      }
      Put(&out, t.type);
      Put(&out, offset);
      offset += (t.bytes + alignment - 1) / alignment * alignment;
    }
    if (with_data) {
      out.append((alignment - out.size() % alignment) % alignment, '\0');
      out.append(offset, '\0');
    }
    return out;
  }

  // Bytes of the data section Build() would append (each tensor padded to `alignment`).
  uint64_t DataBytes(uint64_t alignment = 32) const {
    uint64_t total = 0;
    for (const Tensor& t : tensors_) {
      total += (t.bytes + alignment - 1) / alignment * alignment;
    }
    return total;
  }

  template <typename T>
  static void Put(std::string* out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out->append(b, sizeof(T));
  }
  static void String(std::string* out, const std::string& s) {
    Put(out, static_cast<uint64_t>(s.size()));
    *out += s;
  }

 private:
  void Key(const std::string& key, uint32_t type) {
    String(&kv_, key);
    Put(&kv_, type);
  }
  std::string kv_;
  uint64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace slmroof::testing
