// GGUF header, metadata and tensor table (include/slmroof/io/gguf.hpp; layout in ggml's
// docs/gguf.md and gguf.cpp). Nothing is allocated for a count or a length before the bytes it
// claims are known to be in the file; the tensor data is never read.
#include "slmroof/io/gguf.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>
#include <cmath>
#include <memory>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

namespace {

// ggml.h's enum ggml_type with ggml.c's block sizes (ids 4, 5 and 31-33, 36-38 were removed).
constexpr GgmlType kTypes[] = {
    {0, "f32", 1, 4, "fp32"},          {1, "f16", 1, 2, "fp16"},
    {2, "q4_0", 32, 18, "q4_0"},       {3, "q4_1", 32, 20, "q4_1"},
    {6, "q5_0", 32, 22, "q5_0"},       {7, "q5_1", 32, 24, "q5_1"},
    {8, "q8_0", 32, 34, "q8_0"},       {9, "q8_1", 32, 36, ""},
    {10, "q2_K", 256, 84, "q2_k"},     {11, "q3_K", 256, 110, "q3_k"},
    {12, "q4_K", 256, 144, "q4_k"},    {13, "q5_K", 256, 176, "q5_k"},
    {14, "q6_K", 256, 210, "q6_k"},    {15, "q8_K", 256, 292, ""},
    {16, "iq2_xxs", 256, 66, "iq2_xxs"}, {17, "iq2_xs", 256, 74, "iq2_xs"},
    {18, "iq3_xxs", 256, 98, "iq3_xxs"}, {19, "iq1_s", 256, 50, "iq1_s"},
    {20, "iq4_nl", 32, 18, "iq4_nl"},  {21, "iq3_s", 256, 110, "iq3_s"},
    {22, "iq2_s", 256, 82, "iq2_s"},   {23, "iq4_xs", 256, 136, "iq4_xs"},
    {24, "i8", 1, 1, ""},              {25, "i16", 1, 2, ""},
    {26, "i32", 1, 4, ""},             {27, "i64", 1, 8, ""},
    {28, "f64", 1, 8, ""},             {29, "iq1_m", 256, 56, "iq1_m"},
    {30, "bf16", 1, 2, "bf16"},        {34, "tq1_0", 256, 54, "tq1_0"},
    {35, "tq2_0", 256, 66, "tq2_0"},   {39, "mxfp4", 32, 17, "mxfp4"},
    {40, "nvfp4", 64, 36, "nvfp4"},    {41, "q1_0", 128, 18, "q1_0"},
    {42, "q2_0", 64, 18, "q2_0"},
};

// GGUF value types and the bytes of a scalar of each (0 for string and array).
constexpr uint32_t kString = 8;
constexpr uint32_t kArray = 9;
constexpr uint32_t kValueTypes = 13;
constexpr std::array<uint64_t, kValueTypes> kScalarBytes = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
constexpr std::array<const char*, kValueTypes> kValueTypeNames = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array",
    "uint64", "int64", "float64"};

constexpr uint64_t kMaxName = 63;        // GGML_MAX_NAME − 1
constexpr uint64_t kMaxKey = 65535;
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS

// Bytes of the file, from disk or from memory.
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  virtual void Read(uint64_t pos, uint64_t n, char* out) = 0;  // pos + n ≤ size()
};

class MemorySource : public Source {
 public:
  explicit MemorySource(const std::string& bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  void Read(uint64_t pos, uint64_t n, char* out) override { std::memcpy(out, bytes_.data() + pos, n); }

 private:
  const std::string& bytes_;
};

class FileSource : public Source {
 public:
  FileSource(std::ifstream in, uint64_t size) : in_(std::move(in)), size_(size) {}
  uint64_t size() const override { return size_; }
  void Read(uint64_t pos, uint64_t n, char* out) override {
    // A buffer of 64 KB over the file: the tables are read front to back in small pieces.
    if (pos < buf_pos_ || pos + n > buf_pos_ + buf_.size()) {
      if (n > kBuffer) {
        Fill(pos, n, out);
        return;
      }
      buf_.resize(static_cast<size_t>(std::min<uint64_t>(kBuffer, size_ - pos)));
      Fill(pos, buf_.size(), buf_.data());
      buf_pos_ = pos;
    }
    std::memcpy(out, buf_.data() + (pos - buf_pos_), n);
  }

