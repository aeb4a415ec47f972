#pragma once

// What `slmroof inspect FILE.gguf` reports (docs/gguf.md): the architecture, the metadata that
// shapes cost, the tensors grouped by role and type, effective bits per weight overall and per
// role, and the file type.

#include <cstdint>
#include <string>
#include <vector>

#include "slmroof/io/gguf.hpp"

namespace slmroof {

/// llama.cpp's name of a llama_ftype value ("Q4_K_M" for 15), or "" when unknown.
std::string LlamaFtypeName(int64_t ftype);

/// Tensors of one role (the name without "blk.N.", e.g. "attn_q.weight") and one type.
struct GgufGroup {
  std::string role;
  std::string type;      ///< ggml's type name
  int64_t tensors = 0;
  double elements = 0;
  double bytes = 0;
};

/// Tensors of one role, every type.
struct GgufRole {
  std::string role;
  int64_t tensors = 0;
  double elements = 0;
  double bytes = 0;
  double bits_per_weight() const { return elements > 0 ? 8 * bytes / elements : 0; }
};

struct GgufSummary {
  std::string path;
  uint32_t version = 0;
  double file_bytes = 0;
  std::string architecture;
  std::string name;            ///< general.name
  int64_t file_type = -1;      ///< general.file_type; -1 when absent
  std::string file_type_name;  ///< LlamaFtypeName(file_type)
  std::vector<const GgufKv*> cost_keys;  ///< "{arch}." keys, in file order
  int64_t vocab = 0;           ///< tokenizer.ggml.tokens entries; 0 when absent
  std::vector<GgufGroup> groups;  ///< by role (first appearance), then bytes
  std::vector<GgufRole> roles;    ///< first appearance
  double elements = 0;
  double bytes = 0;
  double bits_per_weight() const { return elements > 0 ? 8 * bytes / elements : 0; }
  /// "q4_K 72.1%, q6_K 20.3%, f32 0.4%": tensor bytes by type, largest first.
  std::string TypeMix() const;
};

GgufSummary Summarize(const GgufFile& file);

}  // namespace slmroof
