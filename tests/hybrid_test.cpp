// Recurrent mixers on tiny shapes by hand (docs/cost-model.md §11): Mamba-1 scan, Mamba-2 SSD in
// both phases, Gated DeltaNet step and chunk, LFM2's short convolution; and the hybrids' state
// against their KV cache (Qwen3.5, LFM2, Falcon-H1, Nemotron-H shapes).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::FindOp;

// V 100, D 8, one layer of `layer`; fp16 weights and activations, fp32 state.
ModelSpec TinyOf(const LayerSpec& layer) {
  ModelSpec m;
  m.name = "tiny";
  m.vocab_size = 100;
  m.hidden_size = 8;
  m.groups.push_back({layer, 1});
  ValidateModel(m, "tiny");
  return m;
}

LayerSpec MambaLayer(int version) {
  LayerSpec l;
  l.mixer = MixerKind::kMamba;
  l.has_ffn = false;
  l.norms_per_layer = 1;
  SsmSpec& s = l.ssm;
  s.version = version;
  s.d_inner = 16;
  s.d_state = 4;
  s.d_conv = 4;
  s.dt_rank = 2;
  s.num_heads = 4;
  s.n_groups = 1;
  s.chunk_size = 8;
  return l;
}

Scenario At(int64_t seq) {
  Scenario s;
  s.seq_len = seq;
  s.batch = 1;
  return s;
}

void ExpectCost(const std::vector<Operator>& ops, const std::string& name, double flops,
                double bytes, double state_bytes) {
  const Operator& op = FindOp(ops, name);
  EXPECT_DOUBLE_EQ(op.flops, flops) << name;
  EXPECT_DOUBLE_EQ(op.bytes(), bytes) << name;
  EXPECT_DOUBLE_EQ(op.kv_bytes, state_bytes) << name;
}

TEST(Mamba2, DecodeStepByHand) {
  // E 16, N 4, H 4 (P 4), G 1, K 4.
  const auto ops = BuildOperators(TinyOf(MambaLayer(2)), At(5), Phase::kDecode);
  // in_proj 8 → 2·16 + 2·4 + 4 = 44: 2·8·44 FLOP; weights 8·44·2; in/out (8 + 44)·2.
  ExpectCost(ops, "ssm_in", 704, 808, 0);
  // conv over 16 + 8 = 24 channels: 2·4 taps + 1 bias + 4 SiLU each; taps and bias 24·5·2;
  // rows in and out 2·24·2; state of 3 rows read and written at fp32, 2·3·24·4.
  ExpectCost(ops, "ssm_conv", 312, 240 + 96 + 576, 576);
  // step: 5·E·N + 2·E + 6·H; A, D, dt_bias 3·4·2; reads x, B, C, dt and writes y (2·16+8+4)·2;
  // state E·N read and written at fp32, 2·64·4.
  ExpectCost(ops, "ssm_scan", 376, 24 + 88 + 512, 512);
  // gated RMSNorm 9 FLOP per element; scale 16·2; y and z in, one row out 3·16·2.
  ExpectCost(ops, "ssm_norm", 144, 128, 0);
  ExpectCost(ops, "ssm_out", 256, 304, 0);
  EXPECT_DOUBLE_EQ(StateElementsAllLayers(TinyOf(MambaLayer(2))), 64 + 3 * 24);
}

TEST(Mamba2, ChunkedPrefillByHand) {
  // 16 tokens in chunks of Q 8, per token: 2·Q·(E + G·N) + 4·N·E + 2·E·N/Q + Q·H + 2·E + 6·H
  // = 320 + 256 + 16 + 32 + 32 + 24 = 680.
  const auto ops = BuildOperators(TinyOf(MambaLayer(2)), At(16), Phase::kPrefill);
  // Inputs and output 16·44·2; fp32 intermediates per token (2·G·Q + 4·E·N/Q + 2·H)·4 = 224;
  // the final state written once, 64·4.
  ExpectCost(ops, "ssm_scan", 16 * 680.0, 24 + 1408 + 16 * 224 + 256, 256);
  // The convolution writes its final 3-row state once.
  EXPECT_DOUBLE_EQ(FindOp(ops, "ssm_conv").kv_bytes, 3 * 24 * 4.0);
}

