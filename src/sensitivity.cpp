// Sensitivity scores for quant-plan (docs/quant-plan.md "Scores"): a generic CSV or JSON of
// (unit, type, score), kl-ssm-quant's per-module probe output, and the translation of HF module
// names to the GGUF tensors they are converted to.
#include "slmroof/sensitivity.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "slmroof/errors.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/plan.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"

namespace slmroof {

namespace {

using nlohmann::json;

constexpr size_t kMaxRows = 1000000;
// Scores are bounded so that any sum of them (at most kMaxRows) stays finite.
constexpr double kMaxScore = 1e15;

const DType& TypeNamed(const std::string& name, const std::string& where) {
  try {
    return DTypeByName(name);
  } catch (const UsageError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));  // a file's field, not an option
  }
}

double ScoreValue(std::string_view text, const std::string& where) {
  const std::string s(Trim(text));
  char* end = nullptr;
  const double v = s.empty() || s.size() > 64 ? NAN : std::strtod(s.c_str(), &end);
  if (s.empty() || s.size() > 64 || end != s.c_str() + s.size() || !std::isfinite(v) ||
      std::fabs(v) > kMaxScore) {
    throw InputError(fmt::format("{}: score {} is not a number from -1e15 to 1e15", where,
                                 Excerpt(s)));
  }
  return v;
}

std::vector<std::string> SplitCsv(std::string_view line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  for (std::string& f : out) {
    f = std::string(Trim(f));
  }
  return out;
}

int Column(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (size_t i = 0; i < header.size(); ++i) {
    for (const char* n : names) {
      if (ToLower(header[i]) == n) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

std::vector<SensitivityRow> ParseCsv(const std::string& text, const std::string& origin) {
  std::vector<SensitivityRow> rows;
  std::vector<std::string> header;
  int unit = -1, type = -1, score = -1;
  size_t line_no = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line = std::string_view(text).substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (Trim(line).empty() || Trim(line).front() == '#') {
      continue;
    }
    const std::string where = fmt::format("{}:{}", OneLine(origin, 200), line_no);
    if (line.find('"') != std::string_view::npos) {
      throw InputError(fmt::format("{}: quoted fields are not read; write names without quotes "
                                   "or commas",
                                   where));
    }
    std::vector<std::string> fields = SplitCsv(line);
    if (header.empty()) {
      header = fields;
      unit = Column(header, {"tensor", "tensor_or_pattern", "pattern", "unit", "module", "layer"});
      type = Column(header, {"type", "dtype"});
      score = Column(header, {"score", "kl", "mse"});
      if (unit < 0 || type < 0 || score < 0) {
        throw InputError(fmt::format("{}: the header must name the columns tensor (or "
                                     "tensor_or_pattern), type and score",
                                     where));
      }
      continue;
    }
    if (fields.size() != header.size()) {
      throw InputError(fmt::format("{}: {} fields, the header has {}", where, fields.size(),
                                   header.size()));
    }
    if (rows.size() >= kMaxRows) {
      throw InputError(fmt::format("{}: more than {} rows", where, kMaxRows));
    }
    if (fields[unit].empty()) {
      throw InputError(fmt::format("{}: the tensor field is empty", where));
    }
    rows.push_back({OneLine(fields[unit], limits::kMaxNameBytes),
                    &TypeNamed(fields[type], where), ScoreValue(fields[score], where), where});
  }
  if (header.empty()) {
    throw InputError(fmt::format("{}: no header line (tensor,type,score)", OneLine(origin, 200)));
  }
  return rows;
}

std::vector<SensitivityRow> ParseJsonScores(const std::string& text, const std::string& origin) {
  const JsonFields f(origin);
  const json doc = f.Parse(text);
  const json* list = &doc;
  if (doc.is_object()) {
    list = &f.Array(doc, "scores", "scores");
  }
  if (!list->is_array()) {
    throw InputError(fmt::format("{}: expected an array of {{\"tensor\", \"type\", \"score\"}} "
                                 "objects or {{\"scores\": [...]}}",
                                 OneLine(origin, 200)));
  }
  if (list->size() > kMaxRows) {
    throw InputError(fmt::format("{}: more than {} scores", OneLine(origin, 200), kMaxRows));
  }
  std::vector<SensitivityRow> rows;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("scores[{}]", i);
    const json& r = (*list)[i];
    if (!r.is_object()) {
      f.Fail(path, fmt::format("must be an object, got {}", DescribeJson(r)));
    }
    const std::string unit = f.Name(r, "tensor", path + ".tensor");
    const std::string type = f.Name(r, "type", path + ".type");
    const double score = f.Number(r, "score", path + ".score", {-kMaxScore, kMaxScore});
    const std::string where = fmt::format("{}: {}", OneLine(origin, 200), path);
    rows.push_back({unit, &TypeNamed(type, where + ".type"), score, where});
  }
  return rows;
}

// The layer index of an HF module name: the number after "layers.", "h." or "blocks.".
std::optional<int64_t> HfLayer(const std::vector<std::string>& parts, size_t* at) {
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] == "layers" || parts[i] == "h" || parts[i] == "blocks") {
      const std::string& n = parts[i + 1];
      if (!n.empty() && n.size() <= 6 && std::all_of(n.begin(), n.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; })) {
        *at = i + 1;
        return std::stoll(n);
      }
    }
  }
  return std::nullopt;
}

