// llama.cpp's quantizer rules: which ggml type llama-quantize gives each tensor for a file type
// (docs/cost-model.md §2.2). The rules restate llama.cpp src/llama-quant.cpp
// (llama_tensor_get_type_impl, tensor_type_fallback, tensor_allows_quantization) for the tensor
// roles slmroof models; files are assumed quantized without an importance matrix, the default.

#include <algorithm>
#include <string>

#include "slmroof/weights.hpp"

namespace slmroof {

namespace {

// What llama-quant.cpp's tensor_get_category returns for a role.
enum class Category { kTokenEmbd, kOutput, kAttnQ, kAttnK, kAttnV, kAttnOutput, kFfnUp, kFfnGate,
                      kFfnDown, kOther, kKeep, kKeepFloat };

Category CategoryOf(TensorRole role, bool fused_qkv) {
  switch (role) {
    case TensorRole::kTokenEmbd:
    case TensorRole::kPerLayerEmbd:  // tensor_name_match_token_embd names both tables
      return Category::kTokenEmbd;
    case TensorRole::kOutput:
      return Category::kOutput;
    case TensorRole::kAttnQ:
    case TensorRole::kAttnK:
      // A fused attn_qkv tensor is "attn_v-like" and takes attn_v's rule.
      return fused_qkv ? Category::kAttnV : role == TensorRole::kAttnQ ? Category::kAttnQ
                                                                        : Category::kAttnK;
    case TensorRole::kAttnV:
    case TensorRole::kAttnKvB:
    case TensorRole::kSsmQkv:  // a DeltaNet layer's attn_qkv matches "attn_qkv.weight"
      return Category::kAttnV;
    case TensorRole::kAttnOutput:
      return Category::kAttnOutput;
    // tensor_get_category matches "ffn_up", "ffn_gate" and "ffn_down" anywhere in the name: the
    // routed (_exps) and shared (_shexp) experts take the dense FFN's rules.
    case TensorRole::kFfnUp:
    case TensorRole::kFfnUpExps:
      return Category::kFfnUp;
    case TensorRole::kFfnGate:
    case TensorRole::kFfnGateExps:
      return Category::kFfnGate;
    case TensorRole::kFfnDown:
    case TensorRole::kFfnDownExps:
      return Category::kFfnDown;
    case TensorRole::kAttnQA:
    case TensorRole::kAttnQB:
    case TensorRole::kAttnKvA:
    case TensorRole::kAttnKB:  // attn_k_b and attn_v_b match no category's name
    case TensorRole::kAttnVB:
    case TensorRole::kSsmIn:
    case TensorRole::kSsmOut:
    case TensorRole::kSsmGate:
    case TensorRole::kSsmAlpha:
    case TensorRole::kSsmBeta:
    case TensorRole::kSsmX:
    case TensorRole::kSsmDt:
    case TensorRole::kPerLayerGate:
    case TensorRole::kPerLayerProj:
    case TensorRole::kAdapter:
    case TensorRole::kAdapterUp:
      return Category::kOther;
    case TensorRole::kAltUp:  // "altup", "laurel" and "per_layer_model_proj" are never quantized
      return Category::kKeepFloat;
    case TensorRole::kSsmConv:    // ssm_conv1d is excluded from quantization (llama-quant.cpp)
    case TensorRole::kFfnRouter:  // ffn_gate_inp is never quantized (kept F32 by the converter)
    case TensorRole::kVector:     // 1-D tensors are never quantized (F32)
      return Category::kKeep;
  }
  return Category::kOther;
}

const DType* T(const char* name) { return &DTypeByName(name); }

// tensor_type_fallback: a row length the type's blocks do not divide gets a compatible type.
const DType* Fallback(const DType* type, int64_t cols) {
  if (!type->quantized || cols % type->block_elems == 0) {
    return type;
  }
  const std::string& n = type->name;
  const DType* out = nullptr;
  if (n == "iq1_s" || n == "iq1_m" || n == "iq2_xxs" || n == "iq2_xs" || n == "iq2_s" ||
      n == "iq3_xxs" || n == "iq3_s" || n == "iq4_xs") {
    out = T("iq4_nl");
  } else if (n == "q2_0" || n == "q2_k" || n == "q3_k" || n == "tq1_0" || n == "tq2_0") {
    out = T("q4_0");
  } else if (n == "q4_k") {
    out = T("q5_0");
  } else if (n == "q5_k") {
    out = T("q5_1");
  } else if (n == "q6_k") {
    out = T("q8_0");
  } else {
    // llama-quantize refuses such a tensor; the nearest thing it can store is F16.
    return T("fp16");
  }
  return cols % out->block_elems == 0 ? out : T("fp16");
}

class Rules {
 public:
  Rules(const ModelSpec& model, const std::string& ftype, const DType* base)
      : f_(ftype), base_(base), n_layer_(model.NumLayers()), tied_(model.tie_word_embeddings) {
    const AttentionSpec& a = model.groups.front().layer.attention;
    // hparams.n_gqa() of layer 0; MLA files store one KV head per query head.
    n_gqa_ = a.kind == AttentionKind::kStandard && a.num_kv_heads > 0
                 ? a.num_heads / a.num_kv_heads
                 : 1;
    for (const LayerGroup& g : model.groups) {
      n_expert_ = std::max(n_expert_, g.layer.ffn.num_experts);
    }
    falcon_ = model.family == "falcon";
  }

