#include "slmroof/model.hpp"

#include <algorithm>
#include <charconv>
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
  // A GGUF model's stored types follow its layers: a copy of the last layer stores its tensors
  // as the last layer does.
  if (!model.stored_types.empty()) {
    const int64_t had = model.NumLayers();
    variant.stored_types.clear();
    for (const auto& [name, type] : model.stored_types) {
      int64_t il = -1;
      size_t end = 0;
      if (name.starts_with("blk.")) {
        end = name.find('.', 4);
        const char* first = name.data() + 4;
        const char* last = name.data() + (end == std::string::npos ? 4 : end);
        const auto [ptr, ec] = std::from_chars(first, last, il);
        if (end == std::string::npos || ec != std::errc() || ptr != last) {
          il = -1;
        }
      }
      if (il < 0) {
        variant.stored_types[name] = type;
        continue;
      }
      if (il < layers) {
        variant.stored_types[name] = type;
      }
      if (il == had - 1) {
        for (int64_t k = had; k < layers; ++k) {
          variant.stored_types[fmt::format("blk.{}{}", k, name.substr(end))] = type;
        }
      }
    }
  }
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
    n += d * h * dh * (a.output_gate ? 2.0 : 1.0) + d * hkv * dh + d * hkv * dv;
    if (a.qkv_bias) {
      n += h * dh + hkv * dh + hkv * dv;
    }
    if (a.qk_norm) {
      // One RMSNorm scale shared by all query heads and one by all key heads, or a scale per
      // element across all heads (OLMo 2, OLMoE).
      n += a.qk_norm_full ? (h + hkv) * dh : 2 * dh;
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

// §11: the recurrent mixers' tensors.
double SsmParams(const SsmSpec& m, double d) {
  const double e = static_cast<double>(m.d_inner);
  const double n = static_cast<double>(m.d_state);
  const double k = static_cast<double>(m.d_conv);
  const double bias = m.proj_bias ? 1.0 : 0.0;
  if (m.version == 1) {
    const double r = static_cast<double>(m.dt_rank);
    return 2 * e * d + 2 * e * bias         // in_proj (x, z)
           + e * k + (m.conv_bias ? e : 0)  // conv1d
           + e * (r + 2 * n)                // x_proj (Δ, B, C)
           + r * e + e                      // dt_proj with its bias
           + e * n + e                      // A_log, D
           + e * d + d * bias;              // out_proj
  }
  const double h = static_cast<double>(m.num_heads);
  const double gn = static_cast<double>(m.n_groups) * n;
  const double in_width = 2 * e + 2 * gn + h;  // z, x, B, C, dt
  const double conv = e + 2 * gn;
  return d * in_width + in_width * bias + conv * k + (m.conv_bias ? conv : 0) + 3 * h  // dt_bias, A_log, D
         + (m.gated_norm ? e : 0) + e * d + d * bias;
}

double DeltaNetParams(const DeltaNetSpec& g, double d) {
  const double qk = static_cast<double>(g.num_k_heads * g.head_k_dim);
  const double v = static_cast<double>(g.num_v_heads * g.head_v_dim);
  const double hv = static_cast<double>(g.num_v_heads);
  return d * (2 * qk + 2 * v)                                    // in_proj_qkvz
         + d * 2 * hv                                            // in_proj_ba (β, α)
         + (2 * qk + v) * static_cast<double>(g.conv_kernel)     // conv1d, no bias
         + 2 * hv                                                // dt_bias, A_log
         + static_cast<double>(g.head_v_dim)                     // gated RMSNorm, shared by heads
         + v * d;                                                // out_proj
}

double ShortConvParams(const ShortConvSpec& c, double d) {
  const double bias = c.bias ? 1.0 : 0.0;
  return 3 * d * d + 3 * d * bias + d * static_cast<double>(c.kernel) + d * bias + d * d + d * bias;
}

double MixerParams(const LayerSpec& l, double d) {
  double n = l.parallel_attention ? AttentionParams(l.attention, d) : 0.0;
  switch (l.mixer) {
    case MixerKind::kAttention:
      return AttentionParams(l.attention, d);
    case MixerKind::kMamba:
      return n + SsmParams(l.ssm, d);
    case MixerKind::kGatedDeltaNet:
      return n + DeltaNetParams(l.delta, d);
    case MixerKind::kShortConv:
      return n + ShortConvParams(l.conv, d);
    case MixerKind::kNone:
      return n;
  }
  return n;
}

// §13.1: Gemma 3n's per-layer additions. AltUp: correction n×n, prediction n×n², router d×n,
// router norm d, output scale d; LAuReL: d×r, r×d and a norm d; per-layer input: gate d×p,
// projection p×d and a norm d.
double Gemma3nLayerParams(const Gemma3nLayerSpec& g, double d) {
  const double n = static_cast<double>(g.altup_streams);
  const double r = static_cast<double>(g.laurel_rank);
  const double p = static_cast<double>(g.per_layer_width);
  double params = 0;
  if (g.altup_streams > 0) {
    params += n * n + n * n * n + d * n + 2 * d;
  }
  if (g.laurel_rank > 0) {
    params += 2 * d * r + d;
  }
  if (g.per_layer_width > 0) {
    params += 2 * d * p + d;
  }
  return params;
}

// §14.1: what a Zamba2 hybrid layer owns beside its Mamba-2 mixer: the d × d projection of the
// shared block's output and its LoRA adapters (q, k, v: 2d·r + r·2d each; MLP: d·r + r·2F).
double SharedCallParams(const LayerSpec& l, double d) {
  if (!CallsSharedBlock(l)) {
    return 0;
  }
  const double r = static_cast<double>(l.shared.adapter_rank);
  double n = d * d;
  if (l.shared.attention_adapters) {
    n += 3 * (2 * d * r + r * 2 * d);
  }
  if (l.shared.mlp_adapter) {
    n += d * r + r * 2 * static_cast<double>(l.ffn.intermediate_size);
  }
  return n;
}

}  // namespace

