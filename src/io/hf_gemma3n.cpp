// HuggingFace gemma3n_text configs (Gemma 3n's language model; docs/cost-model.md §13): keys and
// defaults follow transformers' configuration_gemma3n.py (Gemma3nTextConfig, whose defaults are
// the E4B model) and the layer layout its modeling_gemma3n.py builds.
#include <fmt/format.h>

#include "io/hf_view.hpp"
#include "io/model_common.hpp"
#include "slmroof/limits.hpp"
#include "slmroof/text.hpp"

namespace slmroof::reader {

namespace {

constexpr IntRange kStreams{1, 64};
constexpr IntRange kRank{0, limits::kHidden.max};

// intermediate_size: one width for every layer or a list of L (MatFormer's mix-and-match
// checkpoints slice the MLP per layer).
std::vector<int64_t> Widths(const View& v, int64_t layers) {
  if (!v.Has("intermediate_size") || !v["intermediate_size"].is_array()) {
    return std::vector<int64_t>(static_cast<size_t>(layers),
                                v.IntOr("intermediate_size", limits::kIntermediate, 16384));
  }
  const nlohmann::json& list = v.Array("intermediate_size");
  if (list.size() != static_cast<size_t>(layers)) {
    v.FailKey("intermediate_size", fmt::format("has {} entries for {} layers", list.size(), layers));
  }
  std::vector<int64_t> widths;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_number_integer() || list[i].get<int64_t>() < limits::kIntermediate.min ||
        list[i].get<int64_t>() > limits::kIntermediate.max) {
      v.Fail(fmt::format("{}[{}]", v.Path("intermediate_size"), i),
             fmt::format("must be an integer in [{}, {}], got {}", limits::kIntermediate.min,
                         limits::kIntermediate.max, DescribeJson(list[i])));
    }
    widths.push_back(list[i].get<int64_t>());
  }
  return widths;
}

}  // namespace

void ReadGemma3nLayers(const View& v, int64_t layers, ModelSpec* m) {
  const std::vector<int64_t> widths = Widths(v, layers);
  // Layer i is global when (i + 1) % 5 == 0 unless layer_types says otherwise.
  std::vector<bool> sliding(static_cast<size_t>(layers));
  if (v.Has("layer_types")) {
    const auto kinds = v.Kinds("layer_types", layers, {"sliding_attention", "full_attention"});
    for (size_t i = 0; i < kinds.size(); ++i) {
      sliding[i] = kinds[i] == "sliding_attention";
    }
  } else {
    for (int64_t i = 0; i < layers; ++i) {
      sliding[static_cast<size_t>(i)] = (i + 1) % 5 != 0;
    }
  }
  const int64_t window = v.IntOr("sliding_window", limits::kWindow, 512);
  // The last num_kv_shared_layers attend over the cache of the last earlier layer of their kind.
  const int64_t shared = v.IntOr("num_kv_shared_layers", {0, layers - 1}, 15 < layers ? 15 : 0);
  Gemma3nLayerSpec g;
  g.altup_streams = v.IntOr("altup_num_inputs", kStreams, 4);
  g.laurel_rank = v.IntOr("laurel_rank", kRank, 64);
  g.per_layer_width = v.IntOr("hidden_size_per_layer_input", {1, limits::kHidden.max}, 256);
  m->gemma3n.altup_streams = g.altup_streams;
  m->gemma3n.per_layer_width = g.per_layer_width;
  m->gemma3n.per_layer_vocab = v.IntOr("vocab_size_per_layer_input", limits::kVocab, 262144);

  AttentionSpec a;
  a.num_heads = v.IntOr("num_attention_heads", limits::kHeads, 8);
  a.num_kv_heads = v.IntOr("num_key_value_heads", limits::kHeads, 2);
  a.head_dim = v.IntOr("head_dim", limits::kHeadDim, 256);
  a.v_head_dim = a.head_dim;
  a.rope_dim = a.head_dim;
  a.qk_norm = true;
  a.qkv_bias = a.o_bias = v.Bool("attention_bias", false);
  const std::string act = v.OptString("hidden_activation").value_or("gelu_pytorch_tanh");
  const Activation activation = ParseActivation(v.fields(), act, v.Path("hidden_activation"));
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.norm = NormKind::kRmsNorm;
    l.norms_per_layer = 4;  // input, post-attention, pre- and post-feed-forward
    l.attention = a;
    l.attention.sliding_window = sliding[static_cast<size_t>(i)] ? window : 0;
    l.attention.kv_shared = i >= layers - shared;
    l.ffn.kind = FfnKind::kGated;
    l.ffn.activation = activation;
    l.ffn.intermediate_size = widths[static_cast<size_t>(i)];
    l.gemma3n = g;
    AppendLayers(m, l, 1);
  }
  const double table = static_cast<double>(m->gemma3n.per_layer_vocab) *
                       static_cast<double>(layers * g.per_layer_width);
  m->warnings.push_back(fmt::format(
      "{}: its per-layer embedding table ({} parameters) is gathered row by row, {} values per "
      "token; runtimes keep it out of fast memory (llama.cpp in host memory) but it counts in the "
      "weights' memory here (docs/cost-model.md §13.1)",
      v.fields().origin(),
      table >= 1e9 ? fmt::format("{:.2f}B", table / 1e9) : fmt::format("{:.1f}M", table / 1e6),
      layers * g.per_layer_width));
}

}  // namespace slmroof::reader
