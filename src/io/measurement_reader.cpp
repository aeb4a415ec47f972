#include "slmroof/io/measurement_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/text.hpp"
#include "slmroof/units.hpp"
#include "slmroof/weights.hpp"

namespace slmroof {

std::vector<std::vector<std::string>> ParseCsv(const std::string& text, const std::string& origin) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;  // the current row has content
  int64_t line = 1, quote_line = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') {
          ++line;
        }
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      quote_line = line;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      field.clear();
      row.clear();
      any = false;
      ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) {
    throw InputError(fmt::format("{}:{}: unterminated quoted field", origin, quote_line));
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

const char* const kColumns[] = {"id",     "model",    "device",   "unit",  "engine", "backend",
                                "weights", "kv",      "phase",    "n_prompt", "n_depth", "n_gen",
                                "batch",  "threads",  "tokens_per_s", "source", "locator"};

class RowReader {
 public:
  RowReader(const std::vector<std::string>& header, std::string origin) : origin_(std::move(origin)) {
    for (size_t i = 0; i < header.size(); ++i) {
      index_[header[i]] = i;
    }
    for (const char* c : kColumns) {
      if (index_.count(c) == 0) {
        throw InputError(fmt::format("{}:1: missing column '{}'", origin_, c));
      }
    }
  }

  Measurement Read(const std::vector<std::string>& row, int64_t line) const {
    line_ = line;
    row_ = &row;
    Measurement m;
    m.origin = fmt::format("{}:{}", origin_, line);
    m.id = Text("id", true);
    m.model = Text("model", true);
    m.device = Text("device", true);
    m.unit = Text("unit", true);
    m.engine = Text("engine", false);
    m.backend = Text("backend", false);
    m.weights = Text("weights", false);
    m.kv = Text("kv", false);
    m.phase = Text("phase", true);
    if (m.phase != "prefill" && m.phase != "decode") {
      Fail("phase", fmt::format("must be prefill or decode, got {}", Excerpt(m.phase)));
    }
    m.n_prompt = Int("n_prompt", 0);
    m.n_depth = Int("n_depth", 0);
    m.n_gen = Int("n_gen", 0);
    m.batch = Int("batch", 1);
    if (m.batch < 1) {
      Fail("batch", "must be at least 1");
    }
    if (!Text("threads", false).empty()) {
      m.threads = Int("threads", 0);
      if (*m.threads < 1) {
        Fail("threads", "must be at least 1");
      }
    }
    m.tokens_per_s = Number("tokens_per_s");
    m.source = Text("source", false);
    m.locator = Text("locator", false);
    if (index_.count("exclude") != 0) {
      m.exclude = Text("exclude", false);
    }
    if (index_.count("flash_attn") != 0 && !Text("flash_attn", false).empty()) {
      const std::string fa = Text("flash_attn", false);
      if (fa != "0" && fa != "1") {
        Fail("flash_attn", fmt::format("must be 0, 1 or empty, got {}", Excerpt(fa)));
      }
      m.flash_attn = fa == "1";
    }
    return m;
  }

 private:
  [[noreturn]] void Fail(const char* column, const std::string& what) const {
    throw InputError(fmt::format("{}:{}: column '{}' {}", origin_, line_, column, what));
  }

  std::string Text(const char* column, bool required) const {
    const size_t i = index_.at(column);
    std::string v = i < row_->size() ? (*row_)[i] : std::string();
    if (required && v.empty()) {
      Fail(column, "is empty");
    }
    return v;
  }

  int64_t Int(const char* column, int64_t fallback) const {
    const std::string v = Text(column, false);
    if (v.empty()) {
      return fallback;
    }
    int64_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || out < 0 || out > limits::kSeqLen.max) {
      Fail(column, fmt::format("must be a whole number from 0 to 2^30, got {}", Excerpt(v)));
    }
    return out;
  }

  double Number(const char* column) const {
    const std::string v = Text(column, true);
    double out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || !(out > 0) || out > 1e12) {
      Fail(column, fmt::format("must be a positive number up to 1e12, got {}", Excerpt(v)));
    }
    return out;
  }


  std::string origin_;
  std::map<std::string, size_t> index_;
  mutable int64_t line_ = 0;
  mutable const std::vector<std::string>* row_ = nullptr;
};

bool IsMeasurementHeader(const std::vector<std::string>& header) {
  return std::find(header.begin(), header.end(), "tokens_per_s") != header.end();
}