TEST(Mamba1, SelectiveScanByHand) {
  const ModelSpec m = TinyOf(MambaLayer(1));
  // Decode: 7·E·N + 10·E (softplus 3, D skip 2, SiLU gate 5); A (E·N) and D (E) at 2 B; reads x,
  // Δ, z and B, C, writes y: (4·16 + 2·4)·2; state 2·E·N·4.
  ExpectCost(BuildOperators(m, At(5), Phase::kDecode), "ssm_scan", 608, 160 + 144 + 512, 512);
  // Prefill: 9·E·N + 10·E per token (the parallel scan).
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(16), Phase::kPrefill), "ssm_scan").flops, 16 * 736.0);
  // x_proj 16 → R + 2N = 10, dt_proj 2 → 16 with its bias.
  const auto ops = BuildOperators(m, At(5), Phase::kDecode);
  EXPECT_DOUBLE_EQ(FindOp(ops, "ssm_x").flops, 2 * 16 * 10.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "ssm_dt").flops, 2 * 2 * 16.0 + 16);
  // Parameters: 3,770,880 per layer for mamba-130m's shapes in the reference; here by formula.
  const double e = 16, n = 4, d = 8, k = 4, r = 2;
  EXPECT_DOUBLE_EQ(LayerParams(m.groups[0].layer, 8, false),
                   2 * e * d + e * k + e + e * (r + 2 * n) + r * e + e + e * n + e + e * d + d);
}

LayerSpec DeltaLayer() {
  LayerSpec l;
  l.mixer = MixerKind::kGatedDeltaNet;
  l.has_ffn = false;
  l.norms_per_layer = 1;
  l.delta = {2, 4, 4, 4, 4, 8};  // Hk 2, Hv 4, dk 4, dv 4, K 4, chunk 8
  return l;
}

TEST(GatedDeltaNet, StepAndChunkByHand) {
  const ModelSpec m = TinyOf(DeltaLayer());
  const auto decode = BuildOperators(m, At(5), Phase::kDecode);
  // q, k (2·8), v and z (2·16), β and α (2·4): 56 outputs.
  ExpectCost(decode, "delta_in", 2 * 8 * 56.0, 8 * 56 * 2 + (8 + 56) * 2.0, 0);
  // conv over q, k, v: 32 channels, no bias, SiLU; state 2·3·32·4.
  EXPECT_DOUBLE_EQ(FindOp(decode, "delta_conv").flops, 32 * 12.0);
  EXPECT_DOUBLE_EQ(FindOp(decode, "delta_conv").kv_bytes, 768);
  // step: 7·dk·dv per value head (4 heads), L2 norms of q and k (4 per element of 2·8), gates 6
  // per head; reads q, k, v, z, β, α, writes o: (16 + 32 + 8)·2; state Hv·dk·dv = 64 at fp32,
  // read and written.
  ExpectCost(decode, "delta_rule", 4 * 7 * 16.0 + 64 + 24, 16 + 112 + 512, 512);
  // Chunked prefill, C 8: per head 6·C·dk + 4·C·dv + C²/3 + 6·dk·dv.
  const auto prefill = BuildOperators(m, At(16), Phase::kPrefill);
  const double per_head = 6 * 8 * 4 + 4 * 8 * 4 + 64.0 / 3 + 6 * 16;
  EXPECT_DOUBLE_EQ(FindOp(prefill, "delta_rule").flops, 16 * (4 * per_head + 64 + 24));
  EXPECT_DOUBLE_EQ(FindOp(prefill, "delta_rule").kv_bytes, 64 * 4.0);
  ExpectCost(decode, "delta_norm", 144, 8 + 96, 0);
  EXPECT_DOUBLE_EQ(StateElementsAllLayers(m), 64 + 3 * 32);
}

TEST(ShortConv, GatedConvolutionByHand) {
  LayerSpec l;
  l.mixer = MixerKind::kShortConv;
  l.conv.kernel = 3;
  l.has_ffn = false;
  l.norms_per_layer = 1;
  const ModelSpec m = TinyOf(l);
  const auto ops = BuildOperators(m, At(5), Phase::kDecode);
  // in_proj 8 → 24 (B, C, x).
  EXPECT_DOUBLE_EQ(FindOp(ops, "conv_in").flops, 2 * 8 * 24.0);
  // B·x, 3 taps, C·y: 2·3 + 2 FLOP per channel; taps 8·3·2; reads B, C, x, writes y: 4·8·2;
  // state of 2 rows, read and written at fp32: 2·2·8·4.
  ExpectCost(ops, "conv", 64, 48 + 64 + 128, 128);
  EXPECT_DOUBLE_EQ(FindOp(ops, "conv_out").flops, 2 * 8 * 8.0);
  EXPECT_DOUBLE_EQ(StateElementsAllLayers(m), 2 * 8);
}

