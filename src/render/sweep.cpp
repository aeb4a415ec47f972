#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "render/human.hpp"
#include "render/number.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/sweep_writer.hpp"

namespace slmroof {

namespace {

// Fields of one row, written as CSV cells or JSON members; the column order lives in one place
// (WriteSetting, WriteRow) so the CSV header and the JSON keys cannot drift apart.
class Fields {
 public:
  virtual ~Fields() = default;
  virtual void Text(const char* key, std::string_view value) = 0;
  virtual void Num(const char* key, double value) = 0;   ///< 10 significant digits
  virtual void Int(const char* key, int64_t value) = 0;
  virtual void Bool(const char* key, bool value) = 0;
  virtual void Null(const char* key) = 0;                 ///< not applicable to this row
};

void WriteSetting(const SweepSetting& s, Fields& f) {
  const Roof& roof = *s.roof;
  const Scenario& sc = s.scenario;
  f.Text("model", s.model->name);
  f.Int("layers", s.model->NumLayers());
  f.Text("hardware", roof.device);
  f.Text("unit", roof.unit);
  f.Text("roof", RoofKindName(roof.kind));
  f.Num("bandwidth_bytes_per_s", roof.bandwidth_bytes_per_s);
  f.Num("ridge_oi", s.peak.ridge_oi);
  f.Text("weights", sc.weights.name);
  f.Text("act", sc.act.name);
  f.Text("kv", sc.kv.name);
  f.Text("fusion", FusionName(sc.fusion));
  f.Text("mla", MlaFormName(sc.mla));
}

// A totals row (op == nullptr) or one operator's row.
void WriteRow(const SweepRow& r, const OperatorResult* op, bool operators, Fields& f) {
  f.Int("batch", r.batch);
  f.Int("seq_len", r.seq_len);
  f.Text("phase", PhaseName(r.phase));
  if (operators) {
    if (op) {
      f.Text("name", op->op.name);
      f.Text("kind", OpKindName(op->op.kind));
      f.Int("count", op->op.count);
      f.Text("math_precision", PrecisionName(op->op.math));
      f.Num("attainable_flops_per_s", op->attainable_flops_per_s);
    } else {
      f.Text("name", "total");
      f.Text("kind", "total");
      f.Null("count");
      f.Null("math_precision");
      f.Null("attainable_flops_per_s");
    }
  }
  if (op) {
    const Operator& o = op->op;
    f.Num("peak_flops_per_s", op->peak_flops_per_s);
    f.Text("peak_precision", PrecisionName(op->peak_precision));
    f.Num("flops", o.flops);
    f.Num("bytes", o.bytes());
    f.Num("weight_bytes", o.weight_bytes);
    f.Num("act_bytes", o.act_bytes);
    f.Num("kv_bytes", o.kv_bytes);
    f.Num("oi", op->oi);
    f.Num("time_s", op->time_s);
    f.Text("bound", BoundName(op->bound));
    for (const char* key : {"tokens", "tokens_per_s", "energy_per_token_j", "phi", "phi_log",
                            "regime", "weights_bytes", "kv_cache_bytes", "state_bytes",
                            "activation_bytes",
                            "output_bytes", "total_bytes", "decode_bytes", "capacity_bytes",
                            "fits"}) {
      f.Null(key);
    }
    return;
  }
  const PhaseTotals& t = r.totals;
  const SweepSetting& s = *r.setting;
  f.Num("peak_flops_per_s", s.peak.peak_flops_per_s);
  f.Text("peak_precision", PrecisionName(s.peak.precision));
  f.Num("flops", t.flops);
  f.Num("bytes", t.bytes);
  f.Num("weight_bytes", t.weight_bytes);
  f.Num("act_bytes", t.act_bytes);
  f.Num("kv_bytes", t.kv_bytes);
  f.Num("oi", t.oi);
  f.Num("time_s", t.time_s);
  f.Text("bound", BoundName(t.bound));
  f.Num("tokens", t.tokens);
  f.Num("tokens_per_s", t.tokens_per_s);
  if (t.energy_per_token_j) {
    f.Num("energy_per_token_j", *t.energy_per_token_j);
  } else {
    f.Null("energy_per_token_j");
  }
  f.Num("phi", r.rip.phi);
  f.Num("phi_log", r.rip.phi_log);
  f.Text("regime", BoundName(r.rip.regime));
  const MemoryFootprint& m = r.memory;
  f.Num("weights_bytes", m.weights_bytes);
  f.Num("kv_cache_bytes", m.kv_cache_bytes);
  f.Num("state_bytes", m.state_bytes);
  f.Num("activation_bytes", m.activation_bytes);
  f.Num("output_bytes", m.output_bytes);
  f.Num("total_bytes", m.total_bytes);
  f.Num("decode_bytes", m.decode_bytes);
  if (s.roof->capacity_bytes > 0) {
    f.Num("capacity_bytes", s.roof->capacity_bytes);
  } else {
    f.Null("capacity_bytes");
  }
  if (m.fits) {
    f.Bool("fits", *m.fits);
  } else {
    f.Null("fits");
  }
}

// Collects the keys, for the CSV header.
class Keys : public Fields {
 public:
  std::string line;
  void Text(const char* k, std::string_view) override { Add(k); }
  void Num(const char* k, double) override { Add(k); }
  void Int(const char* k, int64_t) override { Add(k); }
  void Bool(const char* k, bool) override { Add(k); }
  void Null(const char* k) override { Add(k); }