// The GGUF kinds an HF Linear's leaf name is converted to (convert_hf_to_gguf's tensor map);
// fused projections name several. Attention's out_proj is told from Mamba's by its parent.
std::vector<std::vector<std::string>> KindsOfLeaf(const std::string& leaf, bool in_attention) {
  static const std::map<std::string, std::vector<std::vector<std::string>>> kLeaves = {
      {"q_proj", {{"attn_q"}}},
      {"k_proj", {{"attn_k"}}},
      {"v_proj", {{"attn_v"}}},
      {"o_proj", {{"attn_output"}}},
      {"qkv_proj", {{"attn_q", "attn_k", "attn_v"}}},
      {"gate_proj", {{"ffn_gate"}}},
      {"w1", {{"ffn_gate"}}},
      {"up_proj", {{"ffn_up"}}},
      {"w3", {{"ffn_up"}}},
      {"fc1", {{"ffn_up"}}},
      {"down_proj", {{"ffn_down"}}},
      {"w2", {{"ffn_down"}}},
      {"fc2", {{"ffn_down"}}},
      {"gate_up_proj", {{"ffn_gate", "ffn_up"}}},
      {"input_linear", {{"ffn_gate", "ffn_up"}}},
      {"output_linear", {{"ffn_down"}}},
      {"in_proj", {{"ssm_in"}, {"shortconv.in_proj"}}},
      {"x_proj", {{"ssm_x"}}},
      {"dt_proj", {{"ssm_dt"}}},
  };
  if (leaf == "out_proj") {
    return in_attention ? std::vector<std::vector<std::string>>{{"attn_output"}}
                        : std::vector<std::vector<std::string>>{{"ssm_out"}, {"shortconv.out_proj"}};
  }
  const auto it = kLeaves.find(leaf);
  return it == kLeaves.end() ? std::vector<std::vector<std::string>>{} : it->second;
}

std::vector<size_t> HfModuleTensors(const std::string& unit, const std::vector<WeightTensor>& tensors) {
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < tensors.size(); ++i) {
    by_name.emplace(tensors[i].name, i);
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= unit.size()) {
    const size_t dot = std::min(unit.find('.', start), unit.size());
    parts.push_back(unit.substr(start, dot - start));
    start = dot + 1;
  }
  const std::string& leaf = parts.back();
  if (leaf == "lm_head") {
    const auto it = by_name.find("output.weight");
    return it == by_name.end() ? std::vector<size_t>{} : std::vector<size_t>{it->second};
  }
  if (leaf == "embed_tokens" || leaf == "embeddings" || leaf == "wte") {
    const auto it = by_name.find("token_embd.weight");
    return it == by_name.end() ? std::vector<size_t>{} : std::vector<size_t>{it->second};
  }
  size_t at = 0;
  const std::optional<int64_t> layer = HfLayer(parts, &at);
  if (!layer) {
    return {};
  }
  bool in_attention = false;
  for (size_t i = at + 1; i + 1 < parts.size(); ++i) {
    in_attention = in_attention || parts[i].find("attn") != std::string::npos ||
                   parts[i].find("attention") != std::string::npos;
    if (parts[i] == "experts") {
      return {};  // one expert's slice of a stacked tensor: not a unit GGUF can type alone
    }
  }
  // Shared experts (Qwen's shared_expert, DeepSeek's shared_experts, Granite's shared_mlp) are
  // the _shexp tensors where the layer has routed experts, the plain FFN where it has none.
  const bool shared = std::any_of(parts.begin() + static_cast<long>(at), parts.end(), [](const std::string& p) {
    return p.starts_with("shared_expert") || p == "shared_mlp";
  });
  for (const char* suffix : shared ? std::vector<const char*>{"_shexp", ""} : std::vector<const char*>{""}) {
    for (const std::vector<std::string>& kinds : KindsOfLeaf(leaf, in_attention)) {
      std::vector<size_t> out;
      for (const std::string& kind : kinds) {
        const auto it = by_name.find(fmt::format("blk.{}.{}{}.weight", *layer, kind, suffix));
        if (it == by_name.end()) {
          break;
        }
        out.push_back(it->second);
      }
      if (out.size() == kinds.size()) {
        return out;
      }
    }
  }
  return {};
}

}  // namespace

