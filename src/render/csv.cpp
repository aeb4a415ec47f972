#include <fmt/format.h>

#include "render/number.hpp"
#include "slmroof/render.hpp"

namespace slmroof {

namespace {

std::string Cell(double v) {
  char text[number::kMaxChars];
  return std::string(text, number::WriteSig10(v, text));
}

// Quotes a field when it holds a separator, a quote or a line break (RFC 4180).
std::string Text(const std::string& s) {
  std::string out;
  number::AppendCsvField(s, &out);
  return out;
}

}  // namespace

std::string RenderCsv(const Report& report) {
  // Per-instance columns (flops, bytes, weight/act/kv bytes, time_s) describe one instance of an
  // operator; the *_total columns are count x per instance, as the table prints them. Each phase
  // ends with a `total` row: the phase sums, its OI, achieved FLOP/s, bound and tokens/s.
  std::string out =
      "model,hardware,phase,name,kind,count,flops,flops_total,bytes,bytes_total,weight_bytes,"
      "act_bytes,kv_bytes,oi,weight_type,math_precision,peak_precision,attainable_flops_per_s,"
      "bound,time_s,time_total_s,tokens_per_s\n";
  for (const AnalysisResult& a : report.analyses) {
    for (const PhaseResult& p : a.phases) {
      const std::string prefix =
          fmt::format("{},{},{}", Text(a.model.name), Text(a.roof.device), PhaseName(p.phase));
      for (const OperatorResult& r : p.operators) {
        const Operator& op = r.op;
        const double c = static_cast<double>(op.count);
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},\n", prefix,
                           Text(op.name), OpKindName(op.kind), op.count, Cell(op.flops),
                           Cell(c * op.flops), Cell(op.bytes()), Cell(c * op.bytes()),
                           Cell(op.weight_bytes), Cell(op.act_bytes), Cell(op.kv_bytes), Cell(r.oi),
                           Text(op.weight_type), PrecisionName(op.math),
                           PrecisionName(r.peak_precision), Cell(r.attainable_flops_per_s),
                           BoundName(r.bound), Cell(r.time_s), Cell(c * r.time_s));
      }
      const PhaseTotals& t = p.totals;
      out += fmt::format("{},total,total,,,{},,{},,,,{},,,{},{},{},,{},{}\n", prefix, Cell(t.flops),
                         Cell(t.bytes), Cell(t.oi), PrecisionName(a.peak_precision),
                         Cell(t.flops / t.time_s), BoundName(t.bound), Cell(t.time_s),
                         Cell(t.tokens_per_s));
    }
  }
  return out;
}

}  // namespace slmroof