 private:
  void Add(const char* k) {
    if (!line.empty()) {
      line += ',';
    }
    line += k;
  }
};

// Appends fields to a buffer, as CSV cells or as JSON members.
class Appender : public Fields {
 public:
  Appender(std::string* buf, bool json) : buf_(buf), json_(json) {}
  /// Continues a row after a cached prefix.
  void Resume() { first_ = false; }
  void Text(const char* k, std::string_view v) override {
    Key(k);
    if (json_) {
      const bool plain = std::all_of(v.begin(), v.end(), [](char c) {
        return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
      });
      if (plain) {
        *buf_ += '"';
        *buf_ += v;
        *buf_ += '"';
      } else {
        *buf_ += nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
    } else {
      number::AppendCsvField(v, buf_);
    }
  }
  void Num(const char* k, double v) override {
    if (!std::isfinite(v)) {  // JSON has no inf or NaN; CSV leaves the cell empty
      Null(k);
      return;
    }
    Key(k);
    char text[number::kMaxChars];
    buf_->append(text, number::WriteSig10(v, text));
  }
  void Int(const char* k, int64_t v) override {
    Key(k);
    char text[24];
    const auto r = std::to_chars(text, text + sizeof text, v);
    buf_->append(text, r.ptr);
  }
  void Bool(const char* k, bool v) override {
    Key(k);
    *buf_ += v ? "true" : "false";
  }
  void Null(const char* k) override {
    Key(k);
    if (json_) {
      *buf_ += "null";
    }
  }

 private:
  void Key(const char* k) {
    if (!first_) {
      *buf_ += ',';
    }
    first_ = false;
    if (json_) {
      *buf_ += '"';
      *buf_ += k;
      *buf_ += "\":";
    }
  }
  std::string* buf_;
  bool json_;
  bool first_ = true;
};

// Buffers output and writes it in large pieces.
class Buffered : public SweepWriter {
 public:
  explicit Buffered(std::FILE* out) : out_(out) {}
  void Finish() override {
    Flush();
    if (std::fflush(out_) != 0) {
      Fail();
    }
  }

 protected:
  void MaybeFlush() {
    if (buf_.size() >= (1u << 16)) {
      Flush();
    }
  }
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) {
      Fail();
    }
    buf_.clear();
  }
  [[noreturn]] static void Fail() {
    throw InputError(fmt::format("cannot write the sweep's rows: {}", std::strerror(errno)));
  }
  std::string buf_;

