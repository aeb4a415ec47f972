#pragma once

// Private to the cost model: the builder of one phase's operators (docs/cost-model.md §4–§6).
// Its methods live beside the block kind they build: builder.cpp (embedding, projections,
// norms, layers, LM head), attention.cpp (standard attention and the attention core), mla.cpp
// (multi-head latent attention), ffn.cpp (feed-forward), moe.cpp (mixture of experts), ssm.cpp
// (Mamba), delta_net.cpp (Gated DeltaNet), short_conv.cpp (LFM2's gated convolution), gemma3n.cpp
// (Gemma 3n's per-layer inputs, AltUp and LAuReL), shared_block.cpp (Zamba2's shared blocks).

#include <string>
#include <vector>

#include "slmroof/graph.hpp"
#include "slmroof/prune.hpp"
#include "slmroof/weights.hpp"

namespace slmroof::graph_detail {

// FLOPs per element of a non-linearity (§6.2); ffn.cpp.
double ActivationFlops(Activation a);

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
        bs_(s.state.bytes()),
        attn_math_(WiderPrecision(s.act.math, s.kv.math)) {}

  std::vector<OperatorCost> Build();

 private:
  // The monomials of §1.1: B and B·N (B·N² only appears in prefill scores).
  static constexpr CostPoly kB{{0, 1, 0, 0}, {}};
  static constexpr CostPoly kBN{{0, 0, 1, 0}, {}};
  static constexpr CostPoly kBN2{{0, 0, 0, 1}, {}};
  static CostPoly Const(double v) { return {{v, 0, 0, 0, 0}, {}}; }
  // §1.2: B·min(N, W) and B·S_W(N) for a window of w tokens.
  static CostPoly WindowedBN(double w) { return {{0, 0, 0, 0, 0, 1, 0, 0}, {w, 0, false, 0}}; }
  static CostPoly WindowedScores(double w) { return {{0, 0, 0, 0, 0, 0, 1, 0}, {w, 0, false, 0}}; }
  // §1.2, §6.3: the expected fraction of E experts a phase's tokens touch, k draws per token,
  // summed over the phase's passes.
  CostPoly ExpertsTouched(int64_t k, int64_t e) const {
    return {{0, 0, 0, 0, 0, 0, 0, 1},
            {0, static_cast<double>(k) / static_cast<double>(e), phase_ == Phase::kPrefill,
             static_cast<double>(s_.exec.n_ubatch)}};
  }
  // Weights every forward pass streams again: a micro-batched prefill reads them once per pass
  // (§1.1, §7.5).
  static CostPoly PerPass(double v) { return {{0, 0, 0, 0, v}, {}}; }

  void Add(OperatorCost op) { ops_.push_back(std::move(op)); }

  // §2.3: the precision a matrix product with weights of `type` runs in; an engine profile may
  // say that quantized weights meet int8 activations (llama.cpp CPU/CUDA) or are dequantized to
  // fp16 (Metal), and that float weights set the math precision (§7.5).
  Precision Matmul(const DType& type) const;

  // Bytes per element of the current group's 1-D tensors (§2.2).
  double VectorBytes() const { return types_.Of(TensorRole::kVector, first_).bytes(); }

  // §12.2: the share of a layer matrix's weights and multiplies an N:M pattern keeps (1 when
  // dense; the router stays dense), and the index bytes per element of the dense shape.
  double SparseKept(TensorRole role) const {
    const auto [n, m] = s_.exec.sparsity;
    return m > 0 && role != TensorRole::kFfnRouter ? static_cast<double>(n) / m : 1.0;
  }
  double SparseIndexBytes(TensorRole role) const {
    const double kept = SparseKept(role);
    return kept < 1 ? kept * SparsityIndexBits(s_.exec.sparsity.second) / 8.0 : 0.0;
  }

  // The storage types of `role` over the current group's layers, with the number of layers of
  // each, in layer order (§2.2).
  std::vector<std::pair<const DType*, int64_t>> TypeRuns(TensorRole role) const;

  // §4.2: a projection of every token from width `in` to width `out`, once per head when
  // `heads` > 1 (the absorbed MLA products of §5.2 apply a separate matrix to each head). Layers
  // of the group whose `role` tensor has another storage type get a row of their own (§2.2).
  void AddLinear(const std::string& name, TensorRole role, double in, double out, bool bias,
                 double heads = 1);

  // §4.3: RMSNorm costs 4 FLOP per element, LayerNorm 7; both read and write each row once.
  void AddNorm(const std::string& name, NormKind kind, int64_t width, int64_t count,
               const CostPoly& rows);

  // §4.5: rotating `rotated` elements per token costs 3 FLOP each; the cos/sin row is fp32.
  void AddRope(const std::string& name, double rotated, double rope_dim, int64_t count);

