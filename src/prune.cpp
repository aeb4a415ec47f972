// Structured pruning as a model override (docs/cost-model.md §12).
#include "slmroof/prune.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

namespace {

// Splits at any of `separators`; empty pieces are kept (and then rejected as items).
std::vector<std::string> Split(const std::string& text, std::string_view separators) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (separators.find(c) != std::string_view::npos) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// A finite decimal number and nothing else.
bool ParseNumber(const std::string& text, double* out) {
  if (text.empty() || text.size() > 32) {
    return false;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) {
    return false;
  }
  *out = v;
  return true;
}

double Fraction(std::string_view option, std::string_view key, std::string_view value) {
  double v = 0;
  if (!ParseNumber(std::string(value), &v) || !(v > 0) || v > 1) {
    throw UsageError(fmt::format("{}: {}={} must be a fraction kept, in (0, 1]", option, key,
                                 Excerpt(value)));
  }
  return v;
}

int64_t Index(std::string_view option, std::string_view text) {
  double v = 0;
  if (!ParseNumber(std::string(text), &v) || v < 0 || v > 1e6 || v != std::floor(v)) {
    throw UsageError(fmt::format("{}: layer index {} must be a whole number ≥ 0", option, Excerpt(text)));
  }
  return static_cast<int64_t>(v);
}

// Keeps round(f·n) of n, at least `floor_at`.
int64_t Keep(int64_t n, double f, int64_t floor_at) {
  return std::max(floor_at, static_cast<int64_t>(std::llround(f * static_cast<double>(n))));
}

void PruneAttention(AttentionSpec* a, const PruneSpec& p) {
  if (a->kind == AttentionKind::kMla) {
    if (p.heads) {
      a->num_heads = Keep(a->num_heads, *p.heads, 1);
    }
    return;
  }
  const bool mha = a->num_kv_heads == a->num_heads;
  int64_t kv = a->num_kv_heads;
  int64_t h = a->num_heads;
  if (p.kv_heads) {
    kv = Keep(kv, *p.kv_heads, 1);
  }
  if (p.heads) {
    h = Keep(h, *p.heads, 1);
    if (mha && !p.kv_heads) {
      kv = h;  // an MHA head is a query, key and value triple
    }
    // Query heads stay a multiple of the KV heads: round down to one (at least one group).
    kv = std::min(kv, h);
    h = h / kv * kv;
  } else {
    // Fewer KV heads than asked for where needed, so that they divide the query heads.
    while (h % kv != 0) {
      --kv;
    }
  }
  a->num_heads = h;
  a->num_kv_heads = kv;
}

void PruneFfn(FfnSpec* f, const PruneSpec& p) {
  if (p.ffn) {
    if (f->intermediate_size > 0) {
      f->intermediate_size = Keep(f->intermediate_size, *p.ffn, 1);
    }
    if (f->is_moe()) {
      f->expert_intermediate_size = Keep(f->expert_intermediate_size, *p.ffn, 1);
    }
  }
  if (p.experts && f->is_moe()) {
    f->num_experts = std::min(f->num_experts, *p.experts);
    f->experts_per_token = std::min(f->experts_per_token, f->num_experts);
  }
}

}  // namespace

std::optional<std::pair<int, int>> ParseSparsity(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  double n = 0, m = 0;
  if (!ParseNumber(std::string(text.substr(0, colon)), &n) ||
      !ParseNumber(std::string(text.substr(colon + 1)), &m) || n != std::floor(n) ||
      m != std::floor(m) || n < 1 || m > 16 || n >= m) {
    return std::nullopt;
  }
  return std::pair<int, int>{static_cast<int>(n), static_cast<int>(m)};
}

int SparsityIndexBits(int m) {
  int bits = 0;
  while ((1 << bits) < m) {
    ++bits;
  }
  return bits;
}

PruneSpec ParsePrune(std::string_view text, std::string_view option) {
  PruneSpec p;
  p.text = std::string(text);
  if (text.empty()) {
    throw UsageError(fmt::format("{} is empty; give e.g. ffn=0.5,heads=0.75,layers=drop:10-13", option));
  }
  for (const std::string& item : Split(std::string(text), ",+")) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      throw UsageError(fmt::format("{}: {} is not key=value (keys: heads, kv_heads, ffn, experts, layers)",
                                   option, Excerpt(item)));
    }
    const std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    if (key == "heads") {
      p.heads = Fraction(option, key, value);
    } else if (key == "kv_heads") {
      p.kv_heads = Fraction(option, key, value);
    } else if (key == "ffn") {
      p.ffn = Fraction(option, key, value);
    } else if (key == "experts") {
      double v = 0;
      if (!ParseNumber(value, &v) || v < 1 || v > 1e6 || v != std::floor(v)) {
        throw UsageError(fmt::format("{}: experts={} must be a whole number of experts kept, ≥ 1",
                                     option, Excerpt(value)));
      }
      p.experts = static_cast<int64_t>(v);
    } else if (key == "layers") {
      if (value.rfind("drop:", 0) != 0) {
        throw UsageError(fmt::format("{}: layers={} must be drop:FIRST-LAST[:FIRST-LAST...]", option,
                                     Excerpt(value)));
      }
      for (const std::string& range : Split(value.substr(5), ":")) {
        const size_t dash = range.find('-');
        const int64_t first = Index(option, range.substr(0, dash));
        const int64_t last = dash == std::string::npos ? first : Index(option, range.substr(dash + 1));
        if (last < first) {
          throw UsageError(fmt::format("{}: layer range {} runs backwards", option, Excerpt(range)));
        }
        p.drop.emplace_back(first, last);
      }
    } else {
      throw UsageError(fmt::format("{}: unknown key {} (keys: heads, kv_heads, ffn, experts, layers)",
                                   option, Excerpt(key)));
    }
  }
  return p;
}

ModelSpec Prune(const ModelSpec& model, const PruneSpec& prune) {
  if (prune.empty()) {
    return model;
  }
  const int64_t layers = model.NumLayers();
  for (const auto& [first, last] : prune.drop) {
    if (last >= layers) {
      throw InputError(fmt::format("{}: --prune layers=drop:{}-{} reaches past its last layer ({})",
                                   model.name, first, last, layers - 1));
    }
  }
  ModelSpec out = model;
  out.groups.clear();
  out.display_name = fmt::format("{} pruned {}", model.display_name, prune.text);
  int64_t i = 0;
  for (const LayerGroup& g : model.groups) {
    for (int64_t r = 0; r < g.repeat; ++r, ++i) {
      const bool dropped = std::any_of(prune.drop.begin(), prune.drop.end(), [i](const auto& d) {
        return i >= d.first && i <= d.second;
      });
      if (dropped) {
        continue;
      }
      LayerSpec l = g.layer;
      if (HasAttention(l)) {
        PruneAttention(&l.attention, prune);
      }
      if (l.has_ffn) {
        PruneFfn(&l.ffn, prune);
      }
      if (!out.groups.empty() && out.groups.back().layer == l) {
        ++out.groups.back().repeat;
      } else {
        out.groups.push_back({l, 1});
      }
    }
  }
  if (out.groups.empty()) {
    throw InputError(fmt::format("{}: --prune {} drops every layer", model.name, prune.text));
  }
  ValidateModel(out, model.name);
  return out;
}

}  // namespace slmroof
