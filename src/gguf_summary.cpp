// `slmroof inspect`'s summary of a GGUF file (include/slmroof/gguf_summary.hpp).
#include "slmroof/gguf_summary.hpp"

#include <algorithm>
#include <map>
#include <regex>

#include <fmt/format.h>

namespace slmroof {

std::string LlamaFtypeName(int64_t ftype) {
  // llama.h's enum llama_ftype (values 4-6 and 33-35 were removed).
  static const std::map<int64_t, const char*> kNames = {
      {0, "F32"},       {1, "F16"},       {2, "Q4_0"},      {3, "Q4_1"},     {7, "Q8_0"},
      {8, "Q5_0"},      {9, "Q5_1"},      {10, "Q2_K"},     {11, "Q3_K_S"},  {12, "Q3_K_M"},
      {13, "Q3_K_L"},   {14, "Q4_K_S"},   {15, "Q4_K_M"},   {16, "Q5_K_S"},  {17, "Q5_K_M"},
      {18, "Q6_K"},     {19, "IQ2_XXS"},  {20, "IQ2_XS"},   {21, "Q2_K_S"},  {22, "IQ3_XS"},
      {23, "IQ3_XXS"},  {24, "IQ1_S"},    {25, "IQ4_NL"},   {26, "IQ3_S"},   {27, "IQ3_M"},
      {28, "IQ2_S"},    {29, "IQ2_M"},    {30, "IQ4_XS"},   {31, "IQ1_M"},   {32, "BF16"},
      {36, "TQ1_0"},    {37, "TQ2_0"},    {38, "MXFP4_MOE"}, {39, "NVFP4"},  {40, "Q1_0"},
      {41, "Q2_0"},     {1024, "GUESSED"}};
  const auto it = kNames.find(ftype);
  return it == kNames.end() ? "" : it->second;
}

std::string GgufSummary::TypeMix() const {
  std::map<std::string, double> by_type;
  for (const GgufGroup& g : groups) {
    by_type[g.type] += g.bytes;
  }
  std::vector<std::pair<std::string, double>> sorted(by_type.begin(), by_type.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> parts;
  for (const auto& [type, b] : sorted) {
    parts.push_back(fmt::format("{} {:.3g}%", type, bytes > 0 ? 100 * b / bytes : 0.0));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

GgufSummary Summarize(const GgufFile& f) {
  GgufSummary s;
  s.path = f.path;
  s.version = f.version;
  s.file_bytes = static_cast<double>(f.file_size);
  s.architecture = f.Architecture();
  if (const GgufKv* n = f.Find("general.name"); n != nullptr && n->value.is_string()) {
    s.name = n->value.get<std::string>();
  }
  if (const GgufKv* t = f.Find("general.file_type"); t != nullptr && t->value.is_number_integer()) {
    s.file_type = t->value.get<int64_t>();
    s.file_type_name = LlamaFtypeName(s.file_type);
  }
  if (const GgufKv* v = f.Find("tokenizer.ggml.tokens"); v != nullptr) {
    s.vocab = static_cast<int64_t>(v->count);
  }
  const std::string prefix = s.architecture + ".";
  for (const GgufKv& kv : f.kv) {
    if (!s.architecture.empty() && kv.key.rfind(prefix, 0) == 0) {
      s.cost_keys.push_back(&kv);
    }
  }
  static const std::regex kLayer(R"(^blk\.\d+\.)");
  for (const GgufTensor& t : f.tensors) {
    const std::string role = std::regex_replace(t.name, kLayer, "");
    const double bytes = static_cast<double>(t.bytes);
    auto r = std::find_if(s.roles.begin(), s.roles.end(),
                          [&](const GgufRole& x) { return x.role == role; });
    if (r == s.roles.end()) {
      s.roles.push_back({role});
      r = s.roles.end() - 1;
    }
    ++r->tensors;
    r->elements += t.elements();
    r->bytes += bytes;
    auto g = std::find_if(s.groups.begin(), s.groups.end(), [&](const GgufGroup& x) {
      return x.role == role && x.type == t.type->name;
    });
    if (g == s.groups.end()) {
      s.groups.push_back({role, t.type->name});
      g = s.groups.end() - 1;
    }
    ++g->tensors;
    g->elements += t.elements();
    g->bytes += bytes;
    s.elements += t.elements();
    s.bytes += bytes;
  }
  // Groups by their role's first appearance, then the larger type first.
  auto rank = [&](const std::string& role) {
    return std::find_if(s.roles.begin(), s.roles.end(),
                        [&](const GgufRole& x) { return x.role == role; }) - s.roles.begin();
  };
  std::stable_sort(s.groups.begin(), s.groups.end(), [&](const GgufGroup& a, const GgufGroup& b) {
    const auto ra = rank(a.role);
    const auto rb = rank(b.role);
    return ra != rb ? ra < rb : a.bytes > b.bytes;
  });
  return s;
}

}  // namespace slmroof
