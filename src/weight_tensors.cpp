// The weight tensors of a model as llama.cpp's GGUF files name them (include/slmroof/weights.hpp):
// each role's name and the list ListWeightTensors builds layer by layer (docs/cost-model.md §3).
#include <algorithm>

#include <fmt/format.h>

#include "slmroof/weights.hpp"

namespace slmroof {

std::string_view TensorRoleName(TensorRole role) {
  switch (role) {
    case TensorRole::kTokenEmbd:
      return "token_embd";
    case TensorRole::kOutput:
      return "output";
    case TensorRole::kAttnQ:
      return "attn_q";
    case TensorRole::kAttnK:
      return "attn_k";
    case TensorRole::kAttnV:
      return "attn_v";
    case TensorRole::kAttnOutput:
      return "attn_output";
    case TensorRole::kAttnQA:
      return "attn_q_a";
    case TensorRole::kAttnQB:
      return "attn_q_b";
    case TensorRole::kAttnKvA:
      return "attn_kv_a_mqa";
    case TensorRole::kAttnKvB:
      return "attn_kv_b";
    case TensorRole::kAttnKB:
      return "attn_k_b";
    case TensorRole::kAttnVB:
      return "attn_v_b";
    case TensorRole::kSsmIn:
      return "ssm_in";
    case TensorRole::kSsmOut:
      return "ssm_out";
    case TensorRole::kSsmQkv:
      return "attn_qkv";
    case TensorRole::kSsmGate:
      return "attn_gate";
    case TensorRole::kSsmAlpha:
      return "ssm_alpha";
    case TensorRole::kSsmBeta:
      return "ssm_beta";
    case TensorRole::kSsmX:
      return "ssm_x";
    case TensorRole::kSsmDt:
      return "ssm_dt";
    case TensorRole::kSsmConv:
      return "ssm_conv1d";
    case TensorRole::kFfnGate:
      return "ffn_gate";
    case TensorRole::kFfnUp:
      return "ffn_up";
    case TensorRole::kFfnDown:
      return "ffn_down";
    case TensorRole::kFfnRouter:
      return "ffn_gate_inp";
    case TensorRole::kFfnGateExps:
      return "ffn_gate_exps";
    case TensorRole::kFfnUpExps:
      return "ffn_up_exps";
    case TensorRole::kFfnDownExps:
      return "ffn_down_exps";
    case TensorRole::kVector:
      return "vector";
    case TensorRole::kPerLayerEmbd:
      return "per_layer_token_embd";
    case TensorRole::kPerLayerGate:
      return "per_layer_gate";
    case TensorRole::kPerLayerProj:
      return "per_layer_proj";
    case TensorRole::kAltUp:
      return "altup";
    case TensorRole::kAdapter:
      return "adapter";
    case TensorRole::kAdapterUp:
      return "adapter_up";
  }
  return "?";
}

namespace {

// Appends the tensors of one layer; element counts follow docs/cost-model.md §3 term by term.
class TensorLister {
 public:
  TensorLister(const ModelSpec& model, std::vector<WeightTensor>* out)
      : d_(model.hidden_size),
        split_kv_b_(model.split_kv_b),
        delta_layout_(model.delta_layout),
        out_(out) {}

  void Layer(const LayerSpec& layer, int64_t il) {
    il_ = il;
    const double norm = NormElements(layer.norm, d_);
    Vector("attn_norm", norm);
    Mixer(layer);
    if (HasAttention(layer) && !CallsSharedBlock(layer)) {
      Attention(layer.attention);
    }
    for (int64_t i = 2; i < layer.norms_per_layer; ++i) {
      Vector(fmt::format("post_norm_{}", i - 2), norm);
    }
    if (layer.norms_per_layer >= 2) {
      Vector("ffn_norm", norm);
    }
    if (layer.has_ffn) {
      Ffn(layer.ffn);
    }
    Gemma3n(layer.gemma3n);
    SharedCall(layer);
  }