  // §4.4: new keys and values are converted to the cache type and written.
  void AddKvWrite(const std::string& name, double elements_per_token, int64_t count);

  // §4.6, §4.11: number of query-key scores per head summed over the batch, through a window of
  // `window` tokens (0: none).
  CostPoly ScoresPerHead(int64_t window) const;

  // §4.11: cached rows per sequence a decode step reads (B·N, or B·min(N, W) through a window);
  // B·N for prefill, which reads every key once.
  CostPoly KeysRead(int64_t window) const;

  // §4.6–§4.8: attention over the cache. `k_width`/`v_width` per head, `kv_heads` cached heads,
  // `v_shares_k` when the value rows are a view of the key rows (absorbed MLA).
  void AddAttentionCore(const std::string& prefix, double heads, double kv_heads, double k_width,
                        double v_width, bool v_shares_k, int64_t window, int64_t count);

  // §4.2–§4.8: q/k/v read `in_width` per token (0: the model width; 2D for Zamba2's shared
  // blocks, §14).
  void AddStandardAttention(const AttentionSpec& a, const std::string& p, int64_t count,
                            double in_width = 0);

  // §14: a call of one of Zamba2's shared transformer blocks (shared_block.cpp).
  void AddSharedBlockCall(const LayerSpec& l, const std::string& p, int64_t count);

  // §5: multi-head latent attention, absorbed or naive.
  void AddMlaAttention(const AttentionSpec& a, const std::string& p, int64_t count);

  // §6.1: a gated or plain MLP of `width` over every token.
  void AddDenseFfn(const FfnSpec& f, double width, const std::string& p, int64_t count);

  // §6.3: router, shared experts, routed experts streamed as the tokens touch them, combine.
  void AddMoe(const FfnSpec& f, const std::string& p, int64_t count);

  // §6.3: one projection of the routed experts: k rows per token, and the weights of the experts
  // the phase's tokens touch.
  void AddExpertLinear(const std::string& name, TensorRole role, const FfnSpec& f, double in,
                       double out);

  void AddFfn(const FfnSpec& f, const std::string& p, int64_t count) {
    if (f.is_moe()) {
      AddMoe(f, p, count);
    } else {
      AddDenseFfn(f, static_cast<double>(f.intermediate_size), p, count);
    }
  }

  void AddLayer(const LayerSpec& layer, int64_t repeat, const std::string& p);
  void AddLayerCore(const LayerSpec& layer, int64_t repeat, const std::string& p);

  // §13: Gemma 3n's per-layer inputs, AltUp and LAuReL (gemma3n.cpp).
  void AddGemma3nInputs();
  void AddGemma3nOutputs();
  void AddAltUpPredict(const Gemma3nLayerSpec& g, const std::string& p, int64_t count);
  void AddLaurel(const Gemma3nLayerSpec& g, const std::string& p, int64_t count);
  void AddGemma3nLayerTail(const Gemma3nLayerSpec& g, const std::string& p, int64_t count);

  // §11: the recurrent mixers (ssm.cpp, delta_net.cpp, short_conv.cpp).
  void AddMamba(const SsmSpec& m, const std::string& p, int64_t count);
  void AddGatedDeltaNet(const DeltaNetSpec& g, const std::string& p, int64_t count);
  void AddShortConv(const ShortConvSpec& c, const std::string& p, int64_t count);

  // §11.5: a depthwise causal convolution of `taps` over `channels` per token, with SiLU when
  // `silu`; its state of (taps − 1) rows is read and written by every decode step and written
  // once by prefill. `extra_flops` per channel per token covers gates fused around it.
  void AddCausalConv(const std::string& name, double channels, double taps, bool bias, bool silu,
                     double extra_flops, double extra_rows, int64_t count);

  // §11.5: a recurrent state of `elements` per sequence: read and written by a decode step,
  // written once at the end of prefill.
  CostPoly StateTraffic(double elements) const {
    return phase_ == Phase::kDecode ? kB * (2 * elements * bs_) : kB * (elements * bs_);
  }

  const ModelSpec& model_;
  const Scenario& s_;
  Phase phase_;
  CostPoly t_;  // tokens in the pass: B·N prefill, B decode
  double d_;
  TensorTypes types_;
  double ba_, bkv_;
  double bs_;  // bytes per recurrent-state element (§11.5)
  Precision attn_math_;
  int64_t first_ = -1;   // first layer of the group being built; -1 outside the layers
  int64_t repeat_ = 1;   // layers in that group
  bool shared_weights_ = false;  // building a shared block: its weights are the model's (§14)
  std::vector<OperatorCost> ops_;
};

}  // namespace slmroof::graph_detail
