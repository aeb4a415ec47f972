#include "slmroof/dtype.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

namespace {

// One row of the table: `elems` elements stored in `bytes` bytes, block scales included
// (docs/cost-model.md §2.1).
DType Row(const char* name, int64_t elems, int64_t bytes, Precision math, bool ggml, bool quantized,
          const char* description) {
  DType t;
  t.name = name;
  t.bits = 8.0 * static_cast<double>(bytes) / static_cast<double>(elems);
  t.math = math;
  t.description = description;
  t.block_elems = elems;
  t.block_bytes = bytes;
  t.ggml = ggml;
  t.quantized = quantized;
  return t;
}

}  // namespace

// Block layouts of the ggml types are those of ggml's ggml-common.h (§2.1 lists the sums).
const std::vector<DType>& AllDTypes() {
  using P = Precision;
  static const std::vector<DType> kTypes = {
      Row("fp32", 1, 4, P::kFp32, true, false, "IEEE binary32 (ggml F32)"),
      Row("fp16", 1, 2, P::kFp16, true, false, "IEEE binary16 (ggml F16)"),
      Row("bf16", 1, 2, P::kBf16, true, false, "bfloat16 (ggml BF16)"),
      Row("int8", 128, 130, P::kInt8, false, true, "int8, one fp16 scale per 128 elements"),
      Row("int4", 128, 66, P::kInt4, false, true, "int4, one fp16 scale per 128 elements"),
      Row("int4-g32", 32, 18, P::kInt4, false, true, "int4, one fp16 scale per 32 elements"),
      Row("q8_0", 32, 34, P::kInt8, true, true, "GGUF Q8_0: 32 int8 + fp16 scale"),
      Row("q6_k", 256, 210, P::kInt8, true, true, "GGUF Q6_K: 210 bytes per 256"),
      Row("q5_k", 256, 176, P::kInt8, true, true, "GGUF Q5_K: 176 bytes per 256"),
      Row("q5_1", 32, 24, P::kInt8, true, true, "GGUF Q5_1: 24 bytes per 32"),
      Row("q5_0", 32, 22, P::kInt8, true, true, "GGUF Q5_0: 22 bytes per 32"),
      Row("q4_k", 256, 144, P::kInt4, true, true, "GGUF Q4_K: 144 bytes per 256"),
      Row("q4_1", 32, 20, P::kInt4, true, true, "GGUF Q4_1: 20 bytes per 32"),
      Row("q4_0", 32, 18, P::kInt4, true, true, "GGUF Q4_0: 32 int4 + fp16 scale"),
      Row("iq4_xs", 256, 136, P::kInt4, true, true, "GGUF IQ4_XS: 136 bytes per 256"),
      Row("iq4_nl", 32, 18, P::kInt4, true, true, "GGUF IQ4_NL: 18 bytes per 32"),
      Row("mxfp4", 32, 17, P::kInt4, true, true, "GGUF MXFP4: 32 e2m1 + e8m0 scale"),
      Row("nvfp4", 64, 36, P::kInt4, true, true, "GGUF NVFP4: 64 e2m1 + 4 e4m3 scales"),
      Row("q3_k", 256, 110, P::kInt4, true, true, "GGUF Q3_K: 110 bytes per 256"),
      Row("iq3_s", 256, 110, P::kInt4, true, true, "GGUF IQ3_S: 110 bytes per 256"),
      Row("iq3_xxs", 256, 98, P::kInt4, true, true, "GGUF IQ3_XXS: 98 bytes per 256"),
      Row("q2_k", 256, 84, P::kInt4, true, true, "GGUF Q2_K: 84 bytes per 256"),
      Row("iq2_s", 256, 82, P::kInt4, true, true, "GGUF IQ2_S: 82 bytes per 256"),
      Row("iq2_xs", 256, 74, P::kInt4, true, true, "GGUF IQ2_XS: 74 bytes per 256"),
      Row("q2_0", 64, 18, P::kInt4, true, true, "GGUF Q2_0: 18 bytes per 64"),
      Row("iq2_xxs", 256, 66, P::kInt4, true, true, "GGUF IQ2_XXS: 66 bytes per 256"),
      Row("tq2_0", 256, 66, P::kInt4, true, true, "GGUF TQ2_0 (ternary): 66 bytes per 256"),
      Row("iq1_m", 256, 56, P::kInt4, true, true, "GGUF IQ1_M: 56 bytes per 256"),
      Row("tq1_0", 256, 54, P::kInt4, true, true, "GGUF TQ1_0 (ternary): 54 bytes per 256"),
      Row("iq1_s", 256, 50, P::kInt4, true, true, "GGUF IQ1_S: 50 bytes per 256"),
      Row("q1_0", 128, 18, P::kInt4, true, true, "GGUF Q1_0: 18 bytes per 128"),
      // MLX affine quantization: per group of g, b-bit codes plus a 16-bit scale and bias.
      Row("mlx-8bit-g64", 64, 68, P::kInt8, false, true, "MLX 8-bit, group 64"),
      Row("mlx-6bit-g64", 64, 52, P::kInt8, false, true, "MLX 6-bit, group 64"),
      Row("mlx-5bit-g64", 64, 44, P::kInt8, false, true, "MLX 5-bit, group 64"),
      Row("mlx-5bit-g32", 32, 24, P::kInt8, false, true, "MLX 5-bit, group 32"),
      Row("mlx-4bit-g64", 64, 36, P::kInt4, false, true, "MLX 4-bit, group 64"),
      Row("mlx-4bit-g32", 32, 20, P::kInt4, false, true, "MLX 4-bit, group 32"),
  };
  return kTypes;
}

const DType* FindDType(std::string_view name) {
  std::string lower = ToLower(name);
  if (lower == "f32") {
    lower = "fp32";
  } else if (lower == "f16") {
    lower = "fp16";
  }
  for (const DType& t : AllDTypes()) {
    if (t.name == lower) {
      return &t;
    }
  }
  return nullptr;
}

const DType& DTypeByName(std::string_view name) {
  if (const DType* t = FindDType(name)) {
    return *t;
  }
  std::vector<std::string> names;
  for (const DType& t : AllDTypes()) {
    names.push_back(t.name);
  }
  const std::string hint = ClosestName(ToLower(name), names);
  throw UsageError(fmt::format("unknown data type {}{} (see 'slmroof list weights')", Excerpt(name),
                               hint.empty() ? "" : fmt::format(", did you mean '{}'?", hint)));
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
