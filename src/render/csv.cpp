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
  std::string out =
      "model,hardware,phase,name,kind,count,flops,bytes,weight_bytes,act_bytes,kv_bytes,oi,"
      "weight_type,math_precision,peak_precision,attainable_flops_per_s,bound,time_s\n";
  for (const AnalysisResult& a : report.analyses) {
    for (const PhaseResult& p : a.phases) {
      for (const OperatorResult& r : p.operators) {
        const Operator& op = r.op;
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", Text(a.model.name),
                           Text(a.roof.device), PhaseName(p.phase), Text(op.name), OpKindName(op.kind),
                           op.count, Cell(op.flops), Cell(op.bytes()), Cell(op.weight_bytes),
                           Cell(op.act_bytes), Cell(op.kv_bytes), Cell(r.oi), Text(op.weight_type), PrecisionName(op.math),
                           PrecisionName(r.peak_precision), Cell(r.attainable_flops_per_s),
                           BoundName(r.bound), Cell(r.time_s));
      }
    }
  }
  return out;
}

}  // namespace slmroof