// `in_directory`: a CSV found by walking a directory that is no measurement file (no
// tokens_per_s column, e.g. validation/gguf-sizes.csv) is passed over.
std::vector<Measurement> ReadCsvFile(const std::string& path, bool in_directory) {
  const std::vector<std::vector<std::string>> rows = ParseCsv(ReadTextFile(path, limits::kMaxMeasurementBytes), path);
  if (rows.empty()) {
    throw InputError(fmt::format("{}: empty file (expected a header row)", path));
  }
  if (in_directory && !IsMeasurementHeader(rows.front())) {
    return {};
  }
  const RowReader reader(rows.front(), path);
  std::vector<Measurement> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    out.push_back(reader.Read(rows[i], static_cast<int64_t>(i) + 1));
  }
  return out;
}

}  // namespace

std::string FileTypeFromModelType(const std::string& model_type) {
  // "<arch> <size> <ftype words>", e.g. "llama 7B Q4_0", "qwen2 1.5B Q4_K - Medium",
  // "llama 8B IQ4_XS - 4.25 bpw" (llama_model_ftype_name).
  const size_t first = model_type.find(' ');
  const size_t second = first == std::string::npos ? first : model_type.find(' ', first + 1);
  if (second == std::string::npos) {
    return "";
  }
  std::string ftype = model_type.substr(second + 1);
  const size_t dash = ftype.find(" - ");
  std::string base = ftype.substr(0, dash);
  if (dash != std::string::npos) {
    const std::string size = ftype.substr(dash + 3);
    if (size == "Small" || size == "Medium" || size == "Large") {
      // Q2_K's Medium is plain Q2_K; the others carry the size letter.
      if (!(base == "Q2_K" && size == "Medium")) {
        base += "_" + size.substr(0, 1);
      }
    }
  }
  if (base == "MXFP4 MoE") {
    base = "MXFP4_MOE";
  }
  try {
    return ParseWeightSetting(base).name;
  } catch (const UsageError&) {
    return "";
  }
}

namespace {

// One llama-bench result (its JSON object or CSV row, as field -> text).
Measurement FromLlamaBench(const std::map<std::string, std::string>& f, const std::string& origin,
                           size_t index, const MeasurementDefaults& d) {
  auto get = [&](const char* key) -> std::string {
    auto it = f.find(key);
    if (it == f.end()) {
      throw InputError(fmt::format("{}: llama-bench result {} has no '{}'", origin, index + 1, key));
    }
    return it->second;
  };
  auto number = [&](const char* key) {
    const std::string v = get(key);
    double out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(out) || out < 0) {
      throw InputError(fmt::format("{}: llama-bench result {}: '{}' is not a number: {}", origin,
                                   index + 1, key, Excerpt(v)));
    }
    return out;
  };
  // A count: a whole number from `lo` to 2^30 (the bound on sequence lengths, limits.hpp).
  auto count = [&](const char* key, int64_t lo) {
    const double v = number(key);
    if (v < static_cast<double>(lo) || v > static_cast<double>(limits::kSeqLen.max) ||
        v != std::floor(v)) {
      throw InputError(fmt::format("{}: llama-bench result {}: '{}' must be a whole number from {} "
                                   "to 2^30, got {}",
                                   origin, index + 1, key, lo, v));
    }
    return static_cast<int64_t>(v);
  };
  if (d.model.empty() || d.device.empty()) {
    throw InputError(fmt::format(
        "{}: llama-bench output names no slmroof model or device: pass --model and --hw", origin));
  }
  Measurement m;
  m.origin = fmt::format("{}#{}", origin, index + 1);
  m.id = fmt::format("{}#{}", std::filesystem::path(origin).filename().string(), index + 1);
  m.model = d.model;
  m.device = d.device;
  m.engine = "llama.cpp";
  std::string backends = ToLower(get("backends"));
  const size_t comma = backends.find(',');
  m.backend = backends.substr(0, comma);
  if (m.backend == "blas") {
    m.backend = "cpu";
  }
  m.unit = !d.unit.empty() ? d.unit : m.backend == "cpu" ? "cpu" : "gpu";
  m.weights = FileTypeFromModelType(get("model_type"));
  if (m.weights.empty()) {
    throw InputError(fmt::format("{}: llama-bench result {}: unknown file type in model_type {}",
                                 origin, index + 1, Excerpt(get("model_type"))));
  }
  m.kv = f.count("type_k") ? f.at("type_k") : "";
  m.n_prompt = count("n_prompt", 0);
  m.n_gen = count("n_gen", 0);
  m.n_depth = f.count("n_depth") ? count("n_depth", 0) : 0;
  m.threads = count("n_threads", 1);
  m.tokens_per_s = number("avg_ts");
  if (!(m.tokens_per_s > 0) || m.tokens_per_s > 1e12) {
    throw InputError(fmt::format("{}: llama-bench result {}: 'avg_ts' must be positive, got {}",
                                 origin, index + 1, m.tokens_per_s));
  }
  if (f.count("flash_attn") && (f.at("flash_attn") == "0" || f.at("flash_attn") == "1" ||
                                f.at("flash_attn") == "false" || f.at("flash_attn") == "true")) {
    m.flash_attn = f.at("flash_attn") == "1" || f.at("flash_attn") == "true";
  }
  if (m.n_gen > 0 && m.n_prompt > 0) {
    m.exclude = "a combined prompt+generation test (pp+tg) has no single phase";
    m.phase = "decode";
  } else {
    m.phase = m.n_gen > 0 ? "decode" : "prefill";
  }
  m.source = origin;
  m.locator = fmt::format("llama-bench result {} (build {}, {})", index + 1,
                          f.count("build_commit") ? f.at("build_commit") : "?",
                          f.count("test_time") ? f.at("test_time") : "?");
  return m;
}

