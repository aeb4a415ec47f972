#pragma once

// GGUF files (ggml's model format; docs/gguf.md): the header, the metadata and the tensor-info
// table, never the tensor data. Every count, length and offset is checked against the file's size
// before anything is allocated or skipped, so a damaged or hostile file is an InputError naming
// the file, the byte offset and what was wrong.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace slmroof {

/// A ggml tensor type as GGUF stores it (ggml.h's enum ggml_type, ggml.c's type traits).
struct GgmlType {
  uint32_t id;
  const char* name;   ///< ggml's name ("q4_K")
  int64_t block;      ///< elements per block
  int64_t bytes;      ///< bytes per block
  const char* dtype;  ///< slmroof's storage type of the same layout ("q4_k"), or "" when none
};

/// The type of `id`, or nullptr for an id ggml does not define (or has removed).
const GgmlType* FindGgmlType(uint32_t id);

/// One metadata key-value pair.
struct GgufKv {
  std::string key;
  uint32_t type = 0;        ///< GGUF value type (0 uint8 … 12 float64; 8 string, 9 array)
  uint32_t array_type = 0;  ///< element type of an array
  uint64_t count = 0;       ///< elements of an array
  /// The value: a number, bool or string; an array of numbers or bools. Strings longer than
  /// kMaxKeptString and arrays of strings or of more than kMaxKeptArray elements are skipped and
  /// left null (count still says how many there were).
  nlohmann::json value;
};

/// One entry of the tensor-info table.
struct GgufTensor {
  std::string name;
  std::vector<int64_t> ne;  ///< ne[0] innermost: a [out, in] matrix is {in, out}
  const GgmlType* type = nullptr;
  uint64_t offset = 0;      ///< from the start of the data section
  uint64_t bytes = 0;       ///< its data's size by type and shape
  double elements() const;
};

struct GgufFile {
  std::string path;
  uint32_t version = 0;
  uint64_t file_size = 0;
  uint64_t alignment = 32;
  uint64_t data_start = 0;  ///< byte offset of the data section
  std::vector<GgufKv> kv;
  std::vector<GgufTensor> tensors;

  const GgufKv* Find(const std::string& key) const;
  /// general.architecture; empty when absent.
  std::string Architecture() const;
};

inline constexpr uint64_t kMaxKeptString = 1 << 16;
inline constexpr uint64_t kMaxKeptArray = 1 << 16;

/// Whether `path` starts with the GGUF magic (reads 4 bytes; false when it cannot be read).
bool LooksLikeGguf(const std::string& path);

/// Reads the header, metadata and tensor table of `path`; throws InputError
/// "<path>: byte <offset>: <what>" on any damage.
GgufFile ReadGguf(const std::string& path);

/// The same from bytes in memory (`origin` names them in messages); for tests and fuzzing.
GgufFile ParseGguf(const std::string& bytes, const std::string& origin);

struct ModelSpec;

/// The model a GGUF file holds, named `name` (gguf_model.cpp, docs/gguf.md): its layers from the
/// metadata, checked against the tensor table; stored_types holds each tensor's type.
ModelSpec ModelFromGguf(const GgufFile& file, const std::string& name);

/// How a file's tensor types compare with what llama-quantize gives its recorded file type.
struct RecipeCheck {
  std::string verdict;  ///< one line: "the tensors are llama-quantize's Q4_K_M", "mixed: …", or
                        ///< why it was not checked
  bool matches = false;
  int64_t differing = 0;  ///< matrices whose type differs
};

/// Compares every matrix of `model` (from ModelFromGguf) with the type slmroof's rendering of
/// llama-quantize's rules gives it for general.file_type (docs/gguf.md "File type").
RecipeCheck CheckAgainstRecipe(const ModelSpec& model);

}  // namespace slmroof
