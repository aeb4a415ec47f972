#include "slmroof/model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "slmroof/errors.hpp"

namespace slmroof {

int64_t ModelSpec::NumLayers() const {
  int64_t n = 0;
  for (const LayerGroup& g : groups) {
    n += g.repeat;
  }
  return n;
}

ModelSpec WithDepth(const ModelSpec& model, int64_t layers) {
  // The paper's depth variants (docs/cost-model.md §7.4): keep the first `layers` layers, or add
  // copies of the last one.
  ModelSpec variant = model;
  variant.groups.clear();
  int64_t left = layers;
  for (const LayerGroup& g : model.groups) {
    if (left == 0) {
      break;
    }
    variant.groups.push_back({g.layer, std::min(g.repeat, left)});
    left -= variant.groups.back().repeat;
  }
  variant.groups.back().repeat += left;
  return variant;
}

namespace {

double NormParams(NormKind kind, int64_t width) {
  // RMSNorm has a scale per element, LayerNorm a scale and a shift (§3).
  return static_cast<double>(width) * (kind == NormKind::kLayerNorm ? 2.0 : 1.0);
}

double AttentionParams(const AttentionSpec& a, double d) {
  const double h = static_cast<double>(a.num_heads);
  const double dv = static_cast<double>(a.v_head_dim);
  double n = h * dv * d + (a.o_bias ? d : 0.0);  // o_proj
  if (a.kind == AttentionKind::kStandard) {
    const double hkv = static_cast<double>(a.num_kv_heads);
    const double dh = static_cast<double>(a.head_dim);
    n += d * h * dh + d * hkv * dh + d * hkv * dv;
    if (a.qkv_bias) {
      n += h * dh + hkv * dh + hkv * dv;
    }
    if (a.qk_norm) {
      n += 2 * dh;  // one RMSNorm scale shared by all query heads, one by all key heads
    }
    return n;
  }
  const double dq = static_cast<double>(a.q_lora_rank);
  const double dc = static_cast<double>(a.kv_lora_rank);
  const double dn = static_cast<double>(a.qk_nope_head_dim);
  const double dr = static_cast<double>(a.qk_rope_head_dim);
  if (a.q_lora_rank > 0) {
    n += d * dq + dq + dq * h * (dn + dr);  // q_a_proj, q_a_layernorm, q_b_proj
  } else {
    n += d * h * (dn + dr);  // q_proj
  }
  n += d * (dc + dr) + dc + dc * h * (dn + dv);  // kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj
  return n;
}

double FfnParams(const FfnSpec& f, double d, bool active_only) {
  const double matrices = f.kind == FfnKind::kGated ? 3.0 : 2.0;
  if (f.num_experts == 0) {
    const double i = static_cast<double>(f.intermediate_size);
    double n = matrices * d * i;
    if (f.bias) {
      n += (matrices - 1.0) * i + d;
    }
    return n;
  }
  // Shared experts are a dense FFN of the shared width; each routed expert is one more of width
  // Ie, with biases on its projections where the family has them (gpt-oss); the router is D×E.
  const double ie = static_cast<double>(f.expert_intermediate_size);
  const double e = static_cast<double>(f.num_experts);
  const double shared = matrices * d * static_cast<double>(f.intermediate_size);
  const double expert = matrices * d * ie + (f.expert_bias ? (matrices - 1.0) * ie + d : 0.0);
  const double routed = static_cast<double>(active_only ? f.experts_per_token : f.num_experts);
  return d * e + (f.router_bias ? e : 0.0) + shared + routed * expert;
}

}  // namespace

double LayerParams(const LayerSpec& layer, int64_t hidden_size, bool active_only) {
  const double d = static_cast<double>(hidden_size);
  return AttentionParams(layer.attention, d) + FfnParams(layer.ffn, d, active_only) +
         static_cast<double>(layer.norms_per_layer) * NormParams(layer.norm, hidden_size);
}

ParamCount CountParams(const ModelSpec& model) {
  ParamCount p;
  const double vd = static_cast<double>(model.vocab_size) * static_cast<double>(model.hidden_size);
  p.embedding = vd;
  p.lm_head = model.tie_word_embeddings ? 0.0 : vd;
  for (const LayerGroup& g : model.groups) {
    p.layers += static_cast<double>(g.repeat) * LayerParams(g.layer, model.hidden_size, false);
    p.active_layers += static_cast<double>(g.repeat) * LayerParams(g.layer, model.hidden_size, true);
  }
  p.final_norm = NormParams(model.final_norm, model.hidden_size);
  return p;
}

namespace {

void RequirePositive(int64_t value, const std::string& origin, const std::string& field) {
  if (value <= 0) {
    throw InputError(fmt::format("{}: field '{}' must be a positive integer, got {}", origin, field, value));
  }
}

}  // namespace

void ValidateModel(const ModelSpec& model, const std::string& origin) {
  RequirePositive(model.vocab_size, origin, "vocab_size");
  RequirePositive(model.hidden_size, origin, "hidden_size");
  if (model.groups.empty()) {
    throw InputError(fmt::format("{}: the model has no layers", origin));
  }
  for (const LayerGroup& g : model.groups) {
    RequirePositive(g.repeat, origin, "num_hidden_layers");
    const AttentionSpec& a = g.layer.attention;
    RequirePositive(a.num_heads, origin, "num_attention_heads");
    RequirePositive(a.v_head_dim, origin, "v_head_dim");
    if (a.kind == AttentionKind::kStandard) {
      RequirePositive(a.num_kv_heads, origin, "num_key_value_heads");
      RequirePositive(a.head_dim, origin, "head_dim");
      if (a.num_heads % a.num_kv_heads != 0) {
        throw InputError(fmt::format(
            "{}: num_key_value_heads ({}) must divide num_attention_heads ({})", origin,
            a.num_kv_heads, a.num_heads));
      }
      if (a.rope_dim < 0 || a.rope_dim > a.head_dim) {
        throw InputError(fmt::format("{}: the rotary width ({}) must lie in [0, head_dim = {}]",
                                     origin, a.rope_dim, a.head_dim));
      }
    } else {
      RequirePositive(a.kv_lora_rank, origin, "kv_lora_rank");
      RequirePositive(a.qk_nope_head_dim, origin, "qk_nope_head_dim");
      RequirePositive(a.qk_rope_head_dim, origin, "qk_rope_head_dim");
      if (a.q_lora_rank < 0) {
        throw InputError(fmt::format("{}: field 'q_lora_rank' must be positive or null", origin));
      }
    }
    if (a.sliding_window < 0) {
      throw InputError(fmt::format("{}: field 'sliding_window' must be positive or 0 (none), got {}",
                                   origin, a.sliding_window));
    }
    const FfnSpec& f = g.layer.ffn;
    if (!f.is_moe()) {
      RequirePositive(f.intermediate_size, origin, "intermediate_size");
    } else {
      RequirePositive(f.experts_per_token, origin, "num_experts_per_tok");
      RequirePositive(f.expert_intermediate_size, origin, "moe_intermediate_size");
      if (f.experts_per_token > f.num_experts) {
        throw InputError(fmt::format("{}: num_experts_per_tok ({}) exceeds the number of experts ({})",
                                     origin, f.experts_per_token, f.num_experts));
      }
      if ((f.num_shared_experts > 0) != (f.intermediate_size > 0)) {
        throw InputError(fmt::format(
            "{}: {} shared experts with a shared width of {}: both must be 0 or both positive",
            origin, f.num_shared_experts, f.intermediate_size));
      }
    }
  }
}

}  // namespace slmroof
