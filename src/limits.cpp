#include "slmroof/limits.hpp"

namespace slmroof {

const std::vector<DocumentedLimit>& DocumentedLimits() {
  using namespace limits;
  auto i = [](const char* input, const char* field, IntRange r) {
    return DocumentedLimit{input, field, static_cast<double>(r.min), static_cast<double>(r.max)};
  };
  auto d = [](const char* input, const char* field, RealRange r) {
    return DocumentedLimit{input, field, r.min, r.max};
  };
  static const std::vector<DocumentedLimit> kAll = {
      {"any JSON file", "size in bytes", 0, static_cast<double>(kMaxJsonBytes)},
      {"measurement file", "size in bytes", 0, static_cast<double>(kMaxMeasurementBytes)},
      {"any JSON file", "nesting depth", 1, kMaxJsonDepth},
      {"any JSON file", "bytes in a string field", 0, static_cast<double>(kMaxStringBytes)},
      {"any JSON file", "bytes in a name (model, device, unit, engine, backend)", 1,
       static_cast<double>(kMaxNameBytes)},
      {"any JSON file", "bytes in a display_name", 0, static_cast<double>(kMaxDisplayNameBytes)},
      i("model", "vocab_size", kVocab),
      i("model", "hidden_size", kHidden),
      i("model", "layers in all (num_hidden_layers, sum of repeat)", kLayers),
      i("model", "attention heads, key/value heads", kHeads),
      i("model", "head_dim, v_head_dim, qk_nope_head_dim, qk_rope_head_dim", kHeadDim),
      i("model", "intermediate_size, moe_intermediate_size", kIntermediate),
      i("model", "routed experts", kExperts),
      i("model", "shared experts", kSharedExperts),
      i("model", "experts per token", kExpertsPerToken),
      i("model", "kv_lora_rank", kLoraRank),
      i("model", "q_lora_rank", kQLoraRank),
      i("model", "first_k_dense_replace, moe_layer_freq", kLayerIndex),
      i("model", "norms_per_layer", kNormsPerLayer),
      i("model", "sliding_window", kWindow),
      d("model", "partial_rotary_factor, rotary_pct", kFraction),
      d("device", "bandwidth_bytes_per_s (also --bandwidth)", kBandwidth),
      d("device", "peak_flops_per_s (also --peak)", kPeak),
      d("device", "capacity_bytes, usable_bytes", kCapacity),
      d("device", "power watts", kPower),
      i("device", "threads", kThreads),
      d("engine, calibration", "bandwidth_fraction, compute_fraction", kAchievedFraction),
      d("engine, calibration", "overhead_per_pass_s, overhead_per_layer_s", kOverheadSeconds),
      i("engine", "n_ubatch", kUbatch),
      i("engine", "kv_pad, kv_pad_unfused", kKvPad),
      i("command line", "--seq", kSeqLen),
      i("command line", "--batch", kBatch),
      i("command line", "--ctx", kContext),
      i("command line", "sweep --layers", kDepth),
  };
  return kAll;
}

}  // namespace slmroof
