#include "slmroof/io/measurement_reader.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/json_fields.hpp"

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
      Fail("phase", fmt::format("must be prefill or decode, got '{}'", m.phase));
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
        Fail("flash_attn", fmt::format("must be 0, 1 or empty, got '{}'", Clip(fa)));
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
    if (ec != std::errc() || end != v.data() + v.size() || out < 0 || out > (int64_t{1} << 40)) {
      Fail(column, fmt::format("must be a whole number from 0 to 2^40, got '{}'", Clip(v)));
    }
    return out;
  }

  double Number(const char* column) const {
    const std::string v = Text(column, true);
    double out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || !(out > 0) || out > 1e12) {
      Fail(column, fmt::format("must be a positive number, got '{}'", Clip(v)));
    }
    return out;
  }

  static std::string Clip(const std::string& v) { return v.size() > 40 ? v.substr(0, 40) + "..." : v; }

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
  const std::vector<std::vector<std::string>> rows = ParseCsv(ReadTextFile(path), path);
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

std::vector<Measurement> ReadMeasurements(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return ReadCsvFile(path, false);
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
