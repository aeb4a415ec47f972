#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slmroof {

/// A compute precision: which of the device's ceilings an operator runs against.
enum class Precision { kFp32, kFp16, kBf16, kInt8, kInt4 };

/// A storage type for weights, activations or the KV cache (docs/cost-model.md §2).
struct DType {
  std::string name;          ///< lower-case name as typed on the command line
  double bits = 0;           ///< effective bits per element, block scales included
  Precision math;            ///< the precision its values are computed in when nothing converts them
  std::string description;   ///< one line for --help and the README
  int64_t block_elems = 1;   ///< elements per block (a row's length must be a multiple)
  int64_t block_bytes = 0;   ///< bytes per block
  bool ggml = false;         ///< a ggml tensor type, as GGUF files store them
  bool quantized = false;    ///< integer codes with scales, not a floating-point format
  double bytes() const { return bits / 8.0; }
};

/// Every storage type slmroof knows, in display order.
const std::vector<DType>& AllDTypes();

/// Looks a storage type up by name (case-insensitive; f32/f16 are fp32/fp16); throws UsageError
/// naming the known ones.
const DType& DTypeByName(std::string_view name);

/// The same, or nullptr when the name is unknown.
const DType* FindDType(std::string_view name);

/// Lower-case name of a precision ("fp16").
std::string_view PrecisionName(Precision p);

/// Parses a precision name; returns false when unknown.
bool ParsePrecision(std::string_view name, Precision* out);

/// All precisions in display order.
const std::vector<Precision>& AllPrecisions();

/// The precision an operation mixing two operands runs in: the wider of the two (§2.3).
Precision WiderPrecision(Precision a, Precision b);

}  // namespace slmroof
