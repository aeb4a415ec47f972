#include "slmroof/graph.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "slmroof/weights.hpp"

namespace slmroof {

std::string_view OpKindName(OpKind k) {
  switch (k) {
    case OpKind::kEmbedding:
      return "embedding";
    case OpKind::kNorm:
      return "norm";
    case OpKind::kLinear:
      return "linear";
    case OpKind::kRope:
      return "rope";
    case OpKind::kKvWrite:
      return "kv_write";
    case OpKind::kAttnScore:
      return "attn_score";
    case OpKind::kSoftmax:
      return "softmax";
    case OpKind::kAttnValue:
      return "attn_value";
    case OpKind::kAttention:
      return "attention";
    case OpKind::kResidual:
      return "residual";
    case OpKind::kActivation:
      return "activation";
    case OpKind::kLmHead:
      return "lm_head";
    case OpKind::kOverhead:
      return "overhead";
  }
  return "?";
}

std::string_view PhaseName(Phase p) { return p == Phase::kPrefill ? "prefill" : "decode"; }
std::string_view FusionName(Fusion f) { return f == Fusion::kFlash ? "flash" : "none"; }
std::string_view MlaFormName(MlaForm f) { return f == MlaForm::kNaive ? "naive" : "absorbed"; }

double PhaseTokens(Phase phase, double batch, double seq_len) {
  return phase == Phase::kPrefill ? batch * seq_len : batch;
}

double CostPoly::At(double b, double n, double p) const {
  const double bn = b * n;
  const double bn2 = bn * n;
  return c[0] + c[1] * b + c[2] * bn + c[3] * bn2 + c[4] * p;
}

double Passes(Phase phase, double batch, double seq_len, int64_t n_ubatch) {
  if (n_ubatch <= 0) {
    return 1;
  }
  return std::ceil(PhaseTokens(phase, batch, seq_len) / static_cast<double>(n_ubatch));
}

CostPoly operator+(const CostPoly& x, const CostPoly& y) {
  return {{x.c[0] + y.c[0], x.c[1] + y.c[1], x.c[2] + y.c[2], x.c[3] + y.c[3], x.c[4] + y.c[4]}};
}
CostPoly operator*(const CostPoly& x, double k) {
  return {{x.c[0] * k, x.c[1] * k, x.c[2] * k, x.c[3] * k, x.c[4] * k}};
}
CostPoly operator*(double k, const CostPoly& x) { return x * k; }

Operator OperatorCost::At(int64_t batch, int64_t seq_len, double passes) const {
  const double b = static_cast<double>(batch);
  const double n = static_cast<double>(seq_len);
  return {name,
          kind,
          count,
          flops.At(b, n, passes),
          weight_bytes.At(b, n, passes),
          act_bytes.At(b, n, passes),
          kv_bytes.At(b, n, passes),
          math,
          weight_type,
          fixed_s.At(b, n, passes)};
}

double KvElementsPerToken(const LayerSpec& layer, MlaForm mla) {
  const AttentionSpec& a = layer.attention;
  if (a.kind == AttentionKind::kStandard) {
    return static_cast<double>(a.num_kv_heads * (a.head_dim + a.v_head_dim));  // §4.4
  }
  if (mla == MlaForm::kAbsorbed) {
    return static_cast<double>(a.kv_lora_rank + a.qk_rope_head_dim);  // §5.3: the latent
  }
  return static_cast<double>(a.num_heads *
                             (a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim));
}

MlaForm PhaseMla(const Scenario& s, Phase phase) {
  const std::optional<MlaForm>& runtime =
      phase == Phase::kPrefill ? s.exec.mla_prefill : s.exec.mla_decode;
  return runtime.value_or(s.mla);
}

double KvElementsPerTokenAllLayers(const ModelSpec& model, MlaForm mla) {
  double per_token = 0;
  for (const LayerGroup& g : model.groups) {
    per_token += static_cast<double>(g.repeat) * KvElementsPerToken(g.layer, mla);
  }
  return per_token;
}

double KvCacheBytes(double batch, double seq_len, double elements_per_token,
                    double bytes_per_element) {
  return batch * seq_len * elements_per_token * bytes_per_element;
}

double PaddedContext(double tokens, int64_t pad) {
  if (pad <= 0) {
    return tokens;
  }
  const double p = static_cast<double>(pad);
  return std::ceil(tokens / p) * p;
}

double KvContext(const Scenario& s) {
  // The cache holds at least the tokens attended to.
  const int64_t ctx = std::max(s.ctx, s.seq_len);
  return PaddedContext(static_cast<double>(ctx), KvPad(s));
}

int64_t KvPad(const Scenario& s) {
  return s.fusion == Fusion::kNone && s.exec.kv_pad_unfused > 0 ? s.exec.kv_pad_unfused
                                                                 : s.exec.kv_pad;
}

double KvCacheBytes(const ModelSpec& model, const Scenario& s) {
  return KvCacheBytes(static_cast<double>(s.batch), KvContext(s),
                      KvElementsPerTokenAllLayers(model, PhaseMla(s, Phase::kDecode)),
                      s.kv.bytes());
}

double OutputBytes(const ModelSpec& model, double batch) {
  return batch * static_cast<double>(model.vocab_size) * 4.0;
}

namespace {

// FLOPs per element of each non-linearity; special functions count as one FLOP (§6.2).
double ActivationFlops(Activation a) {
  switch (a) {
    case Activation::kSilu:
      return 4;
    case Activation::kGelu:
      return 5;
    case Activation::kGeluTanh:
      return 8;
    case Activation::kRelu:
      return 1;
    case Activation::kReluSquared:
      return 2;
  }
  return 0;
}

// Builds the operators of one phase. Symbols follow docs/cost-model.md §1.
class Builder {
 public:
  Builder(const ModelSpec& model, const Scenario& s, Phase phase)
      : model_(model),
        s_(s),
        phase_(phase),
        t_(phase == Phase::kPrefill ? kBN : kB),
        d_(static_cast<double>(model.hidden_size)),
        types_(AssignTensorTypes(model, s.weights)),
        ba_(s.act.bytes()),
        bkv_(s.kv.bytes()),
        attn_math_(WiderPrecision(s.act.math, s.kv.math)) {}

