#pragma once

// Shared code of the libFuzzer targets in this directory (docs/fuzzing.md).
//
// A target feeds its input to one of slmroof's parsers as text. InputError and UsageError are the
// parsers' documented rejections; anything else escaping a parser (std::out_of_range,
// nlohmann::json's exceptions, std::bad_alloc, ...) is a defect and aborts, so that libFuzzer
// keeps the input. What a parser accepts is checked against its promises (finite figures, totals
// equal to the sum of their parts, values within their bounds); a broken promise aborts too.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "slmroof/engine.hpp"
#include "slmroof/engine_profile.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/hardware.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/render.hpp"
#include "slmroof/result.hpp"
#include "slmroof/scenario.hpp"

// With 1 (the default), every rejection's message is checked too: at most kMaxMessageBytes,
// valid UTF-8, no control characters (one line, nothing that moves a terminal's cursor).
// Build with -DSLMROOF_FUZZ_CHECK_MESSAGES=0 (CMake option of the same name) to look only for
// crashes and broken invariants.
#ifndef SLMROOF_FUZZ_CHECK_MESSAGES
#define SLMROOF_FUZZ_CHECK_MESSAGES 1
#endif

namespace slmroof::fuzz {

/// The longest error or warning message accepted, in bytes.
inline constexpr size_t kMaxMessageBytes = 500;

/// The fuzz input as text (any bytes, NUL included).
inline std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// Reports a defect and aborts: libFuzzer saves the input as a crash artifact.
[[noreturn]] inline void Crash(const std::string& what) {
  std::fprintf(stderr, "\n==slmroof-fuzz== DEFECT: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// At most `n` bytes of `s`, for a report that stays readable.
inline std::string Excerpt(std::string_view s, size_t n = 300) {
  return std::string(s.substr(0, n)) + (s.size() > n ? "...[cut]" : "");
}

/// `s` with control characters, backslashes and bytes above 0x7e escaped (\n, \x1b, ...).
inline std::string Escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
inline bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + n >= s.size()) {
      return false;  // truncated sequence
    }
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0u) != 0x80u) {
        return false;
      }
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

/// Checks a message shown to the user (an error's what(), a warning): short, one line, valid
/// UTF-8, no control characters. Compiled out with SLMROOF_FUZZ_CHECK_MESSAGES=0.
inline void CheckMessage(std::string_view kind, std::string_view message) {
#if SLMROOF_FUZZ_CHECK_MESSAGES
  auto bad = [&](std::string_view why) {
    Crash(fmt::format("{} message {} ({} bytes): \"{}\"", kind, why, message.size(),
                      Escape(Excerpt(message))));
  };
  if (message.empty()) {
    bad("is empty");
  }
  if (message.size() > kMaxMessageBytes) {
    bad(fmt::format("is longer than {} bytes", kMaxMessageBytes));
  }
  if (!ValidUtf8(message)) {
    bad("is not valid UTF-8");
  }
  for (const char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      bad(fmt::format("holds control character 0x{:02x}", c));
    }
  }
#else
  (void)kind;
  (void)message;
#endif
}

/// Runs `body`: InputError and UsageError are expected rejections (their messages checked); any
/// other exception is a defect.
template <typename F>
void Try(F&& body) {
  try {
    body();
  } catch (const InputError& e) {
    CheckMessage("InputError", e.what());
  } catch (const UsageError& e) {
    CheckMessage("UsageError", e.what());
  } catch (const std::exception& e) {
    Crash(fmt::format("unexpected exception {}: {}", typeid(e).name(), Excerpt(e.what(), 2000)));
  } catch (...) {
    Crash("unexpected exception of a type not derived from std::exception");
  }
}

/// Runs `body`, which is documented not to throw: any exception is a defect.
template <typename F>
void NoThrow(std::string_view what, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    Crash(fmt::format("{} threw {}: {}", what, typeid(e).name(), Excerpt(e.what(), 2000)));
  } catch (...) {
    Crash(fmt::format("{} threw an exception not derived from std::exception", what));
  }
}

/// Turns spdlog off: the library's warnings would flood libFuzzer's output.
inline void Quiet() { spdlog::set_level(spdlog::level::off); }

inline void CheckFinite(double v, std::string_view what) {
  if (!std::isfinite(v)) {
    Crash(fmt::format("{} is not finite: {}", what, v));
  }
}

/// Finite and at least 0.
inline void CheckNonNegative(double v, std::string_view what) {
  CheckFinite(v, what);
  if (v < 0) {
    Crash(fmt::format("{} is negative: {}", what, v));
  }
}

