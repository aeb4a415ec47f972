#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "render/human.hpp"
#include "slmroof/render.hpp"
#include "slmroof/validate.hpp"

namespace slmroof {

namespace {

using nlohmann::ordered_json;

std::string Percent(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }

std::map<std::string, int64_t> SkipReasons(const ValidationReport& report) {
  std::map<std::string, int64_t> reasons;
  for (const ValidationRow& r : report.rows) {
    if (!r.skipped.empty()) {
      ++reasons[r.skipped];
    }
  }
  return reasons;
}

}  // namespace

std::string RenderValidateTable(const ValidationReport& report, bool rows) {
  std::string out;
  if (rows) {
    out += fmt::format("{:<44} {:<7} {:<22} {:<14} {:<8} {:>11} {:>11} {:>6}\n", "row", "phase",
                       "device", "model", "weights", "measured", "predicted", "ratio");
    for (const ValidationRow& r : report.rows) {
      if (!r.skipped.empty()) {
        continue;
      }
      out += fmt::format("{:<44} {:<7} {:<22} {:<14} {:<8} {:>11} {:>11} {:>6.2f}\n", r.m.id,
                         r.m.phase, r.m.device, r.m.model, r.m.weights,
                         human::Si(r.m.tokens_per_s, "t/s"), human::Si(r.predicted_tps, "t/s"),
                         r.ratio());
    }
    out += "\n";
  }
  out += fmt::format("{:<8} {:<10} {:<14} {:>5} {:>12} {:>10} {:>13} {:>12}\n", "phase", "engine",
                     "family", "rows", "median|err|", "p90|err|", "median ratio", "above ideal");
  for (const ValidationGroup& g : report.groups) {
    out += fmt::format("{:<8} {:<10} {:<14} {:>5} {:>12} {:>10} {:>13.3f} {:>12}\n", g.phase,
                       g.engine, g.family, g.rows, Percent(g.median_abs_error),
                       Percent(g.p90_abs_error), g.median_ratio, g.above_ideal);
  }
  const std::map<std::string, int64_t> reasons = SkipReasons(report);
  if (!reasons.empty()) {
    int64_t skipped = 0;
    for (const auto& [reason, n] : reasons) {
      skipped += n;
    }
    out += fmt::format("\nskipped {} of {} rows:\n", skipped, report.rows.size());
    for (const auto& [reason, n] : reasons) {
      out += fmt::format("  {:>4}  {}\n", n, reason);
    }
  }
  return out;
}

std::string RenderValidateJson(const ValidationReport& report) {
  ordered_json j;
  ordered_json rows = ordered_json::array();
  ordered_json skipped = ordered_json::array();
  for (const ValidationRow& r : report.rows) {
    if (!r.skipped.empty()) {
      skipped.push_back({{"id", r.m.id}, {"origin", r.m.origin}, {"reason", r.skipped}});
      continue;
    }
    ordered_json basis;
    basis["engine"] = r.runtime.engine;
    basis["backend"] = r.runtime.backend;
    basis["unit"] = r.unit;
    basis["seq_len"] = r.seq_len;
    basis["bandwidth_bytes_per_s"] = RoundSig(r.bandwidth_bytes_per_s);
    basis["bandwidth_fraction"] = RoundSig(r.runtime.bandwidth_fraction);
    basis["peak_flops_per_s"] = RoundSig(r.peak_flops_per_s);
    basis["compute_fraction"] = RoundSig(r.runtime.compute_fraction);
    basis["n_ubatch"] = r.runtime.exec.n_ubatch;
    basis["overhead_per_pass_s"] = RoundSig(r.runtime.exec.overhead_per_pass_s);
    basis["overhead_per_layer_s"] = RoundSig(r.runtime.exec.overhead_per_layer_s);
    rows.push_back({{"id", r.m.id},
                    {"model", r.m.model},
                    {"device", r.m.device},
                    {"family", r.family},
                    {"weights", r.m.weights},
                    {"phase", r.m.phase},
                    {"measured_tps", RoundSig(r.m.tokens_per_s)},
                    {"predicted_tps", RoundSig(r.predicted_tps)},
                    {"ideal_tps", RoundSig(r.ideal_tps)},
                    {"ratio", RoundSig(r.ratio())},
                    {"basis", std::move(basis)},
                    {"source", r.m.source},
                    {"locator", r.m.locator}});
  }
  ordered_json groups = ordered_json::array();
  for (const ValidationGroup& g : report.groups) {
    groups.push_back({{"phase", g.phase},
                      {"engine", g.engine},
                      {"family", g.family},
                      {"rows", g.rows},
                      {"median_abs_error", RoundSig(g.median_abs_error)},
                      {"p90_abs_error", RoundSig(g.p90_abs_error)},
                      {"median_ratio", RoundSig(g.median_ratio)},
                      {"above_ideal", g.above_ideal}});
  }
  j["schema_version"] = 1;
  j["summary"] = std::move(groups);
  j["rows"] = std::move(rows);
  j["skipped"] = std::move(skipped);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace slmroof