 private:
  static constexpr uint64_t kBuffer = 1 << 16;
  void Fill(uint64_t pos, uint64_t n, char* out) {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(pos));
    in_.read(out, static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in_.gcount()) != n) {
      throw InputError(fmt::format("read error at byte {}", pos));
    }
  }
  std::ifstream in_;
  uint64_t size_;
  std::string buf_;
  uint64_t buf_pos_ = 0;
};

class Parser {
 public:
  Parser(Source& src, std::string origin) : src_(src), origin_(std::move(origin)) {}

  GgufFile Parse() {
    GgufFile f;
    f.path = origin_;
    f.file_size = src_.size();
    char magic[4];
    Bytes(4, magic, "the magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
      Fail(0, "not a GGUF file: it does not start with the magic 'GGUF'");
    }
    const uint64_t at_version = pos_;
    f.version = U32("the version");
    if ((f.version & 0xFFFF) == 0 && f.version != 0) {
      Fail(at_version, fmt::format("version {:#x} reads as a byte-swapped (big-endian) file, which "
                                   "slmroof does not read", f.version));
    }
    if (f.version != 2 && f.version != 3) {
      Fail(at_version, fmt::format("version {} is not 2 or 3, the versions ggml reads", f.version));
    }
    const uint64_t at_tensors = pos_;
    const uint64_t tensors = U64("the tensor count");
    const uint64_t at_kv = pos_;
    const uint64_t kvs = U64("the metadata count");
    // A KV pair takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8: counts the rest of
    // the file cannot hold are refused before anything is allocated for them.
    CheckCount(at_kv, kvs, 13, "metadata");
    CheckCount(at_tensors, tensors, 24, "tensor");
    std::unordered_set<std::string> keys;
    for (uint64_t i = 0; i < kvs; ++i) {
      const uint64_t at = pos_;
      GgufKv kv = Kv();
      if (!keys.insert(kv.key).second) {
        Fail(at, fmt::format("the metadata key {} appears twice", Excerpt(kv.key)));
      }
      if (kv.key == "general.alignment") {
        if (kv.type != 4) {
          Fail(at, fmt::format("general.alignment is a {}, not a uint32", kValueTypeNames[kv.type]));
        }
        const uint64_t a = kv.value.get<uint64_t>();
        if (a == 0 || (a & (a - 1)) != 0) {
          Fail(at, fmt::format("general.alignment is {}, not a power of two", a));
        }
        f.alignment = a;
      }
      f.kv.push_back(std::move(kv));
    }
    std::unordered_set<std::string> names;
    for (uint64_t i = 0; i < tensors; ++i) {
      const uint64_t at = pos_;
      GgufTensor t = Tensor();
      if (!names.insert(t.name).second) {
        Fail(at, fmt::format("the tensor name {} appears twice", Excerpt(t.name)));
      }
      f.tensors.push_back(std::move(t));
      infos_.push_back(at);
    }
    f.data_start = AlignUp(pos_, f.alignment, pos_);
    // The data are packed in table order, each padded to the alignment (gguf.cpp checks the same).
    uint64_t expected = 0;
    for (size_t i = 0; i < f.tensors.size(); ++i) {
      const GgufTensor& t = f.tensors[i];
      if (t.offset != expected) {
        Fail(infos_[i], fmt::format(
                            "tensor {} starts at data offset {}, but the tensors before it end at "
                            "{}: its size by type and shape ({} bytes) or theirs disagrees with "
                            "the table",
                            Excerpt(t.name), t.offset, expected, t.bytes));
      }
      expected = AlignUp(Add(t.offset, t.bytes, infos_[i]), f.alignment, infos_[i]);
    }
    if (!f.tensors.empty()) {
      const GgufTensor& last = f.tensors.back();
      const uint64_t end = Add(Add(f.data_start, last.offset, infos_.back()), last.bytes, infos_.back());
      if (end > f.file_size) {
        Fail(infos_.back(), fmt::format("the tensor data end at byte {}, past the end of the file "
                                        "({} bytes): the file is truncated",
                                        end, f.file_size));
      }
    }
    return f;
  }

 private:
  [[noreturn]] void Fail(uint64_t at, const std::string& what) const {
    throw InputError(fmt::format("{}: byte {}: {}", OneLine(origin_, 200), at, what));
  }

