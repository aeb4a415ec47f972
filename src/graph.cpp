#include "slmroof/graph.hpp"

#include <algorithm>
#include <cmath>

#include "graph/builder.hpp"
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


std::vector<OperatorCost> BuildOperatorCosts(const ModelSpec& model, const Scenario& scenario,
                                             Phase phase) {
  return graph_detail::Builder(model, scenario, phase).Build();
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