// The state of every recurrent layer is in each decode step's bytes at its type, does not grow
// with the context, and the KV cache counts the attention layers only.
void ExpectStateBesideKv(const ModelSpec& m, double attention_kv_per_token, double state_elements) {
  EXPECT_DOUBLE_EQ(StateElementsAllLayers(m), state_elements) << m.name;
  EXPECT_DOUBLE_EQ(KvLayoutOf(m, MlaForm::kAbsorbed).per_token(), attention_kv_per_token) << m.name;
  Scenario s = At(1024);
  const double kv_1k = KvCacheBytes(m, s);
  s.seq_len = 4096;
  EXPECT_DOUBLE_EQ(KvCacheBytes(m, s), 4 * kv_1k) << m.name;
  const AnalysisResult a = Analyze(m, testing::FlatRoof(100e9, 10e12), s, {});
  EXPECT_DOUBLE_EQ(a.memory.state_bytes, state_elements * 4) << m.name;
  // Decode bytes: the scan and convolution rows read and write the state at fp32 (4 B); at
  // --state fp16 that traffic halves; the attention rows read 4096 tokens of KV.
  auto state_traffic = [&](const Scenario& sc) {
    double bytes = 0;
    for (const Operator& op : BuildOperators(m, sc, Phase::kDecode)) {
      if (op.kind == OpKind::kScan || op.kind == OpKind::kConv) {
        bytes += static_cast<double>(op.count) * op.kv_bytes;
      }
    }
    return bytes;
  };
  EXPECT_DOUBLE_EQ(state_traffic(s), 2 * state_elements * 4) << m.name;
  Scenario half = s;
  half.state = DTypeByName("fp16");
  EXPECT_DOUBLE_EQ(state_traffic(half), 2 * state_elements * 2) << m.name;
  Scenario longer = s;
  longer.seq_len = 16384;
  EXPECT_DOUBLE_EQ(state_traffic(longer), state_traffic(s)) << m.name;
}

TEST(Hybrids, Lfm2ConvStateAndAttentionKv) {
  // LFM2-350M: 16 layers, attention at 2, 5, 8, 10, 12, 14 (8 KV heads of 64), the other 10
  // gated convolutions of 3 taps over 1024 channels.
  const ModelSpec m = LoadModel("lfm2-350m");
  ExpectStateBesideKv(m, 6 * 8 * 128.0, 10 * 2 * 1024.0);
  EXPECT_EQ(m.groups[1].layer.mixer, MixerKind::kAttention);  // layers 0-1 conv, 2 attention
  EXPECT_EQ(m.groups[0].layer.mixer, MixerKind::kShortConv);
  // The MLP width is block_ff_dim 6656 cut to 2/3 and rounded up to 256: 4608.
  EXPECT_EQ(m.groups[0].layer.ffn.intermediate_size, 4608);
}

TEST(Hybrids, NemotronHMambaStateAndAttentionKv) {
  // Nemotron-3-Nano: 52 single-mixer layers from "MEMEM*E…": 23 Mamba-2 (64 heads of 64, N 128,
  // 8 groups, K 4), 6 attention (2 KV heads of 128, no RoPE), 23 MoE.
  const ModelSpec m = LoadModel("nemotron-3-nano-30b-a3b");
  const double mamba = 4096.0 * 128 + 3 * (4096 + 2 * 8 * 128);
  ExpectStateBesideKv(m, 6 * 2 * 256.0, 23 * mamba);
  EXPECT_EQ(m.groups[5].layer.mixer, MixerKind::kAttention);
  EXPECT_EQ(m.groups[5].layer.attention.rope_dim, 0);
  EXPECT_FALSE(m.groups[5].layer.has_ffn);
  EXPECT_EQ(m.groups[1].layer.mixer, MixerKind::kNone);
  EXPECT_EQ(m.groups[1].layer.ffn.num_experts, 128);
}