  void Need(uint64_t n, const char* what) const {
    if (n > src_.size() - pos_) {
      Fail(pos_, fmt::format("{} needs {} bytes, but the file ends {} bytes later", what, n,
                             src_.size() - pos_));
    }
  }
  void Bytes(uint64_t n, char* out, const char* what) {
    Need(n, what);
    src_.Read(pos_, n, out);
    pos_ += n;
  }
  template <typename T>
  T Scalar(const char* what) {
    char b[sizeof(T)];
    Bytes(sizeof(T), b, what);
    T v;
    std::memcpy(&v, b, sizeof(T));
    return v;
  }
  uint32_t U32(const char* what) { return Scalar<uint32_t>(what); }
  uint64_t U64(const char* what) { return Scalar<uint64_t>(what); }

  void CheckCount(uint64_t at, uint64_t count, uint64_t min_bytes, const char* what) const {
    if (count > (src_.size() - pos_) / min_bytes) {
      Fail(at, fmt::format("the {} count ({}) is more than the {} bytes after the header can hold "
                           "({} bytes each at least)",
                           what, count, src_.size() - pos_, min_bytes));
    }
  }

  uint64_t Add(uint64_t a, uint64_t b, uint64_t at) const {
    if (b > std::numeric_limits<uint64_t>::max() - a) {
      Fail(at, "an offset overflows 64 bits");
    }
    return a + b;
  }
  uint64_t AlignUp(uint64_t x, uint64_t a, uint64_t at) const { return Add(x, (a - x % a) % a, at); }

  // A gguf_string: its length, then that many bytes. Kept when at most `keep` bytes long,
  // skipped otherwise (nullopt).
  std::optional<std::string> String(const char* what, uint64_t keep) {
    const uint64_t at = pos_;
    const uint64_t n = U64(what);
    if (n > src_.size() - pos_) {
      Fail(at, fmt::format("{} is {} bytes long, but the file ends {} bytes later", what, n,
                           src_.size() - pos_));
    }
    if (n > keep) {
      pos_ += n;
      return std::nullopt;
    }
    std::string s(static_cast<size_t>(n), '\0');
    src_.Read(pos_, n, s.data());
    pos_ += n;
    return s;
  }

  nlohmann::json ScalarValue(uint32_t type, uint64_t at) {
    switch (type) {
      case 0: return Scalar<uint8_t>("a uint8");
      case 1: return Scalar<int8_t>("an int8");
      case 2: return Scalar<uint16_t>("a uint16");
      case 3: return Scalar<int16_t>("an int16");
      case 4: return Scalar<uint32_t>("a uint32");
      case 5: return Scalar<int32_t>("an int32");
      case 6: {
        const float v = Scalar<float>("a float32");
        return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
      }
      case 7: {
        const uint8_t v = Scalar<uint8_t>("a bool");
        if (v > 1) {
          Fail(at, fmt::format("a bool holds {}, not 0 or 1", v));
        }
        return v == 1;
      }
      case 10: return Scalar<uint64_t>("a uint64");
      case 11: return Scalar<int64_t>("an int64");
      case 12: {
        const double v = Scalar<double>("a float64");
        return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
      }
      default:
        Fail(at, fmt::format("unknown value type {}", type));
    }
  }

  GgufKv Kv() {
    GgufKv kv;
    const uint64_t at = pos_;
    std::optional<std::string> key = String("a metadata key", kMaxKey);
    if (!key) {
      Fail(at, "a metadata key is longer than 65535 bytes");
    }
    kv.key = std::move(*key);
    const uint64_t at_type = pos_;
    kv.type = U32("a value type");
    if (kv.type >= kValueTypes) {
      Fail(at_type, fmt::format("the value of {} has type {}, not a GGUF value type (0 to 12)",
                                Excerpt(kv.key), kv.type));
    }
    if (kv.type == kString) {
      if (auto s = String("a string value", kMaxKeptString)) {
        kv.value = ValidUtf8(*s);
      }
    } else if (kv.type == kArray) {
      Array(&kv);
    } else {
      kv.value = ScalarValue(kv.type, at_type);
    }
    return kv;
  }