std::map<std::string, std::string> Flatten(const nlohmann::json& obj, const std::string& origin) {
  if (!obj.is_object()) {
    throw InputError(fmt::format("{}: expected llama-bench result objects", origin));
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : obj.items()) {
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      out[key] = value.get<bool>() ? "1" : "0";
    } else if (value.is_number()) {
      out[key] = value.dump();
    }
  }
  return out;
}

// llama-bench's JSON array (-o json), or one result object per line (-o jsonl).
std::vector<Measurement> FromLlamaBenchJson(const std::string& text, const std::string& origin,
                                            bool lines, const MeasurementDefaults& defaults) {
  std::vector<Measurement> out;
  JsonFields f(origin);
  if (!lines) {
    const nlohmann::json doc = f.Parse(text);
    if (!doc.is_array()) {
      throw InputError(fmt::format("{}: expected llama-bench's JSON array (-o json)", origin));
    }
    for (size_t i = 0; i < doc.size(); ++i) {
      out.push_back(FromLlamaBench(Flatten(doc[i], origin), origin, i, defaults));
    }
    return out;
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    out.push_back(FromLlamaBench(Flatten(f.Parse(line), origin), origin, out.size(), defaults));
  }
  return out;
}

// CSV rows: llama-bench's (-o csv, an avg_ts column) or slmroof's (a tokens_per_s column).
std::vector<Measurement> FromCsvRows(const std::vector<std::vector<std::string>>& rows,
                                     const std::string& origin,
                                     const MeasurementDefaults& defaults) {
  if (rows.empty()) {
    throw InputError(fmt::format("{}: empty file (expected a header row)", origin));
  }
  std::vector<Measurement> out;
  if (!IsMeasurementHeader(rows.front()) &&
      std::find(rows.front().begin(), rows.front().end(), "avg_ts") != rows.front().end()) {
    for (size_t i = 1; i < rows.size(); ++i) {
      std::map<std::string, std::string> fields;
      for (size_t c = 0; c < rows.front().size() && c < rows[i].size(); ++c) {
        fields[rows.front()[c]] = rows[i][c];
      }
      out.push_back(FromLlamaBench(fields, origin, i - 1, defaults));
    }
    return out;
  }
  const RowReader reader(rows.front(), origin);
  for (size_t i = 1; i < rows.size(); ++i) {
    out.push_back(reader.Read(rows[i], static_cast<int64_t>(i) + 1));
  }
  return out;
}

}  // namespace

std::vector<Measurement> ParseMeasurements(const std::string& text, const std::string& origin,
                                           const MeasurementDefaults& defaults) {
  const std::string ext = ToLower(std::filesystem::path(origin).extension().string());
  if (ext == ".json" || ext == ".jsonl") {
    return FromLlamaBenchJson(text, origin, ext == ".jsonl", defaults);
  }
  return FromCsvRows(ParseCsv(text, origin), origin, defaults);
}

std::vector<Measurement> ReadMeasurements(const std::string& path,
                                          const MeasurementDefaults& defaults) {
  std::error_code ec;
  const std::string ext = ToLower(std::filesystem::path(path).extension().string());
  if (ext == ".json" || ext == ".jsonl") {
    const std::string text = ReadTextFile(path, limits::kMaxMeasurementBytes);
    return ParseMeasurements(text, path, defaults);
  }
  if (!std::filesystem::is_directory(path, ec)) {
    const std::vector<std::vector<std::string>> rows = ParseCsv(ReadTextFile(path, limits::kMaxMeasurementBytes), path);
    return FromCsvRows(rows, path, defaults);
  }
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".csv") {
      files.push_back(entry.path().string());
    }
  }
  if (ec) {
    throw InputError(fmt::format("cannot read directory '{}': {}", path, ec.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<Measurement> out;
  for (const std::string& f : files) {
    std::vector<Measurement> rows = ReadCsvFile(f, true);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

}  // namespace slmroof
