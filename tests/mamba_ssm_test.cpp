// state-spaces' own mamba_ssm config.json format (src/io/mamba_ssm_config.cpp): Mamba-1 and
// Mamba-2 blocks, padded vocabularies, attention and MLP layers, and the keys it refuses.
#include <gtest/gtest.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/model_reader.hpp"

namespace slmroof {
namespace {

std::string Error(const std::string& text) {
  try {
    ParseModelJson(text, "m.json", "m");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MambaSsm, Mamba2_130mCountsByHand) {
  // d 768, E = 2·768 = 1536, 24 heads of 64, N 128, one group, K 4 (Mamba2's defaults):
  //   in_proj 768 × (2·1536 + 2·128 + 24) = 2,574,336; conv (1536 + 256) × (4 + 1) = 8,960;
  //   dt_bias, A_log, D 3 × 24 = 72; gated norm 1536; out_proj 1536 × 768 = 1,179,648;
  //   block norm 768: 3,765,320 per layer, 90,367,680 for 24.
  // Vocabulary 50277 padded to a multiple of 16: 50288 × 768 = 38,621,184, tied; final norm 768.
  const ModelSpec m = LoadModel("mamba2-130m");
  EXPECT_EQ(m.family, "mamba_ssm");
  EXPECT_EQ(m.vocab_size, 50288);
  EXPECT_TRUE(m.tie_word_embeddings);
  const LayerSpec& l = m.groups.at(0).layer;
  EXPECT_EQ(l.ssm.version, 2);
  EXPECT_EQ(l.ssm.num_heads, 24);
  EXPECT_EQ(l.ssm.chunk_size, 256);
  EXPECT_FALSE(l.has_ffn);
  EXPECT_EQ(CountParams(m).total(), 90367680.0 + 38621184.0 + 768.0);
}

TEST(MambaSsm, Mamba1BlocksEqualTheTransformersReading) {
  // state-spaces/mamba-130m (mamba_ssm format) and mamba-130m-hf are the same network: vocabulary
  // 50277 padded to 50280, the -hf file's vocab_size.
  const ModelSpec raw = ParseModelJson(R"({"d_model": 768, "n_layer": 24, "vocab_size": 50277,
      "ssm_cfg": {}, "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true,
      "pad_vocab_size_multiple": 8})", "m.json", "m");
  const ModelSpec hf = LoadModel("mamba-130m");
  EXPECT_EQ(raw.vocab_size, hf.vocab_size);
  ASSERT_EQ(raw.groups.size(), hf.groups.size());
  EXPECT_EQ(raw.groups[0].repeat, hf.groups[0].repeat);
  EXPECT_TRUE(raw.groups[0].layer == hf.groups[0].layer);
  EXPECT_EQ(CountParams(raw).total(), CountParams(hf).total());
}

TEST(MambaSsm, FalconMambaReadsAsMamba) {
  // Falcon Mamba (model_type falcon_mamba) has Mamba-1's keys and layers (its B/C/Δ norms have no
  // weights): the same shapes as a mamba config with the same values.
  const std::string body = R"("vocab_size": 65024, "hidden_size": 256, "num_hidden_layers": 4,
      "state_size": 16, "expand": 2, "conv_kernel": 4, "time_step_rank": 16, "tie_word_embeddings": false})";
  const ModelSpec falcon = ParseModelJson(R"({"model_type": "falcon_mamba", )" + body, "f.json", "f");
  const ModelSpec mamba = ParseModelJson(R"({"model_type": "mamba", )" + body, "m.json", "m");
  ASSERT_EQ(falcon.groups.size(), 1U);
  EXPECT_TRUE(falcon.groups[0].layer == mamba.groups[0].layer);
  EXPECT_EQ(CountParams(falcon).total(), CountParams(mamba).total());
  EXPECT_FALSE(falcon.tie_word_embeddings);
}