  // §14.1: one shared transformer block of a Zamba2 model, listed once outside the layers.
  void SharedBlock(const LayerSpec& l, int64_t block) {
    const std::string prefix = fmt::format("shared_blk.{}.", block);
    const AttentionSpec& a = l.attention;
    const int64_t d2 = 2 * d_;
    const double n = NormElements(l.norm, 1);
    out_->push_back({prefix + "attn_norm", TensorRole::kVector, -1, 0, n * static_cast<double>(d2)});
    Global(prefix + "attn_q.weight", TensorRole::kAttnQ, d2, a.num_heads * a.head_dim);
    Global(prefix + "attn_k.weight", TensorRole::kAttnK, d2, a.num_kv_heads * a.head_dim);
    Global(prefix + "attn_v.weight", TensorRole::kAttnV, d2, a.num_kv_heads * a.v_head_dim);
    Global(prefix + "attn_output.weight", TensorRole::kAttnOutput, a.num_heads * a.v_head_dim, d_);
    out_->push_back({prefix + "ffn_norm", TensorRole::kVector, -1, 0, n * static_cast<double>(d_)});
    const FfnSpec& f = l.ffn;
    const bool gated = f.kind == FfnKind::kGated;
    if (gated) {
      Global(prefix + "ffn_gate.weight", TensorRole::kFfnGate, d_, f.intermediate_size);
    }
    Global(prefix + "ffn_up.weight", TensorRole::kFfnUp, d_, f.intermediate_size);
    Global(prefix + "ffn_down.weight", TensorRole::kFfnDown, f.intermediate_size, d_);
    if (f.bias) {
      out_->push_back({prefix + "ffn_bias", TensorRole::kVector, -1, 0,
                       static_cast<double>((gated ? 2 : 1) * f.intermediate_size + d_)});
    }
  }

 private:
  void Global(const std::string& name, TensorRole role, int64_t in, int64_t out) {
    out_->push_back({name, role, -1, in, static_cast<double>(in) * static_cast<double>(out)});
  }

  // §14.1: what a layer calling a shared block owns: the d × d projection of the block's output
  // and its LoRA adapters.
  void SharedCall(const LayerSpec& l) {
    if (!CallsSharedBlock(l)) {
      return;
    }
    const int64_t r = l.shared.adapter_rank;
    Matrix("shared_linear", TensorRole::kAdapter, d_, d_);
    if (l.shared.attention_adapters) {
      Matrix("attn_adapter_down", TensorRole::kAdapter, 2 * d_, r, 3);
      Matrix("attn_adapter_up", TensorRole::kAdapterUp, r, 2 * d_, 3);
    }
    if (l.shared.mlp_adapter) {
      Matrix("ffn_adapter_down", TensorRole::kAdapter, d_, r);
      Matrix("ffn_adapter_up", TensorRole::kAdapterUp, r, 2 * l.ffn.intermediate_size);
    }
  }

  // §13.1, named as llama.cpp's GGUF files name them.
  void Gemma3n(const Gemma3nLayerSpec& g) {
    const int64_t n = g.altup_streams;
    if (n > 0) {
      // The two coefficient matrices (n × n, n × n²) are F32 in GGUF files, as convert_hf_to_gguf
      // writes them: typed as vectors.
      Matrix("altup_correct_coef", TensorRole::kVector, n, n);
      Vector("altup_correct_scale", static_cast<double>(d_));
      Matrix("altup_predict_coef", TensorRole::kVector, n, n * n);
      Matrix("altup_router", TensorRole::kAltUp, d_, n);
      Vector("altup_router_norm", static_cast<double>(d_));
    }
    if (g.laurel_rank > 0) {
      Matrix("laurel_l", TensorRole::kAltUp, d_, g.laurel_rank);
      Matrix("laurel_r", TensorRole::kAltUp, g.laurel_rank, d_);
      Vector("laurel_post_norm", static_cast<double>(d_));
    }
    if (g.per_layer_width > 0) {
      Matrix("inp_gate", TensorRole::kPerLayerGate, d_, g.per_layer_width);
      Matrix("proj", TensorRole::kPerLayerProj, g.per_layer_width, d_);
      Vector("post_norm", static_cast<double>(d_));
    }
  }