/// Finite and above 0.
inline void CheckPositive(double v, std::string_view what) {
  CheckFinite(v, what);
  if (!(v > 0)) {
    Crash(fmt::format("{} is not positive: {}", what, v));
  }
}

/// `total` equals `sum` within a relative 1e-9 (sums in another order round differently).
inline void CheckSum(double total, double sum, std::string_view what) {
  const double scale = std::max(std::fabs(total), std::fabs(sum));
  if (!(std::fabs(total - sum) <= 1e-9 * scale)) {
    Crash(fmt::format("{} = {:.17g} but its parts sum to {:.17g}", what, total, sum));
  }
}

/// Every promise of one analysis (result.hpp): finite figures, phase totals equal to the
/// count-weighted sums over the operators, the footprint equal to the sum of its parts.
inline void CheckAnalysis(const AnalysisResult& a) {
  CheckNonNegative(a.model.params, "model.params");
  CheckNonNegative(a.model.active_params, "model.active_params");
  if (a.model.active_params > a.model.params * (1 + 1e-9)) {
    Crash(fmt::format("active parameters {} exceed all parameters {}", a.model.active_params,
                      a.model.params));
  }
  CheckPositive(a.peak_flops_per_s, "peak_flops_per_s");
  CheckPositive(a.ridge_oi, "ridge_oi");
  for (const PhaseResult& p : a.phases) {
    const std::string ph(PhaseName(p.phase));
    double flops = 0, bytes = 0, weight = 0, act = 0, kv = 0, time = 0;
    for (const OperatorResult& r : p.operators) {
      const std::string at = ph + " operator " + r.op.name;
      if (r.op.count < 0) {
        Crash(fmt::format("{}: count {}", at, r.op.count));
      }
      CheckNonNegative(r.op.flops, at + " flops");
      CheckNonNegative(r.op.weight_bytes, at + " weight_bytes");
      CheckNonNegative(r.op.act_bytes, at + " act_bytes");
      CheckNonNegative(r.op.kv_bytes, at + " kv_bytes");
      CheckNonNegative(r.op.fixed_s, at + " fixed_s");
      CheckNonNegative(r.oi, at + " oi");
      CheckPositive(r.peak_flops_per_s, at + " peak_flops_per_s");
      CheckNonNegative(r.attainable_flops_per_s, at + " attainable_flops_per_s");
      CheckNonNegative(r.time_s, at + " time_s");
      const auto n = static_cast<double>(r.op.count);
      flops += n * r.op.flops;
      bytes += n * r.op.bytes();
      weight += n * r.op.weight_bytes;
      act += n * r.op.act_bytes;
      kv += n * r.op.kv_bytes;
      time += n * r.time_s;
    }
    const PhaseTotals& t = p.totals;
    CheckNonNegative(t.flops, ph + " flops");
    CheckPositive(t.bytes, ph + " bytes");
    CheckNonNegative(t.weight_bytes, ph + " weight_bytes");
    CheckNonNegative(t.act_bytes, ph + " act_bytes");
    CheckNonNegative(t.kv_bytes, ph + " kv_bytes");
    CheckNonNegative(t.oi, ph + " oi");
    CheckPositive(t.time_s, ph + " time_s");
    CheckPositive(t.tokens, ph + " tokens");
    CheckPositive(t.tokens_per_s, ph + " tokens_per_s");
    CheckNonNegative(t.buffer_bytes, ph + " buffer_bytes");
    if (t.energy_per_token_j) {
      CheckNonNegative(*t.energy_per_token_j, ph + " energy_per_token_j");
    }
    CheckSum(t.flops, flops, ph + " total flops");
    CheckSum(t.bytes, bytes, ph + " total bytes");
    CheckSum(t.weight_bytes, weight, ph + " total weight_bytes");
    CheckSum(t.act_bytes, act, ph + " total act_bytes");
    CheckSum(t.kv_bytes, kv, ph + " total kv_bytes");
    CheckSum(t.time_s, time, ph + " total time_s");
    CheckSum(t.bytes, t.weight_bytes + t.act_bytes + t.kv_bytes, ph + " bytes (weights+act+kv)");
    CheckFinite(p.rip.phi, ph + " phi");
    CheckFinite(p.rip.phi_log, ph + " phi_log");
    CheckNonNegative(p.rip.oi, ph + " rip oi");
    CheckNonNegative(p.rip.perf_flops_per_s, ph + " rip perf");
  }
  double type_bytes = 0, type_elements = 0;
  for (const TypeShare& s : a.weights.types) {
    CheckNonNegative(s.bytes, "weights type " + s.type + " bytes");
    CheckNonNegative(s.elements, "weights type " + s.type + " elements");
    type_bytes += s.bytes;
    type_elements += s.elements;
  }
  CheckPositive(a.weights.bytes, "weights.bytes");
  CheckPositive(a.weights.elements, "weights.elements");
  CheckSum(a.weights.bytes, type_bytes, "weights.bytes");
  CheckSum(a.weights.elements, type_elements, "weights.elements");
  CheckFinite(a.weights.bits_per_weight(), "weights.bits_per_weight");

  const MemoryFootprint& m = a.memory;
  CheckPositive(m.weights_bytes, "memory.weights_bytes");
  CheckNonNegative(m.kv_cache_bytes, "memory.kv_cache_bytes");
  CheckNonNegative(m.state_bytes, "memory.state_bytes");
  CheckNonNegative(m.kv_context, "memory.kv_context");
  CheckNonNegative(m.activation_bytes, "memory.activation_bytes");
  CheckNonNegative(m.decode_buffer_bytes, "memory.decode_buffer_bytes");
  CheckNonNegative(m.output_bytes, "memory.output_bytes");
  CheckNonNegative(m.usable_bytes, "memory.usable_bytes");
  // The recurrent state of SSM and hybrid layers is part of both (docs/cost-model.md §8, §11.5).
  CheckSum(m.total_bytes,
           m.weights_bytes + m.kv_cache_bytes + m.state_bytes + m.activation_bytes + m.output_bytes,
           "memory.total_bytes");
  CheckSum(m.decode_bytes,
           m.weights_bytes + m.kv_cache_bytes + m.state_bytes + m.decode_buffer_bytes +
               m.output_bytes,
           "memory.decode_bytes");
  if (m.activation_bytes < m.decode_buffer_bytes) {
    Crash(fmt::format("memory.activation_bytes {} below the decode buffer {}", m.activation_bytes,
                      m.decode_buffer_bytes));
  }
}