TEST(MambaSsm, AttentionLayersAndGatedMlps) {
  // Layers 1 and 3 are mamba_ssm MHA (biased q/k/v and out projections by default); every block
  // has a GatedMLP of d_intermediate 200 rounded up to 256.
  const ModelSpec m = ParseModelJson(R"({"d_model": 64, "n_layer": 4, "vocab_size": 1000,
      "d_intermediate": 200, "ssm_cfg": {"layer": "Mamba2", "headdim": 16, "d_state": 8},
      "attn_layer_idx": [1, 3], "attn_cfg": {"num_heads": 8, "num_heads_kv": 2,
      "rotary_emb_dim": 4}, "rms_norm": false})", "m.json", "m");
  ASSERT_EQ(m.NumLayers(), 4);
  ASSERT_EQ(m.groups.size(), 4U);
  const LayerSpec& mamba = m.groups[0].layer;
  const LayerSpec& attn = m.groups[1].layer;
  EXPECT_EQ(mamba.mixer, MixerKind::kMamba);
  EXPECT_EQ(mamba.ssm.num_heads, 8);  // 128 / 16
  EXPECT_EQ(mamba.ffn.intermediate_size, 256);
  EXPECT_EQ(mamba.norms_per_layer, 2);
  EXPECT_EQ(mamba.norm, NormKind::kLayerNorm);
  EXPECT_EQ(attn.mixer, MixerKind::kAttention);
  EXPECT_EQ(attn.attention.num_kv_heads, 2);
  EXPECT_EQ(attn.attention.head_dim, 8);
  EXPECT_EQ(attn.attention.rope_dim, 4);
  EXPECT_TRUE(attn.attention.qkv_bias);
  EXPECT_TRUE(attn.attention.o_bias);
  EXPECT_EQ(attn.ffn.intermediate_size, 256);
}

TEST(MambaSsm, RefusesWhatItDoesNotCost) {
  const std::string head = R"({"d_model": 64, "n_layer": 2, "vocab_size": 1000, )";
  EXPECT_EQ(Error(head + R"("ssm_cfg": {"layer": "Mamba3"}})"),
            "m.json: field 'ssm_cfg.layer' is 'Mamba3'; slmroof reads \"Mamba1\" and \"Mamba2\"");
  EXPECT_EQ(Error(head + R"("ssm_cfg": {"layer": "Mamba2", "d_ssm": 64}})"),
            "m.json: field 'ssm_cfg.d_ssm' differs from expand × d_model, a split mixer slmroof "
            "does not cost");
  EXPECT_EQ(Error(head + R"("ssm_cfg": {"layer": "Mamba2", "headdim": 48}})"),
            "m.json: field 'ssm_cfg.headdim' (48) does not divide the inner width expand × "
            "d_model (128)");
  EXPECT_EQ(Error(head + R"("ssm_cfg": {"d_sate": 16}})"),
            "m.json: field 'ssm_cfg.d_sate' is not a field slmroof reads for this mixer (it would "
            "change the cost or is not a mamba_ssm argument)");
  EXPECT_EQ(Error(head + R"("attn_layer_idx": [0], "attn_cfg": {"num_heads": 4, "mlp_dim": 64}})"),
            "m.json: field 'attn_cfg.mlp_dim' is not 0: attention with a fused MLP or convolution "
            "is not costed by slmroof");
  EXPECT_EQ(Error(head + R"("attn_layer_idx": [2], "attn_cfg": {"num_heads": 4}})"),
            "m.json: field 'attn_layer_idx[0]' must be a layer index from 0 to 1");
  EXPECT_EQ(Error(head + R"("attn_layer_idx": [0]})"), "m.json: field 'attn_cfg' is missing");
  EXPECT_EQ(Error(R"({"d_model": 64, "n_layer": 2, "vocab_size": 8388607, "pad_vocab_size_multiple": 3})"),
            "m.json: field 'vocab_size' padded to 8388609 exceeds 8388608");
}

}  // namespace
}  // namespace slmroof
