// N:M structured sparsity (docs/cost-model.md §12.2): exactly the layer matrices change, and
// only on a unit that runs the pattern.
#include <gtest/gtest.h>

#include "slmroof/engine.hpp"
#include "slmroof/graph.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/prune.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

using testing::FindOp;

Roof SparseRoof() {
  Roof r = testing::FlatRoof(100e9, 10e12);
  r.sparsity = {2, 4};
  return r;
}

TEST(Sparsity, TwoOfFourHalvesTheMatricesAndAddsIndexBits) {
  const ModelSpec m = LoadModel("qwen2.5-0.5b");
  Scenario dense;
  dense.seq_len = 512;
  Scenario sparse = dense;
  sparse.sparsity = {2, 4};
  const Scenario on = WithRuntime(sparse, SparseRoof());
  const Scenario off = WithRuntime(dense, SparseRoof());
  EXPECT_EQ(on.exec.sparsity, (std::pair<int, int>{2, 4}));
  const auto a = BuildOperators(m, off, Phase::kDecode);
  const auto b = BuildOperators(m, on, Phase::kDecode);
  // gate_proj 896 → 4864 at fp16: half the multiplies; weights 0.5·2 + 0.5·2/8 = 1.125 B per
  // element of the dense shape; activations unchanged.
  EXPECT_DOUBLE_EQ(FindOp(b, "gate_proj").flops, FindOp(a, "gate_proj").flops / 2);
  EXPECT_DOUBLE_EQ(FindOp(b, "gate_proj").weight_bytes, 896.0 * 4864 * 1.125);
  EXPECT_DOUBLE_EQ(FindOp(b, "gate_proj").act_bytes, FindOp(a, "gate_proj").act_bytes);
  // q_proj keeps its bias FLOPs (896 outputs) and bias bytes.
  EXPECT_DOUBLE_EQ(FindOp(b, "q_proj").flops, 896.0 * 896 + 896);
  // Attention, the LM head and the embedding do not change.
  for (const char* op : {"attn_score", "lm_head", "embedding", "attn_norm"}) {
    EXPECT_DOUBLE_EQ(FindOp(b, op).flops, FindOp(a, op).flops) << op;
    EXPECT_DOUBLE_EQ(FindOp(b, op).bytes(), FindOp(a, op).bytes()) << op;
  }
  // Memory: the layers' matrices at 1.125 B per element instead of 2.
  const Roof roof = SparseRoof();
  const double saved = Analyze(m, roof, dense, {}).memory.weights_bytes -
                       Analyze(m, roof, sparse, {}).memory.weights_bytes;
  const double matrices = CountParams(m).layers - 24 * (2 * 896.0 + 896 + 128 + 128);  // less 1-D
  EXPECT_DOUBLE_EQ(saved, matrices * (2 - 1.125));
}

TEST(Sparsity, NoEffectOnAUnitWithoutThePattern) {
  const ModelSpec m = LoadModel("qwen2.5-0.5b");
  Scenario s;
  s.sparsity = {2, 4};
  const Roof flat = testing::FlatRoof(100e9, 10e12);
  EXPECT_EQ(WithRuntime(s, flat).exec.sparsity, (std::pair<int, int>{0, 0}));
  Scenario dense;
  EXPECT_EQ(Analyze(m, flat, s, {}).phases[1].totals.time_s,
            Analyze(m, flat, dense, {}).phases[1].totals.time_s);
  // A 1:4 request on a 2:4 unit is costed dense too.
  s.sparsity = {1, 4};
  EXPECT_EQ(WithRuntime(s, SparseRoof()).exec.sparsity, (std::pair<int, int>{0, 0}));
}

TEST(Sparsity, PatternsAndIndexBits) {
  EXPECT_EQ(ParseSparsity("2:4"), (std::pair<int, int>{2, 4}));
  EXPECT_EQ(ParseSparsity("4:8"), (std::pair<int, int>{4, 8}));
  for (const char* bad : {"", "2", "4:2", "2:2", "0:4", "2:32", "a:b", "2:4:8", "1.5:4"}) {
    EXPECT_FALSE(ParseSparsity(bad).has_value()) << bad;
  }
  EXPECT_EQ(SparsityIndexBits(4), 2);
  EXPECT_EQ(SparsityIndexBits(8), 3);
  EXPECT_EQ(SparsityIndexBits(5), 3);
}

TEST(Sparsity, CliWarnsWhereTheUnitCannotAndAppliesWhereItCan) {
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("analyze qwen2.5-0.5b --hw rpi5 --sparsity 2:4 --summary", &out, &err), 0);
  EXPECT_NE(err.find("does not run 2:4 sparsity"), std::string::npos) << err;
  ASSERT_EQ(testing::RunBinary("compare qwen2.5-1.5b@sparsity=2:4 qwen2.5-1.5b@prune=ffn=0.5 --hw "
                               "rtx-4090 --unit gpu-tensor --seq 512",
                               &out, &err),
            0)
      << err;
  EXPECT_EQ(err, "");
  EXPECT_EQ(testing::RunBinary("analyze qwen2.5-0.5b --sparsity 4:2", &out, &err), 2);
  EXPECT_NE(err.find("--sparsity '4:2' must be N:M"), std::string::npos) << err;
}

}  // namespace
}  // namespace slmroof