double SharedBlockParams(const LayerSpec& l, int64_t hidden_size) {
  // §14.1: a norm over concat(hidden, embedding), attention whose q/k/v read 2d and whose output
  // projection writes d, a norm, and the gated MLP.
  const double d = static_cast<double>(hidden_size);
  const AttentionSpec& a = l.attention;
  const double h = static_cast<double>(a.num_heads);
  const double hkv = static_cast<double>(a.num_kv_heads);
  const double dh = static_cast<double>(a.head_dim);
  const double dv = static_cast<double>(a.v_head_dim);
  const double attention = 2 * d * (h * dh + hkv * dh + hkv * dv) + h * dv * d;
  return NormParams(l.norm, 2 * hidden_size) + attention + NormParams(l.norm, hidden_size) +
         FfnParams(l.ffn, d, false);
}

double StateElements(const LayerSpec& layer, int64_t hidden_size) {
  switch (layer.mixer) {
    case MixerKind::kMamba: {
      const SsmSpec& m = layer.ssm;
      const double e = static_cast<double>(m.d_inner);
      const double conv_channels =
          m.version == 1 ? e : e + 2.0 * static_cast<double>(m.n_groups * m.d_state);
      return e * static_cast<double>(m.d_state) + static_cast<double>(m.d_conv - 1) * conv_channels;
    }
    case MixerKind::kGatedDeltaNet: {
      const DeltaNetSpec& g = layer.delta;
      const double channels = static_cast<double>(2 * g.num_k_heads * g.head_k_dim +
                                                  g.num_v_heads * g.head_v_dim);
      return static_cast<double>(g.num_v_heads * g.head_k_dim * g.head_v_dim) +
             static_cast<double>(g.conv_kernel - 1) * channels;
    }
    case MixerKind::kShortConv:
      return static_cast<double>(layer.conv.kernel - 1) * static_cast<double>(hidden_size);
    case MixerKind::kAttention:
    case MixerKind::kNone:
      return 0;
  }
  return 0;
}

double LayerParams(const LayerSpec& layer, int64_t hidden_size, bool active_only) {
  const double d = static_cast<double>(hidden_size);
  return MixerParams(layer, d) + (layer.has_ffn ? FfnParams(layer.ffn, d, active_only) : 0.0) +
         static_cast<double>(layer.norms_per_layer) * NormParams(layer.norm, hidden_size) +
         Gemma3nLayerParams(layer.gemma3n, d) + SharedCallParams(layer, d);
}

