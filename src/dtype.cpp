#include "slmroof/dtype.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

// Effective bits per element include block scales; see docs/cost-model.md §2.1.
const std::vector<DType>& AllDTypes() {
  static const std::vector<DType> kTypes = {
      {"fp32", 32.0, Precision::kFp32, "IEEE binary32"},
      {"fp16", 16.0, Precision::kFp16, "IEEE binary16"},
      {"bf16", 16.0, Precision::kBf16, "bfloat16"},
      {"int8", 8.0 + 16.0 / 128.0, Precision::kInt8, "int8, one fp16 scale per 128 elements"},
      {"int4", 4.0 + 16.0 / 128.0, Precision::kInt4, "int4, one fp16 scale per 128 elements"},
      {"int4-g32", 4.0 + 16.0 / 32.0, Precision::kInt4, "int4, one fp16 scale per 32 elements"},
      {"q8_0", 8.5, Precision::kInt8, "GGUF Q8_0: 32 int8 + fp16 scale per block"},
      {"q6_k", 6.5625, Precision::kInt8, "GGUF Q6_K: 210 bytes per 256 elements"},
      {"q5_k", 5.5, Precision::kInt8, "GGUF Q5_K: 176 bytes per 256 elements"},
      {"q4_0", 4.5, Precision::kInt4, "GGUF Q4_0: 32 int4 + fp16 scale per block"},
      {"q4_k", 4.5, Precision::kInt4, "GGUF Q4_K: 144 bytes per 256 elements"},
      {"q3_k", 3.4375, Precision::kInt4, "GGUF Q3_K: 110 bytes per 256 elements"},
      {"q2_k", 2.625, Precision::kInt4, "GGUF Q2_K: 84 bytes per 256 elements"},
  };
  return kTypes;
}

const DType& DTypeByName(std::string_view name) {
  const std::string lower = ToLower(name);
  for (const DType& t : AllDTypes()) {
    if (t.name == lower) {
      return t;
    }
  }
  std::vector<std::string> names;
  for (const DType& t : AllDTypes()) {
    names.push_back(t.name);
  }
  throw UsageError(fmt::format("unknown data type '{}' (known: {})", name, fmt::join(names, ", ")));
}

std::string_view PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kFp16:
      return "fp16";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
    case Precision::kInt4:
      return "int4";
  }
  return "?";
}

const std::vector<Precision>& AllPrecisions() {
  static const std::vector<Precision> kAll = {Precision::kFp32, Precision::kFp16, Precision::kBf16,
                                              Precision::kInt8, Precision::kInt4};
  return kAll;
}

bool ParsePrecision(std::string_view name, Precision* out) {
  for (Precision p : AllPrecisions()) {
    if (PrecisionName(p) == name) {
      *out = p;
      return true;
    }
  }
  return false;
}

namespace {
int Width(Precision p) {
  switch (p) {
    case Precision::kInt4:
      return 4;
    case Precision::kInt8:
      return 8;
    case Precision::kFp16:
    case Precision::kBf16:
      return 16;
    case Precision::kFp32:
      return 32;
  }
  return 0;
}
}  // namespace

Precision WiderPrecision(Precision a, Precision b) { return Width(b) > Width(a) ? b : a; }

}  // namespace slmroof
