#pragma once

// Private to the GGUF model reader (gguf_model.cpp, gguf_arch*.cpp): a GGUF file's `{arch}.*`
// metadata read back as the HuggingFace config keys llama.cpp's converter wrote them from
// (docs/gguf.md "From GGUF metadata to a model").

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "slmroof/io/gguf.hpp"

namespace slmroof::gguf_detail {

/// The metadata and tensor table of one file, read for one architecture. Every error is an
/// InputError naming the file and the key.
class Mapper {
 public:
  Mapper(const GgufFile& f, std::string arch);

  const GgufFile& file() const { return f_; }
  const std::string& arch() const { return arch_; }

  /// The tensor called `name`, or null.
  const GgufTensor* Tensor(const std::string& name) const;

  /// Whether any of the first `layers` layers holds a tensor blk.N.<suffix>.
  bool AnyLayerHas(int64_t layers, const std::string& suffix) const;

  /// Whether {arch}.<key> is present.
  bool Has(const std::string& key) const;
  /// {arch}.<key> as one integer; absent: nullopt; an array is an error (a per-layer value the
  /// architecture does not have).
  std::optional<int64_t> Int(const std::string& key) const;
  int64_t Required(const std::string& key) const;
  /// {arch}.<key> as one value per layer: an array of `layers` integers, or one integer for
  /// every layer; absent: nullopt. An array of another length is an error naming the key.
  std::optional<std::vector<int64_t>> PerLayer(const std::string& key, int64_t layers) const;
  /// {arch}.<key> as one bool per layer (an array of `layers` bools); absent: nullopt.
  std::optional<std::vector<bool>> PerLayerBool(const std::string& key, int64_t layers) const;
  /// {arch}.<key> as a number or a bool; absent: nullopt.
  std::optional<double> Number(const std::string& key) const;
  std::optional<bool> Bool(const std::string& key) const;

  /// Throws "<file>: {arch}.<key> <what>".
  [[noreturn]] void Fail(const std::string& key, const std::string& what) const;

 private:
  const GgufKv* Find(const std::string& key) const;

  const GgufFile& f_;
  std::string arch_;
  std::unordered_map<std::string, const GgufTensor*> tensors_;
};

/// How one general.architecture becomes a HuggingFace config: the model_type whose reader
/// applies, and the keys (beyond model_type) it reads from the metadata.
struct GgufArch {
  const char* arch;        ///< llama.cpp's LLM_ARCH name (llama-arch.cpp)
  const char* model_type;  ///< the transformers model_type
  void (*map)(const Mapper& m, nlohmann::json* cfg);
};

/// Every mapped architecture, by name (gguf_arch.cpp).
const std::vector<GgufArch>& GgufArchitectures();

/// The keys every transformer architecture shares: width, layers, heads, FFN width, context, head
/// and rotary widths, sliding window, tied output and biases (gguf_arch.cpp).
void MapTransformer(const Mapper& m, nlohmann::json* cfg);

/// The hybrid and state-space architectures (gguf_arch_hybrid.cpp).
void MapNemotronH(const Mapper& m, nlohmann::json* cfg);
void MapGraniteHybrid(const Mapper& m, nlohmann::json* cfg);
void MapLfm2(const Mapper& m, nlohmann::json* cfg);
void MapMamba2(const Mapper& m, nlohmann::json* cfg);
void MapMamba(const Mapper& m, nlohmann::json* cfg);
void MapJamba(const Mapper& m, nlohmann::json* cfg);
void MapQwen3Next(const Mapper& m, nlohmann::json* cfg);  // qwen3next, qwen35, qwen35moe
void MapGemma3n(const Mapper& m, nlohmann::json* cfg);
void MapFalconH1(const Mapper& m, nlohmann::json* cfg);  // falcon-h1

}  // namespace slmroof::gguf_detail