  // llama_tensor_get_type_impl for one tensor; `i` is its layer (llama.cpp's counters
  // i_attention_wv and i_ffn_down equal the layer index, tensors being sorted by layer).
  const DType* Choose(Category c, int64_t i, int64_t cols, bool expert) const {
    const DType* t = base_;
    const int64_t n = n_layer_;
    if (c == Category::kOutput || (tied_ && c == Category::kTokenEmbd)) {
      if (Is("MXFP4_MOE") || falcon_ || cols % base_->block_elems != 0) {
        return T("q8_0");
      }
      if (Is("IQ2_XXS") || Is("IQ2_XS") || Is("IQ3_XXS") || Is("IQ1_S") || Is("IQ2_S") ||
          Is("IQ2_M") || Is("IQ1_M")) {
        return T("q5_k");
      }
      return base_->name == "q8_0" ? base_ : T("q6_k");
    }
    if (Is("MXFP4_MOE")) {
      // Expert tensors (3-D) take MXFP4, everything else Q8_0.
      return expert ? T("mxfp4") : T("q8_0");
    }
    if (c == Category::kTokenEmbd) {
      if (Is("IQ2_XXS") || Is("IQ2_XS") || Is("IQ1_S") || Is("IQ1_M")) {
        return T("q2_k");
      }
      if (Is("IQ2_S") || Is("IQ2_M") || Is("IQ3_XXS")) {
        return T("iq3_s");
      }
      if (Is("TQ1_0") || Is("TQ2_0")) {
        return T("q4_k");
      }
      return t;
    }
    if (Is("IQ2_XXS") || Is("IQ2_XS") || Is("IQ1_S") || Is("IQ2_S") || Is("IQ2_M") ||
        Is("IQ1_M")) {
      const bool s_or_m = Is("IQ2_S") || Is("IQ2_M");
      if (c == Category::kAttnV) {
        return n_gqa_ >= 4 || n_expert_ >= 4 ? T("q4_k") : s_or_m ? T("iq3_s") : T("q2_k");
      }
      if (n_expert_ == 8 && c == Category::kAttnK) {
        return T("q4_k");
      }
      if (c == Category::kFfnDown) {
        return i < n / 8 ? (s_or_m ? T("iq3_s") : T("q2_k")) : t;
      }
      if (c == Category::kAttnOutput) {
        if (n_expert_ == 8) {
          return T("q5_k");
        }
        if (Is("IQ1_S") || Is("IQ1_M")) {
          return T("iq2_xxs");
        }
        if (s_or_m) {
          return T("iq3_s");
        }
      }
      return t;
    }
    switch (c) {
      case Category::kAttnV:
        return AttnV(i);
      case Category::kAttnK:
        if (n_expert_ == 8) {
          return T("q8_0");
        }
        if (Is("IQ3_XS")) {
          return T("iq3_xxs");
        }
        if (Is("IQ3_XXS")) {
          return T("iq2_s");
        }
        return t;
      case Category::kAttnQ:
        if (Is("IQ3_XS")) {
          return T("iq3_xxs");
        }
        if (Is("IQ3_XXS")) {
          return T("iq2_s");
        }
        return t;
      case Category::kFfnDown:
        return FfnDown(i);
      case Category::kAttnOutput:
        return AttnOutput();
      case Category::kFfnGate:
      case Category::kFfnUp:
        if (Is("IQ3_XS") && i >= n / 8 && i < 7 * n / 8) {
          return T("iq3_xxs");
        }
        return t;
      default:
        return t;
    }
  }

 private:
  bool Is(const char* name) const { return f_ == name; }

  static bool UseMoreBits(int64_t i, int64_t n) {
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
  }