  std::vector<OperatorCost> Build() {
    // §4.1: the embedding reads one table row per token and writes it as an activation.
    const DType& embd = types_.Of(TensorRole::kTokenEmbd, -1);
    Add({"embedding", OpKind::kEmbedding, 1, {}, t_ * d_ * embd.bytes(), t_ * d_ * ba_, {},
         Matmul(embd), embd.name, {}});
    const bool several = model_.groups.size() > 1;
    first_ = 0;
    for (const LayerGroup& g : model_.groups) {
      std::string prefix;
      if (several) {
        prefix = g.repeat == 1 ? fmt::format("L{}.", first_)
                               : fmt::format("L{}-{}.", first_, first_ + g.repeat - 1);
      }
      repeat_ = g.repeat;
      AddLayer(g.layer, g.repeat, prefix);
      first_ += g.repeat;
    }
    first_ = -1;
    repeat_ = 1;
    AddNorm("final_norm", model_.final_norm, model_.hidden_size, 1, t_);
    // §4.9: logits only for the last position of each sequence, written in fp32. A tied model
    // multiplies by the embedding table.
    const double v = static_cast<double>(model_.vocab_size);
    const DType& out = types_.Of(
        model_.tie_word_embeddings ? TensorRole::kTokenEmbd : TensorRole::kOutput, -1);
    Add({"lm_head",
         OpKind::kLmHead,
         1,
         2 * kB * d_ * v,
         Const(d_ * v * out.bytes()),
         kB * d_ * ba_ + kB * v * 4.0,
         {},
         Matmul(out),
         out.name,
         {}});
    // §7.5: the runtime's fixed cost per forward pass.
    const double fixed = s_.exec.overhead_per_pass_s +
                         static_cast<double>(model_.NumLayers()) * s_.exec.overhead_per_layer_s;
    if (fixed > 0) {
      Add({"overhead", OpKind::kOverhead, 1, {}, {}, {}, {}, Precision::kFp32, {}, PerPass(fixed)});
    }
    return std::move(ops_);
  }

 private:
  // The monomials of §1.1: B and B·N (B·N² only appears in prefill scores).
  static constexpr CostPoly kB{{0, 1, 0, 0}};
  static constexpr CostPoly kBN{{0, 0, 1, 0}};
  static constexpr CostPoly kBN2{{0, 0, 0, 1}};
  static CostPoly Const(double v) { return {{v, 0, 0, 0, 0}}; }
  // Weights every forward pass streams again: a micro-batched prefill reads them once per pass
  // (§1.1, §7.5).
  static CostPoly PerPass(double v) { return {{0, 0, 0, 0, v}}; }