  void Attention(const AttentionSpec& a) {
    const int64_t h = a.num_heads;
    const int64_t dv = a.v_head_dim;
    if (a.kind == AttentionKind::kStandard) {
      const int64_t hkv = a.num_kv_heads;
      const int64_t dh = a.head_dim;
      Matrix("attn_q", TensorRole::kAttnQ, d_, h * dh * (a.output_gate ? 2 : 1));
      Matrix("attn_k", TensorRole::kAttnK, d_, hkv * dh);
      Matrix("attn_v", TensorRole::kAttnV, d_, hkv * dv);
      if (a.qkv_bias) {
        Vector("attn_qkv_bias", static_cast<double>(h * dh + hkv * dh + hkv * dv));
      }
      if (a.qk_norm) {
        Vector("attn_q_norm", static_cast<double>(a.qk_norm_full ? h * dh : dh));
        Vector("attn_k_norm", static_cast<double>(a.qk_norm_full ? hkv * dh : dh));
      }
    } else {
      const int64_t dq = a.q_lora_rank;
      const int64_t dc = a.kv_lora_rank;
      const int64_t dn = a.qk_nope_head_dim;
      const int64_t dr = a.qk_rope_head_dim;
      if (dq > 0) {
        Matrix("attn_q_a", TensorRole::kAttnQA, d_, dq);
        Vector("attn_q_a_norm", static_cast<double>(dq));
        Matrix("attn_q_b", TensorRole::kAttnQB, dq, h * (dn + dr));
      } else {
        Matrix("attn_q", TensorRole::kAttnQ, d_, h * (dn + dr));
      }
      Matrix("attn_kv_a_mqa", TensorRole::kAttnKvA, d_, dc + dr);
      Vector("attn_kv_a_norm", static_cast<double>(dc));
      if (split_kv_b_) {
        // llama.cpp's converter stores W_UK transposed (rows of d_n, one d_c × d_n matrix per
        // head) and W_UV as is.
        Matrix("attn_k_b", TensorRole::kAttnKB, dn, dc * h);
        Matrix("attn_v_b", TensorRole::kAttnVB, dc, h * dv);
      } else {
        Matrix("attn_kv_b", TensorRole::kAttnKvB, dc, h * (dn + dv));
      }
    }
    Matrix("attn_output", TensorRole::kAttnOutput, h * dv, d_);
    if (a.o_bias) {
      Vector("attn_output_bias", static_cast<double>(d_));
    }
  }