  const DType* AttnV(int64_t i) const {
    const DType* t = base_;
    const int64_t n = n_layer_;
    if (Is("Q2_K")) {
      t = n_gqa_ >= 4 ? T("q4_k") : T("q3_k");
    } else if (Is("Q2_K_S") && n_gqa_ >= 4) {
      t = T("q4_k");
    } else if (Is("IQ3_XXS")) {
      t = n_gqa_ >= 4 ? T("q4_k") : T("iq3_s");  // iq3_s without an importance matrix
    } else if ((Is("IQ3_XS") || Is("IQ3_S")) && n_gqa_ >= 4) {
      t = T("q4_k");
    } else if (Is("IQ3_M")) {
      t = T("q4_k");
    } else if (Is("Q3_K_M")) {
      t = i < 2 ? T("q5_k") : T("q4_k");
    } else if (Is("Q3_K_L")) {
      t = T("q5_k");
    } else if ((Is("IQ4_NL") || Is("IQ4_XS")) && n_gqa_ >= 4) {
      t = T("q5_k");
    } else if ((Is("Q4_K_M") || Is("Q5_K_M")) && UseMoreBits(i, n)) {
      t = T("q6_k");
    } else if (Is("Q4_K_S") && i < 4) {
      t = T("q5_k");
    }
    if (n_expert_ == 8) {
      t = T("q8_0");
    }
    return t;
  }

  const DType* FfnDown(int64_t i) const {
    const int64_t n = n_layer_;
    if (Is("Q2_K")) {
      return T("q3_k");
    }
    if (Is("Q2_K_S")) {
      return i < n / 8 ? T("q4_k") : base_;
    }
    if (Is("IQ3_XXS")) {
      return i < n / 8 ? T("q4_k") : T("q3_k");
    }
    if (Is("Q3_K_M")) {
      return i < n / 16 ? T("q5_k")
             : !falcon_ || UseMoreBits(i, n) ? T("q4_k")
                                             : T("q3_k");
    }
    if (Is("IQ3_M") && (i < n / 8 || (n_expert_ == 8 && UseMoreBits(i, n)))) {
      return T("q4_k");
    }
    if (Is("Q3_K_L")) {
      return falcon_ ? T("q4_k") : T("q5_k");
    }
    if (Is("Q4_K_M")) {
      if (falcon_) {
        return i < n / 16 ? T("q6_k") : UseMoreBits(i, n) ? T("q5_k") : T("q4_k");
      }
      return UseMoreBits(i, n) ? T("q6_k") : base_;
    }
    if (i < n / 8 && (Is("IQ4_NL") || Is("IQ4_XS"))) {
      return T("q5_k");
    }
    if (Is("Q5_K_M") && UseMoreBits(i, n)) {
      return T("q6_k");
    }
    if (Is("Q4_K_S") && !falcon_ && i < n / 8) {
      return T("q5_k");
    }
    return base_;
  }

  const DType* AttnOutput() const {
    if (falcon_) {
      return Is("Q3_K_L") ? T("q4_k") : base_;
    }
    if (n_expert_ == 8) {
      for (const char* f : {"Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S",
                            "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS"}) {
        if (Is(f)) {
          return T("q5_k");
        }
      }
      return base_;
    }
    if (Is("Q2_K")) {
      return T("q3_k");
    }
    if (Is("IQ3_XXS")) {
      return T("iq3_s");
    }
    if (Is("Q3_K_M") || Is("IQ3_M")) {
      return T("q4_k");
    }
    if (Is("Q3_K_L")) {
      return T("q5_k");
    }
    return base_;
  }

  std::string f_;
  const DType* base_;
  int64_t n_layer_;
  bool tied_;
  int64_t n_gqa_ = 1;
  int64_t n_expert_ = 0;
  bool falcon_ = false;
};

}  // namespace

TensorTypes LlamaRecipe(const ModelSpec& model, const std::vector<WeightTensor>& tensors,
                        const LlamaFileType& file_type, bool pure) {
  const DType* base = &DTypeByName(file_type.default_type);
  const DType* f32 = T("fp32");
  TensorTypes types(model.NumLayers(), base, f32);
  const Rules rules(model, file_type.name, base);
  // Phi-3 files store q, k and v as one attn_qkv tensor (llama.cpp's phi3 graph).
  const bool fused_qkv = model.family == "phi3";
  for (const WeightTensor& t : tensors) {
    const Category c = CategoryOf(t.role, fused_qkv);
    const DType* type = base;
    if (c == Category::kKeep) {
      type = f32;
    } else if (c == Category::kKeepFloat) {
      // Left as convert_hf_to_gguf wrote it: the file's float type, F16 under a quantized one.
      type = base->quantized ? T("fp16") : base;
    } else if (base->quantized) {
      if (!pure) {
        type = rules.Choose(c, t.layer, t.cols, t.name.find("_exps") != std::string::npos);
      }
      type = Fallback(type, t.cols);
    }
    types.Set(t.role, t.layer, type);
  }
  return types;
}

}  // namespace slmroof