std::string DescribeLayers(const ModelSpec& model) {
  std::vector<std::string> parts;
  bool moe = false;
  auto add = [&parts](std::string part) {
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) {
      parts.push_back(std::move(part));
    }
  };
  for (const LayerGroup& g : model.groups) {
    const LayerSpec& l = g.layer;
    if (l.mixer == MixerKind::kMamba) {
      add(l.ssm.version == 1 ? "Mamba-1" : "Mamba-2");
    } else if (l.mixer == MixerKind::kGatedDeltaNet) {
      add("DeltaNet");
    } else if (l.mixer == MixerKind::kShortConv) {
      add("conv");
    }
    if (HasAttention(l)) {
      const AttentionSpec& a = l.attention;
      const std::string kind =
          a.kind == AttentionKind::kMla   ? std::string("MLA")
          : a.num_kv_heads == a.num_heads ? std::string("MHA")
          : a.num_kv_heads == 1           ? std::string("MQA")
                                          : fmt::format("GQA {}/{}", a.num_heads, a.num_kv_heads);
      add(CallsSharedBlock(l) ? fmt::format("shared {} blocks", kind) : kind);
    }
    moe = moe || (l.has_ffn && l.ffn.is_moe());
  }
  if (moe) {
    parts.emplace_back("MoE");
  }
  if (model.gemma3n.altup_streams > 0) {
    parts.emplace_back("AltUp");
  }
  if (model.gemma3n.per_layer_width > 0) {
    parts.emplace_back("PLE");
  }
  return fmt::format("{}", fmt::join(parts, " + "));
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
  // §13.1: Gemma 3n's per-layer embedding table Vp × L·p, its projection d × L·p with a norm of
  // p, and AltUp's 2(n − 1) stream projections d × d.
  const Gemma3nModelSpec& g = model.gemma3n;
  const double lp = static_cast<double>(model.NumLayers()) * static_cast<double>(g.per_layer_width);
  const double d = static_cast<double>(model.hidden_size);
  p.per_layer_embedding = static_cast<double>(g.per_layer_vocab) * lp;
  if (g.per_layer_width > 0) {
    p.globals += d * lp + static_cast<double>(g.per_layer_width);
  }
  if (g.altup_streams > 1) {
    p.globals += 2.0 * static_cast<double>(g.altup_streams - 1) * d * d;
  }
  // §14.1: each of Zamba2's shared blocks once, however many layers call it.
  for (const LayerGroup& lg : model.groups) {
    if (CallsSharedBlock(lg.layer)) {
      p.globals += static_cast<double>(model.shared_blocks) *
                   SharedBlockParams(lg.layer, model.hidden_size);
      break;
    }
  }
  return p;
}

namespace {

void RequirePositive(int64_t value, const std::string& origin, const std::string& field) {
  if (value <= 0) {
    throw InputError(fmt::format("{}: field '{}' must be a positive integer, got {}", origin, field, value));
  }
}

void ValidateFfn(const FfnSpec& f, const std::string& origin) {
  if (!f.is_moe()) {
    RequirePositive(f.intermediate_size, origin, "intermediate_size");
    return;
  }
  RequirePositive(f.experts_per_token, origin, "num_experts_per_tok");
  RequirePositive(f.expert_intermediate_size, origin, "moe_intermediate_size");
  if (f.experts_per_token > f.num_experts) {
    throw InputError(fmt::format("{}: num_experts_per_tok ({}) exceeds the number of experts ({})",
                                 origin, f.experts_per_token, f.num_experts));
  }
  if ((f.num_shared_experts > 0) != (f.intermediate_size > 0)) {
    throw InputError(fmt::format(
        "{}: {} shared experts with a shared width of {}: both must be 0 or both positive", origin,
        f.num_shared_experts, f.intermediate_size));
  }
}

// §11: the shapes a recurrent mixer needs; readers bound each field, this checks how they fit.
void ValidateMixer(const LayerSpec& l, const std::string& origin) {
  if (l.mixer == MixerKind::kMamba) {
    const SsmSpec& m = l.ssm;
    RequirePositive(m.d_inner, origin, "the SSM inner width (d_inner)");
    RequirePositive(m.d_state, origin, "the SSM state size (d_state)");
    RequirePositive(m.d_conv, origin, "the SSM convolution width (d_conv)");
    if (m.version == 1) {
      RequirePositive(m.dt_rank, origin, "time_step_rank");
    } else {
      RequirePositive(m.num_heads, origin, "the Mamba-2 head count");
      RequirePositive(m.n_groups, origin, "n_groups");
      RequirePositive(m.chunk_size, origin, "chunk_size");
      if (m.d_inner % m.num_heads != 0 || m.num_heads % m.n_groups != 0) {
        throw InputError(fmt::format(
            "{}: the Mamba-2 heads ({}) must divide the inner width ({}) and be divisible by the "
            "groups ({})",
            origin, m.num_heads, m.d_inner, m.n_groups));
      }
    }
  } else if (l.mixer == MixerKind::kGatedDeltaNet) {
    const DeltaNetSpec& g = l.delta;
    RequirePositive(g.num_k_heads, origin, "linear_num_key_heads");
    RequirePositive(g.num_v_heads, origin, "linear_num_value_heads");
    RequirePositive(g.head_k_dim, origin, "linear_key_head_dim");
    RequirePositive(g.head_v_dim, origin, "linear_value_head_dim");
    RequirePositive(g.conv_kernel, origin, "linear_conv_kernel_dim");
    RequirePositive(g.chunk_size, origin, "the delta-rule chunk size");
    if (g.num_v_heads % g.num_k_heads != 0) {
      throw InputError(fmt::format("{}: linear_num_key_heads ({}) must divide linear_num_value_heads ({})",
                                   origin, g.num_k_heads, g.num_v_heads));
    }
  } else if (l.mixer == MixerKind::kShortConv) {
    RequirePositive(l.conv.kernel, origin, "conv_L_cache");
  }
  if (l.mixer == MixerKind::kNone && !l.has_ffn) {
    throw InputError(fmt::format("{}: a layer has neither a mixer nor an FFN", origin));
  }
}

}  // namespace