  void Add(OperatorCost op) { ops_.push_back(std::move(op)); }

  // §2.3: the precision a matrix product with weights of `type` runs in; an engine profile may
  // say that quantized weights meet int8 activations (llama.cpp CPU/CUDA) or are dequantized to
  // fp16 (Metal), and that float weights set the math precision (§7.5).
  Precision Matmul(const DType& type) const {
    if (type.quantized && s_.exec.quantized_math) {
      return *s_.exec.quantized_math;
    }
    if (!type.quantized && s_.exec.float_math_from_weights) {
      return type.math;
    }
    return WiderPrecision(s_.act.math, type.math);
  }

  // Bytes per element of the current group's 1-D tensors (§2.2).
  double VectorBytes() const { return types_.Of(TensorRole::kVector, first_).bytes(); }

  // §4.2: a projection of every token from width `in` to width `out`, once per head when
  // `heads` > 1 (the absorbed MLA products of §5.2 apply a separate matrix to each head). Layers
  // of the group whose `role` tensor has another storage type get a row of their own (§2.2).
  void AddLinear(const std::string& name, TensorRole role, double in, double out, bool bias,
                 double heads = 1) {
    std::vector<std::pair<const DType*, int64_t>> runs;
    for (int64_t l = first_; l < first_ + repeat_; ++l) {
      const DType* type = &types_.Of(role, l);
      auto it = std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.first == type; });
      if (it == runs.end()) {
        runs.push_back({type, 1});
      } else {
        ++it->second;
      }
    }
    for (const auto& [type, count] : runs) {
      const double bias_bytes = bias ? out * VectorBytes() : 0.0;
      Add({runs.size() > 1 ? fmt::format("{}.{}", name, type->name) : name,
           OpKind::kLinear,
           count,
           heads * (2 * t_ * in * out + (bias ? t_ * out : CostPoly{})),
           PerPass(heads * (in * out * type->bytes() + bias_bytes)),
           heads * t_ * (in + out) * ba_,
           {},
           Matmul(*type),
           type->name,
           {}});
    }
  }

  // §4.3: RMSNorm costs 4 FLOP per element, LayerNorm 7; both read and write each row once.
  void AddNorm(const std::string& name, NormKind kind, int64_t width, int64_t count,
               const CostPoly& rows) {
    const double w = static_cast<double>(width);
    const double per = kind == NormKind::kLayerNorm ? 7.0 : 4.0;
    const double params = kind == NormKind::kLayerNorm ? 2.0 * w : w;
    Add({name,
         OpKind::kNorm,
         count,
         per * rows * w,
         PerPass(params * VectorBytes()),
         2 * rows * w * ba_,
         {},
         Precision::kFp32,
         {},
         {}});
  }

  // §4.5: rotating `rotated` elements per token costs 3 FLOP each; the cos/sin row is fp32.
  void AddRope(const std::string& name, double rotated, double rope_dim, int64_t count) {
    Add({name,
         OpKind::kRope,
         count,
         3 * t_ * rotated,
         {},
         2 * t_ * rotated * ba_ + t_ * rope_dim * 4.0,
         {},
         Precision::kFp32,
         {},
         {}});
  }

  // §4.4: new keys and values are converted to the cache type and written.
  void AddKvWrite(const std::string& name, double elements_per_token, int64_t count) {
    Add({name,
         OpKind::kKvWrite,
         count,
         {},
         {},
         t_ * elements_per_token * ba_,
         t_ * elements_per_token * bkv_,
         Precision::kFp32,
         {},
         {}});
  }

  // §4.6: number of query-key scores per head summed over the batch.
  CostPoly ScoresPerHead() const {
    if (phase_ == Phase::kDecode) {
      return kBN;
    }
    // Unfused kernels compute the full square and mask it; flash kernels skip masked tiles:
    // B·N(N+1)/2.
    return s_.fusion == Fusion::kFlash ? (kBN2 + kBN) * 0.5 : kBN2;
  }

