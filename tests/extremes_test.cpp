// Every successful output at the extremes of every bound (limits.hpp) is finite: no NaN, inf or
// null for a number in a table, JSON, CSV, JSON Lines or SVG, end to end through the binary.

#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "robustness/runner.hpp"
#include "slmroof/limits.hpp"

namespace slmroof::robustness {
namespace {

using nlohmann::json;
namespace L = slmroof::limits;

json Layer(const json& attention, const json& ffn, int64_t repeat) {
  return {{"repeat", repeat}, {"attention", attention}, {"ffn", ffn}};
}

json Model(int64_t vocab, int64_t hidden, const json& layer) {
  return {{"slmroof_model", 1}, {"vocab_size", vocab}, {"hidden_size", hidden}, {"layers", {layer}}};
}

// The models at the corners of the bounds: every size at its minimum, every size at its maximum
// (dense, mixture of experts, latent attention).
std::vector<std::pair<std::string, json>> Models() {
  const json dense_max = {{"type", "gated"}, {"activation", "silu"},
                          {"intermediate_size", L::kIntermediate.max}};
  const json attn_max = {{"type", "standard"}, {"num_heads", L::kHeads.max},
                         {"num_kv_heads", L::kHeads.max}, {"head_dim", L::kHeadDim.max}};
  return {
      {"min", Model(L::kVocab.min, L::kHidden.min,
                    Layer({{"type", "standard"}, {"num_heads", 1}, {"head_dim", 1}, {"rope_dim", 0}},
                          {{"type", "mlp"}, {"activation", "relu"}, {"intermediate_size", 1}},
                          L::kLayers.min))},
      {"max", Model(L::kVocab.max, L::kHidden.max, Layer(attn_max, dense_max, L::kLayers.max))},
      {"moe-max", Model(L::kVocab.max, L::kHidden.max,
                        Layer(attn_max,
                              {{"type", "gated"}, {"activation", "silu"},
                               {"num_experts", L::kExperts.max},
                               {"num_shared_experts", L::kSharedExperts.max},
                               {"experts_per_token", L::kExperts.max},
                               {"expert_intermediate_size", L::kIntermediate.max}},
                              L::kLayers.max))},
      {"mla-max", Model(L::kVocab.max, L::kHidden.max,
                        Layer({{"type", "mla"}, {"num_heads", L::kHeads.max},
                               {"q_lora_rank", L::kQLoraRank.max}, {"kv_lora_rank", L::kLoraRank.max},
                               {"qk_nope_head_dim", L::kHeadDim.max},
                               {"qk_rope_head_dim", L::kHeadDim.max}, {"v_head_dim", L::kHeadDim.max}},
                              dense_max, L::kLayers.max))},
  };
}

json Figure(double v) { return {{"theoretical", v}, {"measured", v}, {"source", "bound"}}; }

// The slowest and the fastest device the bounds allow.
std::vector<std::pair<std::string, json>> Devices() {
  auto device = [](double bandwidth, double peak, double capacity, double watts) {
    json peaks;
    for (const char* p : {"fp32", "fp16", "bf16", "int8", "int4"}) {
      peaks[p] = Figure(peak);
    }
    return json{{"name", "edge"},
                {"memory", {{"capacity_bytes", capacity}, {"bandwidth_bytes_per_s", Figure(bandwidth)}}},
                {"power", {{"watts", watts}, {"kind", "tdp"}}},
                {"compute_units", {{{"name", "cpu"}, {"kind", "cpu"}, {"peak_flops_per_s", peaks},
                                    {"threads", {{"value", L::kThreads.max}, {"source", "bound"}}}}}}};
  };
  return {{"slowest", device(L::kBandwidth.min, L::kPeak.min, L::kCapacity.min, L::kPower.min)},
          {"fastest", device(L::kBandwidth.max, L::kPeak.max, L::kCapacity.max, L::kPower.max)}};
}

// Calibrations at both ends of the runtime bounds.
std::string Calibration(double fraction, double overhead) {
  return json{{"slmroof_calibration", 1},
              {"entries",
               {{{"engine", "llama.cpp"}, {"backend", "cpu"}, {"bandwidth_fraction", fraction},
                 {"compute_fraction", fraction}, {"overhead_per_pass_s", overhead},
                 {"overhead_per_layer_s", overhead}}}}}
      .dump();
}

void ExpectFinite(const std::string& text, const std::string& what) {
  static const std::regex kBad(R"((^|[^A-Za-z_])(nan|inf|infinity)([^A-Za-z_]|$))",
                               std::regex::icase);
  std::smatch m;
  if (std::regex_search(text, m, kBad)) {
    const size_t at = static_cast<size_t>(m.position(0));
    ADD_FAILURE() << what << ": '" << m.str(0) << "' in ..."
                  << text.substr(at > 80 ? at - 80 : 0, 200) << "...";
  }
}

// Where a JSON document (or each line of JSON Lines) holds null: its path with array indices as
// '*', and for JSON Lines the row's kind. Empty when `text` is not JSON.
std::set<std::string> NullPaths(const std::string& text) {
  std::set<std::string> paths;
  std::function<void(const json&, const std::string&)> walk = [&](const json& v, const std::string& p) {
    if (v.is_null()) {
      paths.insert(p);
    } else if (v.is_object()) {
      for (const auto& [k, x] : v.items()) {
        walk(x, p + "/" + k);
      }
    } else if (v.is_array()) {
      for (const json& x : v) {
        walk(x, p + "/*");
      }
    }
  };
  if (const json doc = json::parse(text, nullptr, false); !doc.is_discarded()) {
    walk(doc, "");
    return paths;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const json row = json::parse(line, nullptr, false);
    if (row.is_discarded()) {
      return {};
    }
    // Operator rows of every kind leave the same fields empty.
    const std::string kind = row.value("kind", std::string("row"));
    walk(row, (kind == "total" || kind == "row" ? kind : std::string("operator")) + ":");
  }
  return paths;
}

// Runs `args` in a directory prepared by `setup`; returns stdout followed by every file written.
std::vector<std::string> Outputs(const std::vector<std::string>& args,
                                 const std::function<void(const std::string&)>& setup,
                                 const std::string& what) {
  Case c;
  c.args = args;
  c.setup = setup;
  const Outcome o = RunCase(c, 60);
  EXPECT_TRUE(o.exited) << what << ": signal " << o.term_signal << "\n" << o.err;
  EXPECT_EQ(o.exit_code, 0) << what << "\n" << o.err;
  std::vector<std::string> texts = {o.out};
  texts.insert(texts.end(), o.new_file_texts.begin(), o.new_file_texts.end());
  return texts;
}

TEST(Extremes, EveryOutputIsFiniteAtEveryBound) {
  const std::string seqs = fmt::format("{},{}", L::kSeqLen.min, L::kSeqLen.max);
  const std::string batches = fmt::format("{},{}", L::kBatch.min, L::kBatch.max);
  const std::string ctx = std::to_string(L::kContext.max);
  for (const auto& [model_name, model] : Models()) {
    for (const auto& [device_name, device] : Devices()) {
      auto setup = [model = model, device = device](const std::string& dir) {
        std::ofstream(dir + "/m.json") << model.dump();
        std::ofstream(dir + "/hw.json") << device.dump();
        std::ofstream(dir + "/lo.json") << Calibration(L::kAchievedFraction.min, L::kOverheadSeconds.max);
        std::ofstream(dir + "/hi.json") << Calibration(L::kAchievedFraction.max, L::kOverheadSeconds.min);
      };
      auto baseline = [](const std::string& dir) {
        auto copy = [&](const std::string& from, const std::string& to) {
          std::ifstream in(std::string(SLMROOF_SOURCE_DIR) + "/" + from);
          std::ofstream(dir + "/" + to) << in.rdbuf();
        };
        copy("configs/qwen2.5-0.5b.json", "m.json");
        copy("hardware_specs/raspberry-pi-5.json", "hw.json");
        std::ofstream(dir + "/lo.json") << Calibration(0.5, 0.001);
        std::ofstream(dir + "/hi.json") << Calibration(0.5, 0.001);
      };
      const std::vector<std::vector<std::string>> runs = {
          {"sweep", "m.json", "--hw", "hw.json", "--seq", seqs, "--batch", batches, "--operators",
           "--format", "jsonl", "--weights", "fp32,Q4_K_M,q1_0", "--engine", "ideal"},
          {"sweep", "m.json", "--hw", "hw.json", "--seq", seqs, "--batch", batches, "--format", "csv",
           "--layers", fmt::format("{},{}", L::kDepth.min, L::kDepth.max), "--calibration", "lo.json"},
          {"sweep", "m.json", "--hw", "hw.json", "--seq", seqs, "--batch", batches,
           "--calibration", "hi.json", "--plot", "lines.svg"},
          {"analyze", "m.json", "--hw", "hw.json", "--seq", std::to_string(L::kSeqLen.max), "--batch",
           std::to_string(L::kBatch.max), "--ctx", ctx, "--format", "json", "--measured-tps",
           "prefill=1e-3,decode=1e21", "--weights", "Q4_K_M", "--kv", "q8_0"},
          {"analyze", "m.json", "--hw", "hw.json", "--seq", "1", "--ctx", "1", "--format", "csv",
           "--calibration", "lo.json"},
          {"analyze", "m.json", "--hw", "hw.json", "--seq", std::to_string(L::kSeqLen.max), "--batch",
           std::to_string(L::kBatch.max), "--plot", "roofline.svg", "--calibration", "hi.json"},
          {"compare", "m.json", "m.json@weights=q4_0", "--hw", "hw.json", "--seq", seqs, "--batch",
           batches, "--format", "json"},
          {"compare", "m.json", "m.json@kv=q8_0", "--hw", "hw.json", "--seq", seqs, "--batch", batches},
      };
      for (const std::vector<std::string>& args : runs) {
        const std::string what =
            fmt::format("{} on {}: {}", model_name, device_name, fmt::join(args, " "));
        // The same command on a real model and device: the nulls it prints are the formats'
        // "not applicable" (a total has no count); any other null would be a number lost.
        std::set<std::string> allowed;
        for (const std::string& text : Outputs(args, baseline, what + " (baseline)")) {
          const std::set<std::string> p = NullPaths(text);
          allowed.insert(p.begin(), p.end());
        }
        const std::vector<std::string> texts = Outputs(args, setup, what);
        EXPECT_FALSE(texts[0].empty() && texts.size() == 1) << what << ": no output";
        for (const std::string& text : texts) {
          ExpectFinite(text, what);
          for (const std::string& p : NullPaths(text)) {
            EXPECT_TRUE(allowed.count(p) > 0) << what << ": null at " << p;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace slmroof::robustness