/// Renders one analysis as JSON (which must parse back) and as tables: no renderer may throw.
inline void CheckRenders(const AnalysisResult& a) {
  Report report;
  report.analyses.push_back(a);
  const std::string json = RenderJson(report);
  if (!nlohmann::json::accept(json)) {
    Crash("RenderJson produced text that is not JSON: " + Excerpt(json));
  }
  RenderTable(report);
  RenderCsv(report);
}

/// Analyses `model` on `roof` under `scenario` and checks the result.
inline void AnalyzeAndCheck(const ModelSpec& model, const Roof& roof, const Scenario& scenario,
                            bool render) {
  const AnalysisResult a = Analyze(model, roof, scenario, MeasuredTps{});
  CheckAnalysis(a);
  if (render) {
    CheckRenders(a);
  }
}

/// The CLI's default device, embedded in the binary and loaded once.
inline const HardwareSpec& FixedDevice() {
  static const HardwareSpec hw = LoadHardware("jetson-orin-nano-super");
  return hw;
}

/// Its default unit's theoretical roof with llama.cpp's default backend, as `analyze` uses it.
inline const Roof& FixedRoof() {
  static const Roof roof = [] {
    const HardwareSpec& hw = FixedDevice();
    std::vector<std::string> fallbacks;
    Roof r = ResolveRoof(hw, RoofKind::kTheoretical, "", &fallbacks);
    AttachRuntime(ResolveRuntime(LoadEngine("llama.cpp"), "", r.device, r.unit_kind, hw.kind), &hw,
                  &r);
    return r;
  }();
  return roof;
}

/// A small real model, embedded in the binary and loaded once.
inline const ModelSpec& FixedModel() {
  static const ModelSpec model = LoadModel("qwen2.5-0.5b");
  return model;
}

/// The scenarios a parsed input is analysed under: `analyze`'s default, and a quantized one with
/// flash attention, a larger batch, a context beyond the sequence and MLA's naive form.
inline const std::vector<Scenario>& FixedScenarios() {
  static const std::vector<Scenario> scenarios = [] {
    Scenario plain;
    Scenario quantized;
    quantized.weights = ParseWeightSetting("Q4_K_M");
    quantized.kv = DTypeByName("q8_0");
    quantized.fusion = Fusion::kFlash;
    quantized.mla = MlaForm::kNaive;
    quantized.seq_len = 4096;
    quantized.batch = 4;
    quantized.ctx = 8192;
    return std::vector<Scenario>{plain, quantized};
  }();
  return scenarios;
}

}  // namespace slmroof::fuzz