  // §4.6–§4.8: attention over the cache. `k_width`/`v_width` per head, `kv_heads` cached heads,
  // `v_shares_k` when the value rows are a view of the key rows (absorbed MLA).
  void AddAttentionCore(const std::string& prefix, double heads, double kv_heads, double k_width,
                        double v_width, bool v_shares_k, int64_t count) {
    const CostPoly scores = heads * ScoresPerHead();
    // Cached rows per KV head, read once per sequence; per query head where an unfused runtime
    // broadcasts a GQA group's K and V (§7.5).
    const bool per_query =
        s_.fusion == Fusion::kNone && s_.exec.unfused_kv_per_query_head;
    const CostPoly keys = kBN * (per_query ? heads : kv_heads);
    const CostPoly q_read = t_ * heads * k_width * ba_;
    const CostPoly o_write = t_ * heads * v_width * ba_;
    const CostPoly k_read = keys * k_width * bkv_;
    const CostPoly v_read = keys * v_width * bkv_;
    if (s_.fusion == Fusion::kFlash) {
      const CostPoly flops = 2 * scores * k_width + 5 * scores + 2 * scores * v_width;
      Add({prefix + "attention",
           OpKind::kAttention,
           count,
           flops,
           {},
           q_read + o_write,
           v_shares_k ? k_read : k_read + v_read,
           attn_math_,
         {},
         {}});
      return;
    }
    Add({prefix + "attn_score",
         OpKind::kAttnScore,
         count,
         2 * scores * k_width,
         {},
         q_read + scores * ba_,
         k_read,
         attn_math_,
         {},
         {}});
    Add({prefix + "softmax",
         OpKind::kSoftmax,
         count,
         5 * scores,
         {},
         2 * scores * ba_,
         {},
         Precision::kFp32,
         {},
         {}});
    Add({prefix + "attn_value",
         OpKind::kAttnValue,
         count,
         2 * scores * v_width,
         {},
         scores * ba_ + o_write,
         v_read,
         attn_math_,
         {},
         {}});
  }

  void AddStandardAttention(const AttentionSpec& a, const std::string& p, int64_t count) {
    const double h = static_cast<double>(a.num_heads);
    const double hkv = static_cast<double>(a.num_kv_heads);
    const double dh = static_cast<double>(a.head_dim);
    const double dv = static_cast<double>(a.v_head_dim);
    AddLinear(p + "q_proj", TensorRole::kAttnQ, d_, h * dh, a.qkv_bias);
    AddLinear(p + "k_proj", TensorRole::kAttnK, d_, hkv * dh, a.qkv_bias);
    AddLinear(p + "v_proj", TensorRole::kAttnV, d_, hkv * dv, a.qkv_bias);
    if (a.qk_norm) {
      // §4.3: one RMSNorm row per head; the scale vector is shared by the heads.
      AddNorm(p + "q_norm", NormKind::kRmsNorm, a.head_dim, count, t_ * h);
      AddNorm(p + "k_norm", NormKind::kRmsNorm, a.head_dim, count, t_ * hkv);
    }
    if (a.rope_dim > 0) {
      const double r = static_cast<double>(a.rope_dim);
      AddRope(p + "rope", (h + hkv) * r, r, count);
    }
    AddKvWrite(p + "kv_write", hkv * (dh + dv), count);
    AddAttentionCore(p, h, hkv, dh, dv, false, count);
    AddLinear(p + "o_proj", TensorRole::kAttnOutput, h * dv, d_, a.o_bias);
  }

  // §5: multi-head latent attention, absorbed or naive.
  void AddMlaAttention(const AttentionSpec& a, const std::string& p, int64_t count) {
    const double h = static_cast<double>(a.num_heads);
    const double dq = static_cast<double>(a.q_lora_rank);
    const double dc = static_cast<double>(a.kv_lora_rank);
    const double dn = static_cast<double>(a.qk_nope_head_dim);
    const double dr = static_cast<double>(a.qk_rope_head_dim);
    const double dv = static_cast<double>(a.v_head_dim);
    if (a.q_lora_rank > 0) {
      AddLinear(p + "q_a_proj", TensorRole::kAttnQA, d_, dq, false);
      AddNorm(p + "q_a_norm", NormKind::kRmsNorm, a.q_lora_rank, count, t_);
      AddLinear(p + "q_b_proj", TensorRole::kAttnQB, dq, h * (dn + dr), false);
    } else {
      AddLinear(p + "q_proj", TensorRole::kAttnQ, d_, h * (dn + dr), false);
    }
    AddLinear(p + "kv_a_proj", TensorRole::kAttnKvA, d_, dc + dr, false);
    AddNorm(p + "kv_a_norm", NormKind::kRmsNorm, a.kv_lora_rank, count, t_);
    AddRope(p + "rope", (h + 1) * dr, dr, count);
    if (PhaseMla(s_, phase_) == MlaForm::kAbsorbed) {
      // §5.2: W_UK folded into the query, attention as MQA over the latent, W_UV after it.
      AddLinear(p + "q_absorb", TensorRole::kAttnKvB, dn, dc, false, h);
      AddKvWrite(p + "kv_write", dc + dr, count);
      AddAttentionCore(p, h, 1, dc + dr, dc, true, count);
      AddLinear(p + "v_absorb", TensorRole::kAttnKvB, dc, dv, false, h);
    } else {
      // §5.1: new tokens are decompressed into per-head keys and values, which are cached.
      AddLinear(p + "kv_b_proj", TensorRole::kAttnKvB, dc, h * (dn + dv), false);
      AddKvWrite(p + "kv_write", h * (dn + dr + dv), count);
      AddAttentionCore(p, h, h, dn + dr, dv, false, count);
    }
    AddLinear(p + "o_proj", TensorRole::kAttnOutput, h * dv, d_, false);
  }

