// Zamba2's shared transformer blocks (docs/cost-model.md §14) by hand on a tiny shape, and the
// Zamba2-1.2B preset against its published checkpoint.
#include <gtest/gtest.h>

#include <string>

#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/weights.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::FindOp;

// d 8, layers mamba, hybrid, mamba, hybrid; Mamba-2 with E 16 in 2 heads, N 4, one group, 4
// taps; shared blocks of 2 heads of 2·8/2 = 8 (MHA), a GeGLU MLP of 16; LoRA rank 2 on q/k/v
// and on the MLP; vocabulary 20, tied.
std::string Tiny(int blocks) {
  return R"({"model_type": "zamba2", "vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 4,
      "layers_block_type": ["mamba", "hybrid", "mamba", "hybrid"], "mamba_d_state": 4,
      "mamba_d_conv": 4, "mamba_expand": 2, "n_mamba_heads": 2, "mamba_ngroups": 1,
      "num_attention_heads": 2, "intermediate_size": 16, "adapter_rank": 2,
      "use_shared_attention_adapter": true, "num_mem_blocks": )" +
         std::to_string(blocks) + "}";
}

Scenario At(int64_t seq) {
  Scenario s;
  s.seq_len = seq;
  s.batch = 1;
  s.fusion = Fusion::kFlash;
  return s;
}

TEST(Zamba2, TinyCountsByHand) {
  // Mamba-2 layer: in_proj 8·(2·16 + 2·4 + 2) = 336, conv (16 + 8)·(4 + 1) = 120, dt/A/D 6,
  // gated norm 16, out_proj 128, its norm 8: 614. A hybrid layer adds its d × d projection 64,
  // q/k/v adapters 3·(16·2 + 2·16) = 192 and the MLP adapter 8·2 + 2·32 = 80: 950.
  // A shared block: norm of 16, q/k/v 16·(16 + 16 + 16) = 768, o 16·8 = 128, norm 8, MLP
  // 3·8·16 = 384: 1304, held twice with num_mem_blocks 2. Embedding 160, final norm 8.
  const ModelSpec m = ParseModelJson(Tiny(2), "z.json", "z");
  const ParamCount p = CountParams(m);
  EXPECT_EQ(p.layers, 2 * 614.0 + 2 * 950);
  EXPECT_EQ(p.globals, 2 * 1304.0);
  EXPECT_EQ(p.total(), 3128.0 + 2608 + 160 + 8);
  double listed = 0;
  for (const WeightTensor& t : ListWeightTensors(m)) {
    listed += t.elements;
  }
  EXPECT_EQ(listed, p.total());
  // The calls cycle through the blocks.
  EXPECT_EQ(m.groups[1].layer.shared.block, 0);
  EXPECT_EQ(m.groups[3].layer.shared.block, 1);
}

TEST(Zamba2, EachCallHasItsOwnCacheAndStreamsTheBlock) {
  const ModelSpec m = ParseModelJson(Tiny(1), "z.json", "z");
  // One block held once (1304 parameters) ...
  EXPECT_EQ(CountParams(m).globals, 1304.0);
  // ... but each of the two calls keeps 2·2·8 = 32 KV elements per token, and each of the four
  // layers a state of 16·4 + 3·(16 + 8) = 136.
  EXPECT_EQ(KvLayoutOf(m, MlaForm::kAbsorbed).full, 64.0);
  EXPECT_EQ(StateElements(m.groups[0].layer, 8) * 4, 544.0);
  // Every call streams the block's weights again: 1304 at 2 bytes, twice per decode step.
  const auto ops = BuildOperators(m, At(16), Phase::kDecode);
  double shared = 0;
  for (const Operator& op : ops) {
    if (op.name.find(".shared_") != std::string::npos && op.name.find("shared_linear") == std::string::npos) {
      shared += op.weight_bytes * static_cast<double>(op.count);
    }
  }
  EXPECT_DOUBLE_EQ(shared, 2 * 1304 * 2.0);
  // The shared q projection reads concat(hidden, embedding): 2·16·16 FLOPs.
  EXPECT_DOUBLE_EQ(FindOp(ops, "L1.shared_q_proj").flops, 512.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L1.attn_adapter_down").flops, 3 * 2 * 16 * 2.0);
  EXPECT_DOUBLE_EQ(FindOp(ops, "L1.shared_linear").flops, 2 * 8 * 8.0);
}

TEST(Zamba2, Zamba2_1_2bMatchesItsCheckpoint) {
  // Zyphra's file names: state_size 128, lora_rank 128, attention and MLP adapters, one block,
  // hybrid calls at layers 5, 11, ..., 35. 1,215,064,704 parameters: at bf16 2.430 GB, the
  // model.safetensors size the HF listing gives (2.43 GB).
  const ModelSpec m = LoadModel("zamba2-1.2b");
  const double total = CountParams(m).total();
  EXPECT_EQ(total, 1215064704.0);
  EXPECT_NEAR(total * 2 / 2.43e9, 1.0, 0.005);
  EXPECT_EQ(m.shared_blocks, 1);
  // Six calls, each caching 2·32·128 elements per token; no windows.
  EXPECT_EQ(KvLayoutOf(m, MlaForm::kAbsorbed).full, 6 * 2 * 32 * 128.0);
}

TEST(Zamba2, Zamba2_2_7bCyclesTwoBlocks) {
  // Two blocks called alternately by nine hybrid layers (6, 12, …, 51), each call with its MLP
  // adapter (use_shared_mlp_adapter) and none on attention.
  const ModelSpec m = LoadModel("zamba2-2.7b");
  EXPECT_EQ(m.shared_blocks, 2);
  std::vector<int64_t> blocks;
  for (const LayerGroup& g : m.groups) {
    if (CallsSharedBlock(g.layer)) {
      blocks.push_back(g.layer.shared.block);
      EXPECT_TRUE(g.layer.shared.mlp_adapter);
      EXPECT_FALSE(g.layer.shared.attention_adapters);
      EXPECT_EQ(g.layer.attention.head_dim, 160);  // 2·2560 / 32
    }
  }
  EXPECT_EQ(blocks, (std::vector<int64_t>{0, 1, 0, 1, 0, 1, 0, 1, 0}));
}

TEST(Zamba2, RefusesAdaptersOnGroupedAttention) {
  std::string text = Tiny(1);
  text.replace(text.find("\"num_attention_heads\": 2"), 24,
               "\"num_attention_heads\": 2, \"num_key_value_heads\": 1");
  try {
    ParseModelJson(text, "z.json", "z");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "z.json: field 'num_key_value_heads' must equal num_attention_heads when the "
                 "shared attention has adapters (their outputs are 2·hidden_size wide)");
  }
}

}  // namespace
}  // namespace slmroof
