#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slmroof/model.hpp"

namespace slmroof {

/// Structured pruning applied to a model description (docs/cost-model.md §12): what --prune and
/// compare's @prune= ask for. Every fraction is the share kept.
struct PruneSpec {
  std::optional<double> heads;     ///< query heads kept per attention layer
  std::optional<double> kv_heads;  ///< key/value heads kept
  std::optional<double> ffn;       ///< FFN width kept (dense width, expert and shared widths)
  std::optional<int64_t> experts;  ///< routed experts kept per MoE layer
  std::vector<std::pair<int64_t, int64_t>> drop;  ///< layer ranges removed, inclusive
  std::string text;                ///< as written, for names and messages
  bool empty() const { return !heads && !kv_heads && !ffn && !experts && drop.empty(); }
};

/// Parses "heads=0.75,kv_heads=0.5,ffn=0.5,experts=32,layers=drop:10-13" (items separated by ','
/// or '+', several ranges by ':'); throws UsageError naming `option` and the item.
PruneSpec ParsePrune(std::string_view text, std::string_view option);

/// Parses an N:M sparsity pattern ("2:4": N of every M weights kept), 0 < N < M ≤ 16; nullopt
/// when the text is not one (§12.2).
std::optional<std::pair<int, int>> ParseSparsity(std::string_view text);

/// Bits of index metadata per kept weight of an N:M pattern: ceil(log2 M) (2 for NVIDIA's 2:4).
int SparsityIndexBits(int m);

/// The model with `prune` applied, validated; its display name says how it was pruned. Throws
/// InputError when the result has no layer left or a dropped range lies past the last layer.
ModelSpec Prune(const ModelSpec& model, const PruneSpec& prune);

}  // namespace slmroof