 private:
  std::FILE* out_;
};

class CsvOrJsonl : public Buffered {
 public:
  CsvOrJsonl(std::FILE* out, bool json, bool operators)
      : Buffered(out), json_(json), operators_(operators), fields_(&buf_, json) {
    if (!json_) {
      // The header from a dummy row, so it lists exactly the keys WriteRow writes.
      Keys keys;
      ModelSpec model;
      Roof roof;
      SweepSetting s;
      s.model = &model;
      s.roof = &roof;
      SweepRow r;
      r.setting = &s;
      WriteSetting(s, keys);
      WriteRow(r, nullptr, operators_, keys);
      buf_ += keys.line + "\n";
    }
  }

  void Row(const SweepRow& r) override {
    if (r.setting->id != setting_id_ || setting_id_ == 0) {
      setting_id_ = r.setting->id;
      prefix_.clear();
      Appender a(&prefix_, json_);
      WriteSetting(*r.setting, a);
    }
    One(r, nullptr);
    if (operators_ && r.detail) {
      for (const OperatorResult& op : r.detail->operators) {
        One(r, &op);
      }
    }
    MaybeFlush();
  }

 private:
  void One(const SweepRow& r, const OperatorResult* op) {
    if (json_) {
      buf_ += '{';
    }
    buf_ += prefix_;
    fields_.Resume();
    WriteRow(r, op, operators_, fields_);
    buf_ += json_ ? "}\n" : "\n";
  }

  bool json_;
  bool operators_;
  Appender fields_;
  std::string prefix_;
  uint64_t setting_id_ = 0;
};

// Fixed-width columns for people, printed as rows arrive.
class Table : public Buffered {
 public:
  Table(std::FILE* out, bool operators) : Buffered(out), operators_(operators) {
    fmt::format_to(std::back_inserter(buf_), kRow, "model", "layers", "hardware", "weights", "kv",
                   "fusion", "batch", "seq", "phase", "time", "tokens/s", "OI", "bound", "phi_log",
                   "memory", "fits");
  }

  void Row(const SweepRow& r) override {
    const SweepSetting& s = *r.setting;
    const PhaseTotals& t = r.totals;
    const char* fits = !r.memory.fits ? "?" : (*r.memory.fits ? "yes" : "no");
    fmt::format_to(std::back_inserter(buf_), kRow, s.model->name, s.model->NumLayers(),
                   s.roof->device, s.scenario.weights.name, s.scenario.kv.name,
                   FusionName(s.scenario.fusion), r.batch, r.seq_len, PhaseName(r.phase),
                   human::Seconds(t.time_s), fmt::format("{:.4g}", t.tokens_per_s),
                   human::Oi(t.oi), BoundName(t.bound), fmt::format("{:.3f}", r.rip.phi_log),
                   human::Si(r.memory.total_bytes, "B"), fits);
    if (operators_ && r.detail) {
      for (const OperatorResult& op : r.detail->operators) {
        fmt::format_to(std::back_inserter(buf_), "    {:<28} x{:<3} {:>10} OI {:>7} {}\n",
                       op.op.name, op.op.count, human::Seconds(op.time_s), human::Oi(op.oi),
                       BoundName(op.bound));
      }
    }
    MaybeFlush();
  }

 private:
  static constexpr const char* kRow =
      "{:<18} {:>6} {:<24} {:<8} {:<6} {:<6} {:>7} {:>10} {:<8} {:>10} {:>10} {:>7} {:<8} "
      "{:>7} {:>9} {:>4}\n";
  bool operators_;
};

}  // namespace

std::unique_ptr<SweepWriter> MakeSweepWriter(SweepFormat format, bool operators, std::FILE* out) {
  if (format == SweepFormat::kTable) {
    return std::make_unique<Table>(out, operators);
  }
  return std::make_unique<CsvOrJsonl>(out, format == SweepFormat::kJsonl, operators);
}

}  // namespace slmroof