TEST(Hybrids, FalconH1HasBothStateAndKvInEveryLayer) {
  // A Falcon-H1 shape: attention and Mamba-2 side by side in each of 4 layers.
  const ModelSpec m = ParseModelJson(R"({"model_type": "falcon_h1", "vocab_size": 1000,
      "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
      "head_dim": 16, "intermediate_size": 128, "mamba_d_ssm": 128, "mamba_n_heads": 8,
      "mamba_d_head": 16, "mamba_n_groups": 1, "mamba_d_state": 16, "mamba_d_conv": 4,
      "mamba_chunk_size": 32})",
                                     "falcon.json", "falcon", "");
  ASSERT_EQ(m.groups.size(), 1u);
  EXPECT_TRUE(m.groups[0].layer.parallel_attention);
  // FalconH1Config: mamba_rms_norm defaults to false, leaving the y·SiLU(z) gate alone.
  EXPECT_FALSE(m.groups[0].layer.ssm.gated_norm);
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(64), Phase::kDecode), "ssm_norm").flops, 128 * 5.0);
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(64), Phase::kDecode), "ssm_norm").weight_bytes, 0);
  ExpectStateBesideKv(m, 4 * 2 * 32.0, 4 * (128.0 * 16 + 3 * (128 + 2 * 16)));
  const auto ops = BuildOperators(m, At(64), Phase::kDecode);
  EXPECT_EQ(FindOp(ops, "ssm_scan").count, 4);
  EXPECT_EQ(FindOp(ops, "attn_score").count, 4);
  EXPECT_EQ(FindOp(ops, "residual_add").count, 12);  // mixer, their sum, FFN
}

TEST(Hybrids, Qwen35DeltaNetStateAndGatedAttentionKv) {
  // A Qwen3.5-style text config: 8 layers, every 4th full attention (gated, q/k norms, a
  // quarter rotated), the rest Gated DeltaNet; dense MLP.
  const ModelSpec m = ParseModelJson(R"({"model_type": "qwen3_next", "vocab_size": 1000,
      "hidden_size": 64, "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 1,
      "head_dim": 32, "intermediate_size": 128, "full_attention_interval": 4,
      "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 16,
      "linear_value_head_dim": 16, "linear_conv_kernel_dim": 4, "num_experts": 0})",
                                     "qwen.json", "qwen", "");
  ExpectStateBesideKv(m, 2 * 1 * 64.0, 6 * (4.0 * 16 * 16 + 3 * (2 * 32 + 64)));
  const LayerSpec& full = m.groups[1].layer;
  EXPECT_EQ(full.mixer, MixerKind::kAttention);
  EXPECT_TRUE(full.attention.output_gate);
  EXPECT_EQ(full.attention.rope_dim, 8);
  // The gated q_proj is twice as wide: 64 → 2·4·32.
  EXPECT_DOUBLE_EQ(FindOp(BuildOperators(m, At(64), Phase::kDecode), "L3.q_proj").flops,
                   2 * 64 * 256.0);
}

TEST(Hybrids, Qwen35PresetReadsItsTextConfig) {
  // Qwen3.5-0.8B (model_type qwen3_5, the language model in text_config): 24 layers, every 4th
  // gated full attention (8 heads, 2 KV heads of 256, rope fraction 0.25 from rope_parameters),
  // 18 Gated DeltaNet layers of 16 key and 16 value heads of 128 and 4 taps: per layer
  // 16·128·128 + 3·(2·16·128 + 16·128) = 280,576 state elements.
  const ModelSpec m = LoadModel("qwen3.5-0.8b");
  EXPECT_EQ(m.family, "qwen3_5_text");
  ExpectStateBesideKv(m, 6 * 2 * 2 * 256.0, 18 * 280576.0);
  const LayerSpec& full = m.groups[1].layer;
  ASSERT_EQ(full.mixer, MixerKind::kAttention);
  EXPECT_TRUE(full.attention.output_gate);
  EXPECT_EQ(full.attention.rope_dim, 64);
  EXPECT_TRUE(m.tie_word_embeddings);
  // The vision tower and the multi-token-prediction layer are named as not costed.
  ASSERT_EQ(m.warnings.size(), 2U);
  EXPECT_NE(m.warnings[0].find("vision tower"), std::string::npos);
  EXPECT_NE(m.warnings[1].find("mtp_num_hidden_layers"), std::string::npos);
}

TEST(Hybrids, NemotronH4bReadsLegacyKeys) {
  // Nemotron-H-4B-Base-8K: "M-M-M-M*-…" gives 24 Mamba-2, 4 attention and 24 MLP-only layers;
  // its attention width comes from the older attention_head_dim (128, not 3072 / 32 = 96), and
  // its time_step_limit holds Python's Infinity. Mamba-2: 112 heads of 64 (E 7168), 8 groups,
  // N 128, 4 taps: 7168·128 + 3·(7168 + 2·8·128) = 945,152 state elements per layer.
  const ModelSpec m = LoadModel("nemotron-h-4b");
  ExpectStateBesideKv(m, 4 * 2 * 8 * 128.0, 24 * 945152.0);
  int attention = 0;
  int mlp_only = 0;
  for (const LayerGroup& g : m.groups) {
    if (g.layer.mixer == MixerKind::kAttention) {
      attention += static_cast<int>(g.repeat);
      EXPECT_EQ(g.layer.attention.head_dim, 128);
    }
    mlp_only += g.layer.mixer == MixerKind::kNone ? static_cast<int>(g.repeat) : 0;
  }
  EXPECT_EQ(attention, 4);
  EXPECT_EQ(mlp_only, 24);
}