const std::vector<std::string>& KlProbeMetrics() {
  static const std::vector<std::string> kMetrics = {"kl_student_to_teacher",
                                                    "kl_teacher_to_student", "delta_cross_entropy"};
  return kMetrics;
}

std::vector<SensitivityRow> ParseScores(const std::string& text, const std::string& origin) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
    return ParseJsonScores(text, origin);
  }
  return ParseCsv(text, origin);
}

std::vector<SensitivityRow> ReadScores(const std::string& path) {
  return ParseScores(ReadTextFile(path, limits::kMaxJsonBytes), path);
}

std::vector<SensitivityRow> ParseKlProbe(const std::string& text, const std::string& origin,
                                         const DType& type, const std::string& metric) {
  if (std::find(KlProbeMetrics().begin(), KlProbeMetrics().end(), metric) == KlProbeMetrics().end()) {
    throw UsageError(fmt::format("--metric {}: takes kl_student_to_teacher, kl_teacher_to_student or "
                                 "delta_cross_entropy (sqnr_db is higher-better and perplexity does "
                                 "not add up over layers)",
                                 Excerpt(metric)));
  }
  const JsonFields f(origin);
  const json doc = f.ParseObject(text);
  if (doc.size() > kMaxRows) {
    throw InputError(fmt::format("{}: more than {} modules", OneLine(origin, 200), kMaxRows));
  }
  std::vector<SensitivityRow> rows;
  for (const auto& [module, stats] : doc.items()) {
    const std::string path = module.size() > limits::kMaxNameBytes ? Excerpt(module) : module;
    if (module.empty() || module.size() > limits::kMaxNameBytes) {
      f.Fail(path, "is not a module name (1 to 128 bytes)");
    }
    if (!stats.is_object()) {
      f.Fail(path, fmt::format("must be an object of metrics, got {}", DescribeJson(stats)));
    }
    if (!stats.contains(metric)) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : stats.items()) {
        if (keys.size() == 6) {
          keys.push_back("…");
          break;
        }
        keys.push_back(Excerpt(k, 30));
      }
      f.Fail(path, fmt::format("has no {} (its metrics: {})", metric,
                               keys.empty() ? "none" : fmt::format("{}", fmt::join(keys, ", "))));
    }
    const double score = f.Number(stats, metric, path + "." + metric, {-kMaxScore, kMaxScore});
    rows.push_back({module, &type, score, fmt::format("{}: {}", OneLine(origin, 200), path)});
  }
  return rows;
}

std::vector<SensitivityRow> ReadKlProbe(const std::string& path, const DType& type,
                                        const std::string& metric) {
  return ParseKlProbe(ReadTextFile(path, limits::kMaxJsonBytes), path, type, metric);
}

std::vector<size_t> UnitTensors(const std::string& unit, const std::vector<WeightTensor>& tensors) {
  auto matrix = [&](size_t i) { return tensors[i].role != TensorRole::kVector && tensors[i].cols > 0; };
  std::vector<size_t> out;
  if (unit.find_first_of("*?") != std::string::npos) {
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (matrix(i) && GlobMatch(unit, tensors[i].name)) {
        out.push_back(i);
      }
    }
    return out;
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (matrix(i) && (tensors[i].name == unit || tensors[i].name == unit + ".weight")) {
      return {i};
    }
  }
  for (size_t i : HfModuleTensors(unit, tensors)) {
    if (matrix(i)) {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace slmroof