// §13: every layer's per-layer input matches the table's width, and a layer that reads an
// earlier layer's cache has one of the same shape and window before it.
// §14: every call of a shared block names one of the model's blocks, and all calls describe the
// same block shape (the blocks share one configuration).
static void ValidateSharedBlocks(const ModelSpec& model, const std::string& origin) {
  const LayerSpec* first = nullptr;
  for (const LayerGroup& g : model.groups) {
    const LayerSpec& l = g.layer;
    if (!CallsSharedBlock(l)) {
      continue;
    }
    if (l.shared.block >= model.shared_blocks || l.attention.kind != AttentionKind::kStandard ||
        l.shared.adapter_rank < 0 ||
        ((l.shared.attention_adapters || l.shared.mlp_adapter) && l.shared.adapter_rank == 0)) {
      throw InputError(fmt::format(
          "{}: a layer calls shared block {} of {}, or its adapters (rank {}) or attention do not "
          "fit one",
          origin, l.shared.block, model.shared_blocks, l.shared.adapter_rank));
    }
    if (first != nullptr && (!(first->attention == l.attention) || !(first->ffn == l.ffn))) {
      throw InputError(fmt::format("{}: the layers calling shared blocks describe different blocks",
                                   origin));
    }
    first = &l;
  }
}

static void ValidateGemma3n(const ModelSpec& model, const std::string& origin) {
  const Gemma3nModelSpec& gm = model.gemma3n;
  if (gm.per_layer_vocab < 0 || gm.per_layer_width < 0 || gm.altup_streams < 0 ||
      (gm.per_layer_vocab > 0) != (gm.per_layer_width > 0)) {
    throw InputError(fmt::format(
        "{}: the per-layer embedding table needs both a vocabulary and a width (got {} and {})",
        origin, gm.per_layer_vocab, gm.per_layer_width));
  }
  std::vector<const AttentionSpec*> cached;
  for (const LayerGroup& g : model.groups) {
    const Gemma3nLayerSpec& l = g.layer.gemma3n;
    if (l.per_layer_width != gm.per_layer_width || l.altup_streams != gm.altup_streams ||
        l.laurel_rank < 0) {
      throw InputError(fmt::format(
          "{}: a layer's per-layer input width ({}) or AltUp streams ({}) differ from the model's "
          "({}, {})",
          origin, l.per_layer_width, l.altup_streams, gm.per_layer_width, gm.altup_streams));
    }
    if (!HasAttention(g.layer)) {
      continue;
    }
    const AttentionSpec& a = g.layer.attention;
    if (!a.kv_shared) {
      cached.push_back(&a);
      continue;
    }
    const bool source = std::any_of(cached.begin(), cached.end(), [&a](const AttentionSpec* c) {
      return c->kind == AttentionKind::kStandard && a.kind == AttentionKind::kStandard &&
             c->num_kv_heads == a.num_kv_heads && c->head_dim == a.head_dim &&
             c->v_head_dim == a.v_head_dim && c->sliding_window == a.sliding_window;
    });
    if (!source) {
      throw InputError(fmt::format(
          "{}: a layer shares the KV cache of an earlier layer, but no earlier layer holds a cache "
          "of its shape and window",
          origin));
    }
  }
}

void ValidateModel(const ModelSpec& model, const std::string& origin) {
  RequirePositive(model.vocab_size, origin, "vocab_size");
  RequirePositive(model.hidden_size, origin, "hidden_size");
  if (model.groups.empty()) {
    throw InputError(fmt::format("{}: the model has no layers", origin));
  }
  ValidateGemma3n(model, origin);
  ValidateSharedBlocks(model, origin);
  for (const LayerGroup& g : model.groups) {
    RequirePositive(g.repeat, origin, "num_hidden_layers");
    ValidateMixer(g.layer, origin);
    const AttentionSpec& a = g.layer.attention;
    if (!HasAttention(g.layer)) {
      if (g.layer.has_ffn) {
        ValidateFfn(g.layer.ffn, origin);
      }
      continue;
    }
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
    if (g.layer.has_ffn) {
      ValidateFfn(g.layer.ffn, origin);
    }
  }
}

}  // namespace slmroof