TEST(Hybrids, JambaInterleavesAttentionAndExperts) {
  // 16 layers: attention at 4 and 12 (i % 8 == 4), MoE at odd layers (i % 2 == 1).
  const ModelSpec m = ParseModelJson(R"({"model_type": "jamba", "vocab_size": 1000, "hidden_size": 64,
      "num_hidden_layers": 16, "num_attention_heads": 4, "num_key_value_heads": 2,
      "intermediate_size": 128, "num_experts": 4, "num_experts_per_tok": 2})",
                                     "jamba.json", "jamba", "");
  EXPECT_EQ(DescribeLayers(m), "Mamba-1 + GQA 4/2 + MoE");
  int64_t i = 0, attention = 0, moe = 0;
  for (const LayerGroup& g : m.groups) {
    for (int64_t r = 0; r < g.repeat; ++r, ++i) {
      EXPECT_EQ(HasAttention(g.layer), i % 8 == 4) << i;
      EXPECT_EQ(g.layer.ffn.is_moe(), i % 2 == 1) << i;
      attention += HasAttention(g.layer) ? 1 : 0;
      moe += g.layer.ffn.is_moe() ? 1 : 0;
    }
  }
  EXPECT_EQ(attention, 2);
  EXPECT_EQ(moe, 8);
  // Mamba-1 of E = 2·64, N 16, K 4 in 14 layers; attention without RoPE.
  EXPECT_DOUBLE_EQ(StateElementsAllLayers(m), 14 * (128.0 * 16 + 3 * 128));
  EXPECT_EQ(m.groups[1].layer.attention.rope_dim, 0);
}

TEST(Hybrids, NativeFormatDescribesEveryMixer) {
  const ModelSpec m = ParseModelJson(R"({"slmroof_model": 1, "vocab_size": 1000, "hidden_size": 64,
      "layers": [
        {"repeat": 3, "mixer": {"type": "mamba2", "d_inner": 128, "d_state": 16, "num_heads": 8}},
        {"attention": {"type": "standard", "num_heads": 4, "num_kv_heads": 1, "head_dim": 16},
         "ffn": {"type": "gated", "activation": "silu", "intermediate_size": 128}},
        {"mixer": {"type": "short_conv"}, "ffn": {"type": "gated", "activation": "silu", "intermediate_size": 128}},
        {"mixer": {"type": "gated_deltanet", "num_k_heads": 2, "num_v_heads": 4, "head_k_dim": 16,
                   "head_v_dim": 16},
         "attention": {"type": "standard", "num_heads": 4, "num_kv_heads": 1, "head_dim": 16}},
        {"ffn": {"type": "mlp", "activation": "relu2", "intermediate_size": 256}}]})",
                                     "m.json", "m", "");
  EXPECT_EQ(DescribeLayers(m), "Mamba-2 + MQA + conv + DeltaNet");
  ASSERT_EQ(m.groups.size(), 5u);
  EXPECT_FALSE(m.groups[0].layer.has_ffn);
  EXPECT_EQ(m.groups[0].layer.norms_per_layer, 1);
  EXPECT_EQ(m.groups[1].layer.norms_per_layer, 2);
  EXPECT_TRUE(m.groups[3].layer.parallel_attention);
  EXPECT_EQ(m.groups[4].layer.mixer, MixerKind::kNone);
  // Mamba-2: 128·16 + 3·(128 + 32); conv: 2·64; DeltaNet: 4·16·16 + 3·(2·32 + 64).
  EXPECT_DOUBLE_EQ(StateElementsAllLayers(m),
                   3 * (2048.0 + 480) + 128 + (1024 + 384));
  // Two attention layers of one KV head of 16 + 16.
  EXPECT_DOUBLE_EQ(KvLayoutOf(m, MlaForm::kAbsorbed).per_token(), 2 * 32.0);
}

}  // namespace
}  // namespace slmroof