  void Array(GgufKv* kv) {
    const uint64_t at = pos_;
    kv->array_type = U32("an array's element type");
    if (kv->array_type >= kValueTypes || kv->array_type == kArray) {
      Fail(at, fmt::format("the array {} has element type {}, which GGUF does not allow",
                           Excerpt(kv->key), kv->array_type));
    }
    const uint64_t at_count = pos_;
    kv->count = U64("an array's length");
    const uint64_t elem = kv->array_type == kString ? 8 : kScalarBytes[kv->array_type];
    if (kv->count > (src_.size() - pos_) / elem) {
      Fail(at_count, fmt::format("the array {} claims {} elements, more than the {} bytes left in "
                                 "the file can hold",
                                 Excerpt(kv->key), kv->count, src_.size() - pos_));
    }
    if (kv->array_type == kString) {
      for (uint64_t i = 0; i < kv->count; ++i) {
        String("a string in an array", 0);  // skipped: tokenizer vocabularies, merges
      }
      return;
    }
    if (kv->count > kMaxKeptArray) {
      pos_ += kv->count * elem;
      return;
    }
    kv->value = nlohmann::json::array();
    for (uint64_t i = 0; i < kv->count; ++i) {
      kv->value.push_back(ScalarValue(kv->array_type, pos_));
    }
  }

  GgufTensor Tensor() {
    GgufTensor t;
    const uint64_t at = pos_;
    std::optional<std::string> name = String("a tensor name", kMaxName);
    if (!name) {
      Fail(at, "a tensor name is longer than 63 bytes (GGML_MAX_NAME)");
    }
    t.name = ValidUtf8(*name);
    const uint64_t at_dims = pos_;
    const uint32_t dims = U32("a tensor's dimension count");
    if (dims == 0 || dims > kMaxDims) {
      Fail(at_dims, fmt::format("tensor {} has {} dimensions, not 1 to 4", Excerpt(t.name), dims));
    }
    uint64_t elements = 1;
    for (uint32_t j = 0; j < dims; ++j) {
      const uint64_t n = U64("a tensor dimension");
      if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (n > 0 && elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / n)) {
        Fail(at_dims, fmt::format("the dimensions of tensor {} overflow 64 bits", Excerpt(t.name)));
      }
      elements *= n;
      t.ne.push_back(static_cast<int64_t>(n));
    }
    const uint64_t at_type = pos_;
    const uint32_t type = U32("a tensor type");
    t.type = FindGgmlType(type);
    if (t.type == nullptr) {
      Fail(at_type, fmt::format("tensor {} has type {}, which ggml does not define",
                                Excerpt(t.name), type));
    }
    if (t.ne[0] % t.type->block != 0) {
      Fail(at_type, fmt::format("tensor {} has rows of {} elements, not a multiple of {}'s block "
                                "of {}",
                                Excerpt(t.name), t.ne[0], t.type->name, t.type->block));
    }
    // (ne0 / block) · block bytes · ne1 · ne2 · ne3; elements fit in int64, and so does the size
    // while it stays below the file's.
    const uint64_t blocks = elements / static_cast<uint64_t>(t.type->block);
    if (blocks > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(t.type->bytes)) {
      Fail(at_type, fmt::format("the size of tensor {} overflows 64 bits", Excerpt(t.name)));
    }
    t.bytes = blocks * static_cast<uint64_t>(t.type->bytes);
    t.offset = U64("a tensor offset");
    return t;
  }

  Source& src_;
  std::string origin_;
  uint64_t pos_ = 0;
  std::vector<uint64_t> infos_;  // the byte where each tensor's info starts
};

}  // namespace

const GgmlType* FindGgmlType(uint32_t id) {
  for (const GgmlType& t : kTypes) {
    if (t.id == id) {
      return &t;
    }
  }
  return nullptr;
}

double GgufTensor::elements() const {
  double n = 1;
  for (int64_t d : ne) {
    n *= static_cast<double>(d);
  }
  return n;
}

const GgufKv* GgufFile::Find(const std::string& key) const {
  for (const GgufKv& entry : kv) {
    if (entry.key == key) {
      return &entry;
    }
  }
  return nullptr;
}

std::string GgufFile::Architecture() const {
  const GgufKv* a = Find("general.architecture");
  return a != nullptr && a->value.is_string() ? a->value.get<std::string>() : "";
}

bool LooksLikeGguf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

GgufFile ParseGguf(const std::string& bytes, const std::string& origin) {
  MemorySource src(bytes);
  return Parser(src, origin).Parse();
}

GgufFile ReadGguf(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw InputError(fmt::format("cannot open {}", Excerpt(path)));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) {
    throw InputError(fmt::format("cannot read the size of {}", Excerpt(path)));
  }
  FileSource src(std::move(in), static_cast<uint64_t>(size));
  try {
    return Parser(src, path).Parse();
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind("read error", 0) == 0) {
      throw InputError(fmt::format("{}: {}", OneLine(path, 200), what));
    }
    throw;
  }
}

}  // namespace slmroof