  // §11: the recurrent mixers, named as llama.cpp's GGUF files name them.
  void Mixer(const LayerSpec& layer) {
    const int64_t d = d_;
    if (layer.mixer == MixerKind::kMamba) {
      const SsmSpec& m = layer.ssm;
      const int64_t e = m.d_inner;
      const int64_t n = m.d_state;
      const int64_t gn = m.n_groups * n;
      const int64_t in_width = m.version == 1 ? 2 * e : 2 * e + 2 * gn + m.num_heads;
      const int64_t conv = m.version == 1 ? e : e + 2 * gn;
      Matrix("ssm_in", TensorRole::kSsmIn, d, in_width);
      Matrix("ssm_conv1d", TensorRole::kSsmConv, m.d_conv, conv);
      double vectors = m.conv_bias ? static_cast<double>(conv) : 0.0;
      if (m.version == 1) {
        Matrix("ssm_x", TensorRole::kSsmX, e, m.dt_rank + 2 * n);
        Matrix("ssm_dt", TensorRole::kSsmDt, m.dt_rank, e);
        vectors += static_cast<double>(e) + static_cast<double>(e * n) + static_cast<double>(e);
      } else {
        vectors += 3.0 * static_cast<double>(m.num_heads) + (m.gated_norm ? static_cast<double>(e) : 0.0);
      }
      if (m.proj_bias) {
        vectors += static_cast<double>(in_width + d);
      }
      Vector("ssm_vectors", vectors);  // dt bias, A, D, norm, conv and projection biases
      Matrix("ssm_out", TensorRole::kSsmOut, e, d);
    } else if (layer.mixer == MixerKind::kGatedDeltaNet) {
      const DeltaNetSpec& g = layer.delta;
      const int64_t qk = g.num_k_heads * g.head_k_dim;
      const int64_t v = g.num_v_heads * g.head_v_dim;
      const int64_t hv = g.num_v_heads;
      switch (delta_layout_) {
        case DeltaNetLayout::kFused:
          Matrix("ssm_in", TensorRole::kSsmIn, d, 2 * qk + 2 * v + 2 * hv);
          break;
        case DeltaNetLayout::kQkvzBa:
          Matrix("ssm_in", TensorRole::kSsmIn, d, 2 * qk + 2 * v);
          Matrix("ssm_beta_alpha", TensorRole::kSsmAlpha, d, 2 * hv);
          break;
        case DeltaNetLayout::kQkvGateBa:
        case DeltaNetLayout::kQkvGateAlphaBeta:
          Matrix("attn_qkv", TensorRole::kSsmQkv, d, 2 * qk + v);
          Matrix("attn_gate", TensorRole::kSsmGate, d, v);
          if (delta_layout_ == DeltaNetLayout::kQkvGateBa) {
            Matrix("ssm_beta_alpha", TensorRole::kSsmAlpha, d, 2 * hv);
          } else {
            Matrix("ssm_beta", TensorRole::kSsmBeta, d, hv);
            Matrix("ssm_alpha", TensorRole::kSsmAlpha, d, hv);
          }
          break;
      }
      Matrix("ssm_conv1d", TensorRole::kSsmConv, g.conv_kernel, 2 * qk + v);
      Vector("ssm_vectors", static_cast<double>(2 * g.num_v_heads + g.head_v_dim));
      Matrix("ssm_out", TensorRole::kSsmOut, v, d);
    } else if (layer.mixer == MixerKind::kShortConv) {
      const ShortConvSpec& c = layer.conv;
      Matrix("shortconv.in_proj", TensorRole::kSsmIn, d, 3 * d);
      Matrix("shortconv.conv", TensorRole::kSsmConv, c.kernel, d);
      if (c.bias) {
        Vector("shortconv.bias", static_cast<double>(5 * d));
      }
      Matrix("shortconv.out_proj", TensorRole::kSsmOut, d, d);
    }
  }

  static double NormElements(NormKind kind, int64_t width) {
    return static_cast<double>(width) * (kind == NormKind::kLayerNorm ? 2.0 : 1.0);
  }

  void Matrix(const std::string& name, TensorRole role, int64_t in, int64_t out, double copies = 1) {
    out_->push_back({fmt::format("blk.{}.{}.weight", il_, name), role, il_, in,
                     copies * static_cast<double>(in) * static_cast<double>(out)});
  }
  void Vector(const std::string& name, double elements) {
    out_->push_back({fmt::format("blk.{}.{}", il_, name), TensorRole::kVector, il_, 0, elements});
  }