  void AddFfn(const FfnSpec& f, const std::string& p, int64_t count) {
    const double i = static_cast<double>(f.intermediate_size);
    if (f.num_experts > 0) {
      // Until MoE lands: the router plus a dense FFN as wide as shared + top-k experts (§6.3).
      AddLinear(p + "router", TensorRole::kFfnRouter, d_, static_cast<double>(f.num_experts), false);
    }
    const double act = ActivationFlops(f.activation);
    if (f.kind == FfnKind::kGated) {
      AddLinear(p + "gate_proj", TensorRole::kFfnGate, d_, i, f.bias);
      AddLinear(p + "up_proj", TensorRole::kFfnUp, d_, i, f.bias);
      Add({p + "act_mul",
           OpKind::kActivation,
           count,
           t_ * i * (act + 1),
           {},
           3 * t_ * i * ba_,
           {},
           Precision::kFp32,
         {},
         {}});
    } else {
      AddLinear(p + "up_proj", TensorRole::kFfnUp, d_, i, f.bias);
      Add({p + "act",
           OpKind::kActivation,
           count,
           t_ * i * act,
           {},
           2 * t_ * i * ba_,
           {},
           Precision::kFp32,
         {},
         {}});
    }
    AddLinear(p + "down_proj", TensorRole::kFfnDown, i, d_, f.bias);
  }

  void AddLayer(const LayerSpec& layer, int64_t repeat, const std::string& p) {
    AddNorm(p + "attn_norm", layer.norm, model_.hidden_size, repeat, t_);
    if (layer.attention.kind == AttentionKind::kMla) {
      AddMlaAttention(layer.attention, p, repeat);
    } else {
      AddStandardAttention(layer.attention, p, repeat);
    }
    if (layer.norms_per_layer > 2) {
      AddNorm(p + "post_norm", layer.norm, model_.hidden_size, repeat * (layer.norms_per_layer - 2),
              t_);
    }
    // §4.10: two residual adds per layer, each reads two rows and writes one.
    Add({p + "residual_add",
         OpKind::kResidual,
         2 * repeat,
         t_ * d_,
         {},
         3 * t_ * d_ * ba_,
         {},
         Precision::kFp32,
         {},
         {}});
    AddNorm(p + "ffn_norm", layer.norm, model_.hidden_size, repeat, t_);
    AddFfn(layer.ffn, p, repeat);
  }

  const ModelSpec& model_;
  const Scenario& s_;
  Phase phase_;
  CostPoly t_;  // tokens in the pass: B·N prefill, B decode
  double d_;
  TensorTypes types_;
  double ba_, bkv_;
  Precision attn_math_;
  int64_t first_ = -1;   // first layer of the group being built; -1 outside the layers
  int64_t repeat_ = 1;   // layers in that group
  std::vector<OperatorCost> ops_;
};

}  // namespace

std::vector<OperatorCost> BuildOperatorCosts(const ModelSpec& model, const Scenario& scenario,
                                             Phase phase) {
  return Builder(model, scenario, phase).Build();
}

std::vector<Operator> BuildOperators(const ModelSpec& model, const Scenario& scenario,
                                     Phase phase) {
  std::vector<Operator> ops;
  for (const OperatorCost& c : BuildOperatorCosts(model, scenario, phase)) {
    ops.push_back(c.At(scenario.batch, scenario.seq_len,
                       Passes(phase, static_cast<double>(scenario.batch),
                              static_cast<double>(scenario.seq_len), scenario.exec.n_ubatch)));
  }
  return ops;
}

}  // namespace slmroof
