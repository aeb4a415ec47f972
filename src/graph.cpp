#include "slmroof/graph.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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
    case OpKind::kRoute:
      return "route";
    case OpKind::kConv:
      return "conv";
    case OpKind::kScan:
      return "scan";
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

double WindowKeys(double n, double w) { return std::min(n, w); }

double WindowScores(double n, double w) {
  const double m = std::min(n, w);
  return m * (m + 1) * 0.5 + (n - m) * m;
}

double ExpertPasses(double tokens, double ubatch, double hit) {
  // 1 − (1 − h)^t, computed as −expm1(t·log1p(−h)) to stay accurate when h is small.
  auto touched = [hit](double t) { return hit >= 1 ? 1.0 : -std::expm1(t * std::log1p(-hit)); };
  if (ubatch <= 0 || tokens <= ubatch) {
    return touched(tokens);
  }
  const double full = std::floor(tokens / ubatch);
  const double rest = tokens - full * ubatch;
  return full * touched(ubatch) + (rest > 0 ? touched(rest) : 0.0);
}

double CostPoly::At(double b, double n, double p) const {
  const double bn = b * n;
  const double bn2 = bn * n;
  double v = c[0] + c[1] * b + c[2] * bn + c[3] * bn2 + c[4] * p;
  if (c[5] != 0) {
    v += c[5] * (b * WindowKeys(n, shape.window));
  }
  if (c[6] != 0) {
    v += c[6] * (b * WindowScores(n, shape.window));
  }
  if (c[7] != 0) {
    v += c[7] * ExpertPasses(shape.draws_per_position ? bn : b, shape.ubatch, shape.expert_hit);
  }
  return v;
}

double Passes(Phase phase, double batch, double seq_len, int64_t n_ubatch) {
  if (n_ubatch <= 0) {
    return 1;
  }
  return std::ceil(PhaseTokens(phase, batch, seq_len) / static_cast<double>(n_ubatch));
}

namespace {

// The shape of a sum: each term's parameters come from the operand that uses the term.
CostShape MergeShapes(const CostPoly& x, const CostPoly& y) {
  const bool xw = x.c[5] != 0 || x.c[6] != 0;
  const bool yw = y.c[5] != 0 || y.c[6] != 0;
  const bool xe = x.c[7] != 0;
  const bool ye = y.c[7] != 0;
  if ((xw && yw && x.shape.window != y.shape.window) ||
      (xe && ye && (x.shape.expert_hit != y.shape.expert_hit ||
                    x.shape.draws_per_position != y.shape.draws_per_position ||
                    x.shape.ubatch != y.shape.ubatch))) {
    throw std::logic_error("adding costs of different windows or expert draws");
  }
  // Each term's parameters from the operand that uses it (or x's when neither does).
  CostShape s = x.shape;
  if (!xw && yw) {
    s.window = y.shape.window;
  }
  if (!xe && ye) {
    s.expert_hit = y.shape.expert_hit;
    s.draws_per_position = y.shape.draws_per_position;
    s.ubatch = y.shape.ubatch;
  }
  return s;
}

}  // namespace

CostPoly operator+(const CostPoly& x, const CostPoly& y) {
  CostPoly r;
  for (size_t i = 0; i < r.c.size(); ++i) {
    r.c[i] = x.c[i] + y.c[i];
  }
  r.shape = MergeShapes(x, y);
  return r;
}
CostPoly operator*(const CostPoly& x, double k) {
  CostPoly r = x;
  for (double& v : r.c) {
    v *= k;
  }
  return r;
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
  if (!HasAttention(layer)) {
    return 0;  // a recurrent or FFN-only layer keeps a state of fixed size instead (§11.5)
  }
  const AttentionSpec& a = layer.attention;
  if (a.kv_shared) {
    return 0;  // §13.3: it reads an earlier layer's cache
  }
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

double KvLayout::per_token() const {
  double e = full;
  for (const auto& [window, elements] : windowed) {
    e += elements;
  }
  return e;
}

KvLayout KvLayoutOf(const ModelSpec& model, MlaForm mla) {
  KvLayout layout;
  for (const LayerGroup& g : model.groups) {
    const double e = static_cast<double>(g.repeat) * KvElementsPerToken(g.layer, mla);
    if (e == 0) {
      continue;
    }
    const double w = static_cast<double>(g.layer.attention.sliding_window);
    if (w <= 0) {
      layout.full += e;
      continue;
    }
    auto it = std::find_if(layout.windowed.begin(), layout.windowed.end(),
                           [w](const auto& entry) { return entry.first == w; });
    if (it == layout.windowed.end()) {
      layout.windowed.emplace_back(w, e);
    } else {
      it->second += e;
    }
  }
  return layout;
}

KvLayout KvLayoutFor(const ModelSpec& model, const Scenario& s) {
  KvLayout layout = KvLayoutOf(model, PhaseMla(s, Phase::kDecode));
  if (s.exec.swa_cache_adds_ubatch) {
    for (auto& [window, elements] : layout.windowed) {
      window = PaddedContext(window + static_cast<double>(s.exec.n_ubatch), KvPad(s));
    }
  }
  return layout;
}

double KvCacheBytes(double batch, double context, const KvLayout& layout,
                    double bytes_per_element) {
  double bytes = batch * context * layout.full * bytes_per_element;
  for (const auto& [window, elements] : layout.windowed) {
    bytes += batch * std::min(context, window) * elements * bytes_per_element;
  }
  return bytes;
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
  return KvCacheBytes(static_cast<double>(s.batch), KvContext(s), KvLayoutFor(model, s),
                      s.kv.bytes());
}

double StateElementsAllLayers(const ModelSpec& model) {
  double elements = 0;
  for (const LayerGroup& g : model.groups) {
    elements += static_cast<double>(g.repeat) * StateElements(g.layer, model.hidden_size);
  }
  return elements;
}

double StateBytes(double batch, double elements, double bytes_per_element) {
  return batch * elements * bytes_per_element;
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