  void Ffn(const FfnSpec& f) {
    const bool gated = f.kind == FfnKind::kGated;
    if (f.num_experts == 0) {
      const int64_t i = f.intermediate_size;
      if (gated) {
        Matrix("ffn_gate", TensorRole::kFfnGate, d_, i);
      }
      Matrix("ffn_up", TensorRole::kFfnUp, d_, i);
      Matrix("ffn_down", TensorRole::kFfnDown, i, d_);
      if (f.bias) {
        Vector("ffn_bias", static_cast<double>((gated ? 2 : 1) * i + d_));
      }
      return;
    }
    // §6.3, named as llama.cpp names them: the router, the routed experts stacked in one tensor
    // per projection, the shared experts as one dense FFN. Routed experts have roles of their
    // own: files often store them at another type than the shared experts.
    const int64_t ie = f.expert_intermediate_size;
    const double e = static_cast<double>(f.num_experts);
    Matrix("ffn_gate_inp", TensorRole::kFfnRouter, d_, f.num_experts);
    if (f.router_bias) {
      Vector("ffn_gate_inp.bias", e);
    }
    if (gated) {
      Matrix("ffn_gate_exps", TensorRole::kFfnGateExps, d_, ie, e);
    }
    Matrix("ffn_up_exps", TensorRole::kFfnUpExps, d_, ie, e);
    Matrix("ffn_down_exps", TensorRole::kFfnDownExps, ie, d_, e);
    if (f.expert_bias) {
      Vector("ffn_exps.bias", e * static_cast<double>((gated ? 2 : 1) * ie + d_));
    }
    if (f.intermediate_size > 0) {
      const int64_t is = f.intermediate_size;
      if (gated) {
        Matrix("ffn_gate_shexp", TensorRole::kFfnGate, d_, is);
      }
      Matrix("ffn_up_shexp", TensorRole::kFfnUp, d_, is);
      Matrix("ffn_down_shexp", TensorRole::kFfnDown, is, d_);
    }
  }

  int64_t d_;
  bool split_kv_b_;
  DeltaNetLayout delta_layout_;
  int64_t il_ = 0;
  std::vector<WeightTensor>* out_;
};

}  // namespace

std::vector<WeightTensor> ListWeightTensors(const ModelSpec& model) {
  std::vector<WeightTensor> out;
  const int64_t d = model.hidden_size;
  const double vd = static_cast<double>(model.vocab_size) * static_cast<double>(d);
  out.push_back({"token_embd.weight", TensorRole::kTokenEmbd, -1, d, vd});
  if (!model.tie_word_embeddings) {
    out.push_back({"output.weight", TensorRole::kOutput, -1, d, vd});
  }
  out.push_back({"output_norm.weight", TensorRole::kVector, -1, 0,
                 static_cast<double>(d) * (model.final_norm == NormKind::kLayerNorm ? 2.0 : 1.0)});
  // §13.1: Gemma 3n's per-layer embedding table (a row of L·p per token), its projection from the
  // token embedding, and AltUp's stream projections.
  const Gemma3nModelSpec& gm = model.gemma3n;
  const int64_t lp = model.NumLayers() * gm.per_layer_width;
  if (gm.per_layer_width > 0) {
    out.push_back({"per_layer_token_embd.weight", TensorRole::kPerLayerEmbd, -1, lp,
                   static_cast<double>(gm.per_layer_vocab) * static_cast<double>(lp)});
    out.push_back({"per_layer_model_proj.weight", TensorRole::kAltUp, -1, d,
                   static_cast<double>(d) * static_cast<double>(lp)});
    out.push_back({"per_layer_proj_norm.weight", TensorRole::kVector, -1, 0,
                   static_cast<double>(gm.per_layer_width)});
  }
  if (gm.altup_streams > 1) {
    const double dd = static_cast<double>(gm.altup_streams - 1) * static_cast<double>(d) *
                      static_cast<double>(d);
    out.push_back({"altup_proj.weight", TensorRole::kAltUp, -1, d, dd});
    out.push_back({"altup_unembd_proj.weight", TensorRole::kAltUp, -1, d, dd});
  }
  TensorLister lister(model, &out);
  const auto caller = std::find_if(model.groups.begin(), model.groups.end(),
                                   [](const LayerGroup& lg) { return CallsSharedBlock(lg.layer); });
  if (caller != model.groups.end()) {
    for (int64_t b = 0; b < model.shared_blocks; ++b) {
      lister.SharedBlock(caller->layer, b);
    }
  }
  int64_t il = 0;
  for (const LayerGroup& g : model.groups) {
    for (int64_t r = 0; r < g.repeat; ++r) {
      lister.Layer(g.layer, il++);
    }
  }
  return out;
}


}  // namespace slmroof
