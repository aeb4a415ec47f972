#pragma once

// Private to the HuggingFace readers (hf_config.cpp, hf_layers.cpp, hf_hybrid.cpp): typed access
// to the fields of one config object, each error naming the field by its JSON path.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "slmroof/io/json_fields.hpp"

namespace slmroof::reader {

/// The fields of one config, or of a nested object such as gemma3's text_config (then `prefix`
/// is "text_config." and every message names the full path).
class View {
 public:
  View(const JsonFields& f, const nlohmann::json& cfg, std::string prefix = "")
      : f_(&f), cfg_(&cfg), prefix_(std::move(prefix)) {}

  std::string Path(const std::string& key) const { return prefix_ + key; }
  int64_t Int(const char* key, IntRange r) const { return f_->Int(*cfg_, key, Path(key), r); }
  std::optional<int64_t> OptInt(const char* key, IntRange r) const {
    return f_->OptInt(*cfg_, key, Path(key), r);
  }
  int64_t IntOr(const char* key, IntRange r, int64_t fallback) const {
    return OptInt(key, r).value_or(fallback);
  }
  bool Bool(const char* key, bool fallback) const {
    return f_->OptBool(*cfg_, key, Path(key)).value_or(fallback);
  }
  bool Has(const char* key) const { return cfg_->contains(key) && !(*cfg_)[key].is_null(); }
  bool IsNumber(const char* key) const { return Has(key) && (*cfg_)[key].is_number(); }
  std::optional<double> OptNumber(const char* key, RealRange r) const {
    return f_->OptNumber(*cfg_, key, Path(key), r);
  }
  std::optional<std::string> OptString(const char* key) const {
    return f_->OptString(*cfg_, key, Path(key));
  }
  const nlohmann::json& Array(const char* key) const { return f_->Array(*cfg_, key, Path(key)); }
  const nlohmann::json& operator[](const char* key) const { return (*cfg_)[key]; }
  [[noreturn]] void Fail(const std::string& path, const std::string& what) const {
    f_->Fail(path, what);
  }
  /// Fails naming `key` under this view's prefix.
  [[noreturn]] void FailKey(const char* key, const std::string& what) const { Fail(Path(key), what); }
  /// The nested object `key`, its paths under this one's.
  View Sub(const char* key) const {
    return View(*f_, f_->Object(*cfg_, key, Path(key)), Path(key) + ".");
  }
  const JsonFields& fields() const { return *f_; }
  const nlohmann::json& json() const { return *cfg_; }

  /// A key that may hold an integer or "auto" (Mamba's time_step_rank).
  int64_t IntOrAuto(const char* key, IntRange r, int64_t automatic) const;
  /// One string per layer (layer_types, layers_block_type), each one of `allowed`.
  std::vector<std::string> Kinds(const char* key, int64_t layers,
                                 const std::set<std::string>& allowed) const;
  /// A list of layer indices (attn_layer_indices, mlp_only_layers) as flags by layer (the
  /// key must be present).
  std::vector<bool> Indices(const char* key, int64_t layers) const;

 private:
  const JsonFields* f_;
  const nlohmann::json* cfg_;
  std::string prefix_;
};

}  // namespace slmroof::reader
