// The bad-input matrix: one row per class of bad input, with the exact message it must give.
// docs/robustness.md shows the same table (RobustnessMatrix.DocsListEveryCase keeps them equal).

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "robustness/runner.hpp"

namespace slmroof::robustness {

namespace {

using nlohmann::json;
using Setup = std::function<void(const std::string&)>;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Source(const std::string& relative) {
  return Slurp(std::string(SLMROOF_SOURCE_DIR) + "/" + relative);
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A file `name` holding `text`.
Setup File(const std::string& name, const std::string& text) {
  return [=](const std::string& dir) { Write(dir + "/" + name, text); };
}

// `source` (a file of the tree) with `edit` applied; "@RAW@" in a string value is replaced by
// `raw` in the text, for values JSON libraries will not write (1e400, deep nesting).
std::string Edited(const std::string& source, const std::function<void(json&)>& edit,
                   const std::string& raw = "") {
  json doc = json::parse(Source(source));
  edit(doc);
  std::string text = doc.dump(1);
  const size_t at = text.find("\"@RAW@\"");
  if (at != std::string::npos) {
    text.replace(at, 7, raw);
  }
  return text;
}

const char* kHf = "configs/qwen2.5-0.5b.json";
const char* kMoe = "configs/deepseek-v2-lite.json";
const char* kNative = "tests/data/tiny.json";
const char* kDevice = "hardware_specs/raspberry-pi-5.json";

// An HF config with one field set to `value`.
Setup Hf(const std::string& key, const json& value) {
  return File("m.json", Edited(kHf, [=](json& d) { d[key] = value; }));
}

// A native model whose layers[0] has `key` (a JSON pointer below it) set to `value`.
Setup Native(const std::string& pointer, const json& value) {
  return File("m.json", Edited(kNative, [=](json& d) { d[json::json_pointer(pointer)] = value; }));
}

// The device file with `pointer` set to `value`.
Setup Device(const std::string& pointer, const json& value) {
  return File("hw.json",
              Edited(kDevice, [=](json& d) { d[json::json_pointer(pointer)] = value; }));
}

std::vector<std::string> Analyze(std::initializer_list<std::string> extra) {
  std::vector<std::string> a = {"analyze"};
  a.insert(a.end(), extra);
  return a;
}

}  // namespace

const std::vector<Case>& Matrix() {
  static const std::vector<Case> kCases = [] {
    std::vector<Case> v;
    auto add = [&](const char* klass, const char* what, std::vector<std::string> args, int exit,
                   std::string message, Setup setup = {}) {
      Case c;
      c.klass = klass;
      c.what = what;
      c.args = std::move(args);
      c.exit = exit;
      c.message = std::move(message);
      c.setup = std::move(setup);
      v.push_back(std::move(c));
      return &v.back();
    };
    const std::string ten_mb(10 << 20, '7');
    const std::string nested = std::string(100000, '[') + std::string(100000, ']');

    // ---- Model files: sizes and structure --------------------------------------------------
    add("model file", "value nested 100,000 deep", Analyze({"m.json"}), 1, "slmroof: error: m.json: line 32: arrays and objects nest more than 64 deep\n",
        File("m.json", Edited(kHf, [](json& d) { d["vocab_size"] = "@RAW@"; }, nested)));
    add("model file", "10 MB string in a numeric field", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'vocab_size' must be an integer in [1, 8388608], got string '7777777777777777777777777777777777777777'... (10485760 bytes)\n",
        Hf("vocab_size", ten_mb));
    add("model file", "architectures nested 100,000 deep, no model_type", Analyze({"m.json"}), 1,
        "slmroof: error: m.json: line 8: arrays and objects nest more than 64 deep\n", File("m.json", Edited(kHf, [](json& d) {
                        d.erase("model_type");
                        d["architectures"] = "@RAW@";
                      }, nested)));
    add("model file", "architectures naming nothing slmroof reads", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'model_type' is missing and 'architectures' (an array of 3 elements) names no model slmroof reads\n",
        File("m.json", Edited(kHf, [&](json& d) {
               d.erase("model_type");
               d["architectures"] = json::array({ten_mb.substr(0, 1000), 1, json::object()});
             })));
    add("model file", "file of 17 MiB", Analyze({"m.json"}), 1, "slmroof: error: 'm.json' is 17825803 bytes, more than the 16 MiB slmroof reads\n",
        File("m.json", "{\"pad\": \"" + std::string(17 << 20, ' ') + "\"}"));
    add("model file", "empty file", Analyze({"m.json"}), 1, "slmroof: error: m.json: malformed JSON: parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal\n", File("m.json", ""));
    add("model file", "truncated JSON", Analyze({"m.json"}), 1, "slmroof: error: m.json: malformed JSON: parse error at line 5, column 8: syntax error while parsing object key - invalid string: missing closing quote; last read: '\"hf'; expected string literal\n",
        File("m.json", Source(kHf).substr(0, 100)));
    add("model file", "invalid UTF-8 in a string", Analyze({"m.json"}), 1, "slmroof: error: m.json: malformed JSON: parse error at line 1, column 19: syntax error while parsing value - invalid string: ill-formed UTF-8 byte; last read: '\"ll\\xFF'\n",
        File("m.json", "{\"model_type\": \"ll\xff\xfe\"}"));
    add("model file", "number beyond double (1e400)", Analyze({"m.json"}), 1, "slmroof: error: m.json: malformed JSON: number overflow parsing '1e400'\n",
        File("m.json", Edited(kHf, [](json& d) { d["rope_theta"] = "@RAW@"; }, "1e400")));
    add("model file", "top level is an array", Analyze({"m.json"}), 1, "slmroof: error: m.json: expected a JSON object at the top level, got an array of 2 elements\n", File("m.json", "[1, 2]"));
    add("model file", "neither format", Analyze({"m.json"}), 1, "slmroof: error: m.json: neither a slmroof model (no field 'slmroof_model'), a HuggingFace config.json (no field 'model_type') nor a mamba_ssm config (no fields 'd_model' and 'n_layer')\n", File("m.json", "{\"a\": 1}"));
    add("model file", "control characters in model_type", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'model_type' holds a control character: 'llama\\x1B[31m\\nred'\n",
        Hf("model_type", "llama\u001b[31m\nred"));
    add("model file", "unknown model_type of 10 MB", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'model_type' is 10485760 bytes long, more than 4096: '7777777777777777777777777777777777777777'... (10485760 bytes)\n",
        Hf("model_type", ten_mb));
    add("model file", "unknown activation", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'hidden_act' names an unknown activation 'swiglu9' (known: silu, gelu, gelu_pytorch_tanh, relu, relu2)\n", Hf("hidden_act", "swiglu9"));
    add("model file", "string field of 5000 bytes", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'source' is 5000 bytes long, more than 4096: 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn'... (5000 bytes)\n",
        Native("/source", std::string(5000, 'n')));
    add("model file", "display_name of 300 bytes", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'display_name' is 300 bytes long, more than 256: 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn'... (300 bytes)\n",
        Native("/display_name", std::string(300, 'n')));
    add("model file", "name of 200 bytes", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'name' is 200 bytes long, more than 128: 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn'... (200 bytes)\n",
        Native("/name", std::string(200, 'n')));

    // ---- Model files: numbers out of range ----------------------------------------------------
    add("model file", "num_hidden_layers 1e12 (HF)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'num_hidden_layers' must be an integer in [1, 4096], got 1e+12\n",
        Hf("num_hidden_layers", 1e12));
    add("model file", "num_hidden_layers 1e12 in an MoE config (was a 1.4 h loop)",
        Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'num_hidden_layers' must be an integer in [1, 4096], got 1e+12\n",
        File("m.json", Edited(kMoe, [](json& d) { d["num_hidden_layers"] = 1e12; })));
    add("model file", "vocab_size 2^64 - 1 (was reported as -1)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'vocab_size' must be an integer in [1, 8388608], got 18446744073709551615\n",
        Hf("vocab_size", json(uint64_t{18446744073709551615u})));
    add("model file", "hidden_size 2^40 (products overflow)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'hidden_size' must be an integer in [1, 131072], got 1099511627776\n",
        Hf("hidden_size", int64_t{1} << 40));
    add("model file", "intermediate_size 1e30", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'intermediate_size' must be an integer in [1, 1048576], got 1e+30\n", Hf("intermediate_size", 1e30));
    add("model file", "intermediate_size 2.5", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'intermediate_size' must be an integer in [1, 1048576], got 2.5\n", Hf("intermediate_size", 2.5));
    add("model file", "num_attention_heads 0", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'num_attention_heads' must be an integer in [1, 4096], got 0\n", Hf("num_attention_heads", 0));
    add("model file", "num_key_value_heads -2", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'num_key_value_heads' must be an integer in [1, 4096], got -2\n", Hf("num_key_value_heads", -2));
    add("model file", "num_key_value_heads not dividing the heads", Analyze({"m.json"}), 1, "slmroof: error: m.json: num_key_value_heads (5) must divide num_attention_heads (14)\n",
        Hf("num_key_value_heads", 5));
    add("model file", "head_dim -5 (HF)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'head_dim' must be an integer in [0, 4096], got -5\n", Hf("head_dim", -5));
    add("model file", "vocab_size as a string", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'vocab_size' must be an integer in [1, 8388608], got string '151936'\n", Hf("vocab_size", "151936"));
    add("model file", "tie_word_embeddings as a number", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'tie_word_embeddings' must be true or false, got 1\n",
        Hf("tie_word_embeddings", 1));
    add("model file", "partial_rotary_factor 2", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'partial_rotary_factor' must be a number in [0, 1], got 2\n", Hf("partial_rotary_factor", 2));
    add("model file", "n_routed_experts -4 (MoE)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'n_routed_experts' must be an integer in [1, 4096], got -4\n",
        File("m.json", Edited(kMoe, [](json& d) { d["n_routed_experts"] = -4; })));
    add("model file", "num_experts_per_tok above n_routed_experts", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'num_experts_per_tok' must be an integer in [1, 64], got 65\n",
        File("m.json", Edited(kMoe, [](json& d) { d["num_experts_per_tok"] = 65; })));
    add("model file", "moe_intermediate_size 2^62 (width wrapped to 2)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'moe_intermediate_size' must be an integer in [1, 1048576], got 4611686018427387904\n",
        File("m.json", Edited(kMoe, [](json& d) { d["moe_intermediate_size"] = int64_t{1} << 62; })));
    add("model file", "n_shared_experts 1e9", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'n_shared_experts' must be an integer in [0, 64], got 1000000000\n",
        File("m.json", Edited(kMoe, [](json& d) { d["n_shared_experts"] = 1000000000; })));
    add("model file", "kv_lora_rank 0 (MLA)", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'kv_lora_rank' must be an integer in [1, 65536], got 0\n",
        File("m.json", Edited(kMoe, [](json& d) { d["kv_lora_rank"] = 0; })));
    add("model file", "native: layers is -2^63", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers' must be an array, got -9223372036854775808\n",
        Native("/layers", json(std::numeric_limits<int64_t>::min())));
    add("model file", "native: repeat -2^63", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].repeat' must be an integer in [1, 4096], got -9223372036854775808\n",
        Native("/layers/0/repeat", json(std::numeric_limits<int64_t>::min())));
    add("model file", "native: repeats summing past 4096 layers", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[1].repeat' brings the model to 8000 layers, more than 4096\n",
        File("m.json", Edited(kNative, [](json& d) {
               d["layers"][0]["repeat"] = 4000;
               d["layers"].push_back(d["layers"][0]);
             })));
    add("model file", "native: 5000 layer entries", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers' has 5000 entries, more than the 4096 layers a model may have\n",
        File("m.json", Edited(kNative, [](json& d) {
               const json layer = d["layers"][0];
               d["layers"] = json::array();
               for (int i = 0; i < 5000; ++i) {
                 d["layers"].push_back(layer);
               }
             })));
    add("model file", "native: head_dim -5 (was reported as v_head_dim)", Analyze({"m.json"}), 1,
        "slmroof: error: m.json: field 'layers[0].attention.head_dim' must be an integer in [1, 4096], got -5\n", Native("/layers/0/attention/head_dim", -5));
    add("model file", "native: num_heads 0 (was reported without its path)", Analyze({"m.json"}), 1,
        "slmroof: error: m.json: field 'layers[0].attention.num_heads' must be an integer in [1, 4096], got 0\n", Native("/layers/0/attention/num_heads", 0));
    add("model file", "native: num_experts -64", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].ffn.num_experts' must be an integer in [0, 4096], got -64\n",
        Native("/layers/0/ffn/num_experts", -64));
    add("model file", "native: experts_per_token above num_experts", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].ffn.experts_per_token' must be an integer in [1, 4], got 5\n",
        File("m.json", Edited(kNative, [](json& d) {
               json& f = d["layers"][0]["ffn"];
               f["num_experts"] = 4;
               f["experts_per_token"] = 5;
               f["expert_intermediate_size"] = 32;
             })));
    add("model file", "native: rope_dim above head_dim", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].attention.rope_dim' must be an integer in [0, 16], got 17\n",
        Native("/layers/0/attention/rope_dim", 17));
    add("model file", "native: num_kv_heads not dividing num_heads", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].attention.num_kv_heads' (3) must divide num_heads (4)\n",
        Native("/layers/0/attention/num_kv_heads", 3));
    add("model file", "native: norms_per_layer 3", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].norms_per_layer' must be 1, 2 or 4\n",
        Native("/layers/0/norms_per_layer", 3));
    add("model file", "native: unknown attention type", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'layers[0].attention.type' must be \"standard\" or \"mla\", got 'sparse'\n",
        Native("/layers/0/attention/type", "sparse"));
    add("model file", "native: format version 2", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'slmroof_model' is 2, but this slmroof reads version 1\n",
        Native("/slmroof_model", 2));

    // ---- Paths that are not readable files ----------------------------------------------------
    add("path", "no such file", Analyze({"missing.json"}), 1, "slmroof: error: cannot open 'missing.json': No such file or directory\n");
    add("path", "a directory", Analyze({"d/"}), 1, "slmroof: error: cannot read 'd/': it is a directory\n",
        [](const std::string& dir) { mkdir((dir + "/d").c_str(), 0755); });
    add("path", "a FIFO (would block forever if opened)", Analyze({"./f.json"}), 1, "slmroof: error: cannot read './f.json': it is a FIFO\n",
        [](const std::string& dir) { mkfifo((dir + "/f.json").c_str(), 0644); });
    add("path", "a dangling symbolic link", Analyze({"link.json"}), 1, "slmroof: error: cannot open 'link.json': No such file or directory\n",
        [](const std::string& dir) { symlink("nowhere.json", (dir + "/link.json").c_str()); });
    add("path", "a device", Analyze({"/dev/null"}), 1, "slmroof: error: cannot read '/dev/null': it is a device\n");
    add("path", "a path through a file", Analyze({"m.json/x.json"}), 1, "slmroof: error: cannot open 'm.json/x.json': Not a directory\n", File("m.json", "{}"));
    add("path", "file name with control characters", Analyze({"bad\n\x1b[2Jname.json"}), 1, "slmroof: error: cannot open 'bad\\n\\x1B[2Jname.json': No such file or directory\n");
    add("path", "unknown preset with a close name", Analyze({"qwen2.5-1.5"}), 1, "slmroof: error: unknown model 'qwen2.5-1.5', did you mean 'qwen2.5-1.5b'? (see 'slmroof list models')\n");
    add("path", "unknown hardware preset", Analyze({"--hw", "jetson-nano"}), 1, "slmroof: error: unknown hardware 'jetson-nano', did you mean 'jetson-orin-nano'? (see 'slmroof list hardware')\n");
    add("path", "unknown engine", Analyze({"--engine", "llama.cp"}), 1, "slmroof: error: unknown engine 'llama.cp', did you mean 'llama.cpp'? (engines: ideal, llama.cpp, mlx, vllm)\n");
    add("path", "engine given as a directory", Analyze({"--engine", "d/"}), 1, "slmroof: error: cannot read 'd/': it is a directory\n",
        [](const std::string& dir) { mkdir((dir + "/d").c_str(), 0755); });

    // ---- Device files ------------------------------------------------------------------------
    add("device file", "bandwidth 1e-300 (was 'inf s')", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'memory.bandwidth_bytes_per_s.theoretical' must be a number in [1, 1e+18], got 1e-300\n",
        Device("/memory/bandwidth_bytes_per_s/theoretical", 1e-300));
    add("device file", "bandwidth 1e308", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'memory.bandwidth_bytes_per_s.theoretical' must be a number in [1, 1e+18], got 1e+308\n",
        Device("/memory/bandwidth_bytes_per_s/theoretical", 1e308));
    add("device file", "measured bandwidth 0", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'memory.bandwidth_bytes_per_s.measured' must be a number in [1, 1e+18], got 0\n",
        Device("/memory/bandwidth_bytes_per_s/measured", 0));
    add("device file", "peak 1e-300", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'compute_units[0].peak_flops_per_s.fp32.theoretical' must be a number in [0.001, 1e+21], got 1e-300\n",
        Device("/compute_units/0/peak_flops_per_s/fp32/theoretical", 1e-300));
    add("device file", "peak 1e308", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'compute_units[0].peak_flops_per_s.fp32.theoretical' must be a number in [0.001, 1e+21], got 1e+308\n",
        Device("/compute_units/0/peak_flops_per_s/fp32/theoretical", 1e308));
    add("device file", "capacity 0", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'memory.capacity_bytes' must be a number in [1, 1e+18], got 0\n",
        Device("/memory/capacity_bytes", 0));
    add("device file", "power 1e300 W", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'power.watts' must be a number in [0.001, 1e+06], got 1e+300\n",
        Device("/power/watts", 1e300));
    add("device file", "threads 0", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'compute_units[0].threads.value' must be an integer in [1, 4096], got 0\n",
        Device("/compute_units/0/threads", json{{"value", 0}, {"source", "x"}}));
    add("device file", "name nested 100,000 deep (was SIGSEGV)", Analyze({"--hw", "hw.json"}), 1,
        "slmroof: error: hw.json: line 58: arrays and objects nest more than 64 deep\n", File("hw.json", Edited(kDevice, [](json& d) { d["name"] = "@RAW@"; }, nested)));
    add("device file", "name with a control character", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'name' holds a control character: 'pi\\x0D5'\n",
        Device("/name", "pi\r5"));
    add("device file", "precision key of 1 MB", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'compute_units[0].peak_flops_per_s.qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq... (1048610 bytes in all)' is not a precision (known: fp32, fp16, bf16, int8, int4)\n",
        Device("/compute_units/0/peak_flops_per_s/" + std::string(1 << 20, 'q'),
               json{{"theoretical", 1}, {"source", "x"}}));
    add("device file", "no compute units", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'compute_units' must list at least one compute unit\n",
        Device("/compute_units", json::array()));
    add("device file", "usable_bytes above the capacity", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'memory.usable_bytes.value' 1e+17 is more than the capacity 8589934592\n",
        Device("/memory/usable_bytes", json{{"value", 1e17}, {"source", "x"}}));
    add("device file", "unknown power kind", Analyze({"--hw", "hw.json"}), 1, "slmroof: error: hw.json: field 'power.kind' holds a control character: 'peak\\tish'\n",
        Device("/power/kind", "peak\tish"));

    // ---- Engine and calibration files -------------------------------------------------------
    add("engine file", "n_ubatch -1", Analyze({"--engine", "e.json"}), 1, "slmroof: error: e.json: field 'backends.cpu.n_ubatch' must be an integer in [0, 16777216], got -1\n",
        File("e.json", Edited("engines/llama.cpp.json", [](json& d) {
               d["backends"]["cpu"]["n_ubatch"] = -1;
             })));
    add("calibration file", "bandwidth_fraction 2", Analyze({"--calibration", "c.json"}), 1, "slmroof: error: c.json: field 'entries[0].bandwidth_fraction' must be a number in [0.001, 1], got 2\n",
        File("c.json", R"({"slmroof_calibration": 1, "entries": [{"engine": "llama.cpp",
          "backend": "cpu", "bandwidth_fraction": 2, "compute_fraction": 0.5,
          "overhead_per_pass_s": 0, "overhead_per_layer_s": 0}]})"));
    add("calibration file", "not JSON", Analyze({"--calibration", "c.json"}), 1, "slmroof: error: c.json: malformed JSON: parse error at line 1, column 2: syntax error while parsing value - invalid literal; last read: 'fr'\n",
        File("c.json", "fraction=0.5\n"));

    // ---- Options -----------------------------------------------------------------------------
    add("option", "empty model name", Analyze({""}), 2, "slmroof: error: argument 2 is empty\n");
    add("option", "empty --hw", Analyze({"--hw", ""}), 2, "slmroof: error: --hw: the value is empty\n");
    add("option", "empty --bandwidth (was ignored)", Analyze({"--bandwidth", ""}), 2, "slmroof: error: --bandwidth: the value is empty\n");
    add("option", "empty --peak (was ignored)", Analyze({"--peak", ""}), 2, "slmroof: error: --peak: the value is empty\n");
    add("option", "empty --measured-tps (was ignored)", Analyze({"--measured-tps", ""}), 2, "slmroof: error: --measured-tps: the value is empty\n");
    add("option", "empty --hw= form", Analyze({"--hw="}), 2, "slmroof: error: --hw: 1 required TEXT missing\nRun 'slmroof analyze --help' for usage.\n");
    add("option", "--bandwidth 1e-300", Analyze({"--bandwidth", "1e-300"}), 2, "slmroof: error: --bandwidth: '1e-300' is outside [1, 1e+18] bytes/s\n");
    add("option", "--bandwidth not a quantity", Analyze({"--bandwidth", "fast"}), 2, "slmroof: error: --bandwidth: cannot read 'fast' as a quantity (example: 120GB/s)\n");
    add("option", "--peak with an unknown precision", Analyze({"--peak", "fp99=3T"}), 2, "slmroof: error: --peak: unknown precision 'fp99' (known: fp32, fp16, bf16, int8, int4)\n");
    add("option", "--peak 1e400", Analyze({"--peak", "1e400"}), 2, "slmroof: error: --peak: cannot read '1e400' as a quantity (example: 3.5TFLOPS)\n");
    add("option", "--seq 0", Analyze({"--seq", "0"}), 2, "slmroof: error: --seq: '0' is outside [1, 1073741824]\n");
    add("option", "--seq 2^64 - 1", Analyze({"--seq", "18446744073709551615"}), 2, "slmroof: error: --seq: '18446744073709551615' is not a token count (examples: 4096, 4k = 4096, 1M)\n");
    add("option", "--batch -1", Analyze({"--batch", "-1"}), 2, "slmroof: error: --batch: Value -1 not in range 1 to 1048576\nRun 'slmroof analyze --help' for usage.\n");
    add("option", "--ctx 0", Analyze({"--ctx", "0"}), 2, "slmroof: error: --ctx: '0' is outside [1, 1073741824]\n");
    add("option", "--weights unknown type", Analyze({"--weights", "Q9_K"}), 2, "slmroof: error: --weights: unknown weight type 'Q9_K', did you mean 'Q6_K'? (a llama.cpp file type, a storage type or pure:TYPE: see 'slmroof list weights')\nRun 'slmroof analyze --help' for usage.\n");
    add("option", "--format unknown", Analyze({"--format", "xml"}), 2, "slmroof: error: --format: xml not in {table,json,csv}\nRun 'slmroof analyze --help' for usage.\n");
    add("option", "--plot-format without --plot", Analyze({"--plot-format", "svg"}), 2, "slmroof: error: --plot-format needs --plot FILE\n");
    add("option", "--unit the device lacks", Analyze({"--unit", "npu"}), 1, "slmroof: error: hardware 'jetson-orin-nano-super' has no compute unit 'npu' (units: gpu, gpu-tensor, cpu)\n");
    add("option", "--measured-tps of 10 KB",
        Analyze({"--phase", "decode", "--measured-tps", std::string(10000, '9') + "x"}),
        2, "slmroof: error: --measured-tps: cannot read '9999999999999999999999999999999999999999'... (10001 bytes) as a quantity (example: 3.5TFLOPS)\n");
    add("option", "unknown subcommand", {"analyse"}, 2, "slmroof: error: unknown subcommand 'analyse', did you mean 'analyze'? (subcommands: analyze, compare, sweep, validate, calibrate, list, inspect, quant-plan, completion, help)\nRun 'slmroof help' for usage.\n");
    add("option", "sweep --seq range of a billion points", {"sweep", "--seq", "1:1000000000"}, 2, "slmroof: error: the grid has 2000000000 rows, more than the safety limit of 10000000; narrow it or pass --force\n");
    add("option", "sweep --seq beyond the bound", {"sweep", "--seq", "1:2000000000:x2"}, 2, "slmroof: error: --seq: 2000000000 in '1:2000000000:x2' is outside [1, 1073741824]\n");
    add("option", "sweep --layers 5000", {"sweep", "--layers", "5000"}, 2, "slmroof: error: --layers: 5000 in '5000' is outside [1, 4096]\n");
    add("option", "compare grid wrapping 2^64 (was unbounded)",
        {"compare", "qwen2.5-0.5b", "qwen2.5-1.5b", "--seq", "1:1073741824", "--batch", "1:1048576"},
        2, "slmroof: error: compare: 1125899906842624 points (devices x --seq x --batch) is more than 10000; narrow --seq or --batch\n");
    add("option", "compare --fail-if garbage", {"compare", "qwen2.5-0.5b", "qwen2.5-1.5b", "--fail-if", "decode_s >> 5%"},
        2, "slmroof: error: --fail-if 'decode_s >> 5%': unknown metric 'decode_s', did you mean 'decode_tps'? (known: tpot, ttft, decode_tps, prefill_tps, memory, decode_oi, prefill_oi, decode_phi, prefill_phi, decode_phi_log, prefill_phi_log)\n");
    add("option", "compare MODEL@key=value with an unknown key",
        {"compare", "qwen2.5-0.5b@color=red", "qwen2.5-1.5b"}, 2, "slmroof: error: base 'qwen2.5-0.5b@color=red': unknown key 'color' (keys: weights, plan, act, kv, state, prune, sparsity, fusion, mla)\n");
    add("option", "compare MODEL@weights=unknown", {"compare", "qwen2.5-0.5b@weights=q9", "qwen2.5-1.5b"},
        2, "slmroof: error: base 'qwen2.5-0.5b@weights=q9': unknown weight type 'q9', did you mean 'F32'? (a llama.cpp file type, a storage type or pure:TYPE: see 'slmroof list weights')\n");
    add("option", "validate --max-error garbage", {"validate", "x.csv", "--max-error", "decode=lots"}, 2,
        "slmroof: error: --max-error: 'decode=lots' needs a percentage, e.g. decode=20%\n", File("x.csv", ""));

    // ---- Measurement files -------------------------------------------------------------------
    add("measurement file", "unterminated quote", {"validate", "x.csv"}, 1, "slmroof: error: x.csv:2: unterminated quoted field\n",
        File("x.csv", "id,model\n\"a,b\n"));
    add("measurement file", "missing columns", {"validate", "x.csv"}, 1, "slmroof: error: x.csv:1: missing column 'device'\n", File("x.csv", "id,model\n1,2\n"));

    // ---- Output ------------------------------------------------------------------------------
    add("output", "-o into a missing directory", Analyze({"-o", "no/such/dir/out.json"}), 1, "slmroof: error: -o: cannot write 'no/such/dir/out.json': No such file or directory\n");
    add("output", "-o onto /dev/full (disk full)", Analyze({"-o", "/dev/full"}), 1, "slmroof: error: -o: cannot write '/dev/full': No space left on device\n");
    add("output", "--plot into a missing directory with -o (was: -o written, -o blamed)",
        Analyze({"-o", "out.json", "--plot", "no/dir/x.svg"}), 1, "slmroof: error: --plot: cannot write 'no/dir/x.svg': No such file or directory\n");
    add("output", "--plot PNG into a missing directory",
        Analyze({"--plot", "no/dir/x.png"}), 1, "slmroof: error: --plot: cannot write 'no/dir/x.png': No such file or directory\n");
    add("output", "--plot over a directory", Analyze({"--plot", "d", "--plot-format", "svg"}), 1, "slmroof: error: --plot: cannot write 'd': Is a directory\n",
        [](const std::string& dir) { mkdir((dir + "/d").c_str(), 0755); });
    {
      Case* c = add("output", "stdout on a full disk", Analyze({}), 1, "slmroof: error: cannot write to stdout: No space left on device\n");
      c->mode = Mode::kStdoutFull;
    }
    {
      Case* c = add("output", "stdout pipe closed by its reader (was SIGPIPE, exit 141)",
                    Analyze({"--format", "json"}), 1, "slmroof: error: cannot write to stdout: Broken pipe\n");
      c->mode = Mode::kStdoutClosed;
    }
    {
      Case* c = add("output", "stdout pipe closed during a sweep", {"sweep", "--seq", "1:20000"}, 1,
                    "slmroof: error: cannot write the sweep's rows: Broken pipe\n");
      c->mode = Mode::kStdoutClosed;
    }
    {
      Case* c = add("output", "file-size limit during -o (was SIGXFSZ, temporary left)",
                    Analyze({"-o", "out.json", "--format", "json"}), 1, "slmroof: error: -o: cannot write 'out.json': File too large\n");
      c->mode = Mode::kFileSizeLimit;
    }
    {
      Case* c = add("output", "file-size limit during --plot",
                    Analyze({"--plot", "x.svg"}), 1, "slmroof: error: --plot: cannot write 'x.svg': File too large\n");
      c->mode = Mode::kFileSizeLimit;
    }

    // ---- Signals -----------------------------------------------------------------------------
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      Case* c = add("signal", strsignal(sig), {"sweep", "--seq", "1:3000000", "--force", "-o", "out.csv"},
                    sig, "");
      c->mode = Mode::kSignalOnTempFile;
      c->signal = sig;
    }
    // ---- Readers of the architectures of issue 11 ------------------------------------------------
    add("model file", "mamba_ssm: misspelt ssm_cfg key", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'ssm_cfg.d_sate' is not a field slmroof reads for this mixer (it would change the cost or is not a mamba_ssm argument)\n",
        File("m.json", R"({"d_model": 64, "n_layer": 2, "vocab_size": 1000, "ssm_cfg": {"layer": "Mamba2", "d_sate": 16}})"));
    add("model file", "Python Infinity where a number goes", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'hidden_size' must be an integer in [1, 131072], got string 'Infinity'\n",
        File("m.json", R"({"model_type": "llama", "vocab_size": 1000, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128, "hidden_size": Infinity})"));
    add("model file", "gemma3n: intermediate_size list of the wrong length", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'intermediate_size' has 2 entries for 3 layers\n",
        File("m.json", R"({"model_type": "gemma3n_text", "vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 3, "intermediate_size": [32, 32], "num_kv_shared_layers": 0})"));
    add("model file", "zamba2: adapters on grouped attention", Analyze({"m.json"}), 1, "slmroof: error: m.json: field 'num_key_value_heads' must equal num_attention_heads when the shared attention has adapters (their outputs are 2·hidden_size wide)\n",
        File("m.json", R"({"model_type": "zamba2", "vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 2, "layers_block_type": ["mamba", "hybrid"], "num_attention_heads": 4, "num_key_value_heads": 2, "use_shared_attention_adapter": true})"));
    // ---- Plan and score files (issue 12) ----------------------------------------------------------
    add("plan file", "a role no tensor of the model has", Analyze({"qwen2.5-0.5b", "--plan", "p.json"}), 1, "slmroof: error: p.json: rules[0]: role 'atn_v' is no kind of tensor qwen2.5-0.5b has (did you mean 'attn_v'?)\n",
        File("p.json", R"({"rules": [{"role": "atn_v", "type": "q8_0"}]})"));
    add("plan file", "truncated JSON", Analyze({"qwen2.5-0.5b", "--plan", "p.json"}), 1, "slmroof: error: p.json: malformed JSON: parse error at line 1, column 12: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal\n",
        File("p.json", R"({"rules": [)"));
    add("plan file", "sweep with a plan that does not fit: no row printed", {"sweep", "qwen2.5-0.5b", "--seq", "1:4", "--plan", "p.json"}, 1, "slmroof: error: p.json: rules[0]: selects no matrix of qwen2.5-0.5b (24 layers)\n",
        File("p.json", R"({"rules": [{"role": "attn_v", "layers": "30-40", "type": "q8_0"}]})"));
    add("score file", "a CSV row short of a field", {"quant-plan", "qwen2.5-0.5b", "--scores", "s.csv"}, 1, "slmroof: error: s.csv:2: 2 fields, the header has 3\n",
        File("s.csv", "tensor,type,score\nblk.0.attn_v.weight,q4_0\n"));
    add("score file", "a kl-ssm-quant module without the metric", {"quant-plan", "qwen2.5-0.5b", "--kl-probe", "q4_0=k.json"}, 1, "slmroof: error: k.json: field 'model.layers.0.mlp.up_proj' has no kl_student_to_teacher (its metrics: 'sqnr_db')\n",
        File("k.json", R"({"model.layers.0.mlp.up_proj": {"sqnr_db": 3}})"));
    add("option", "quant-plan --max-bytes without a unit", {"quant-plan", "qwen2.5-0.5b", "--scores", "s.csv", "--max-bytes", "300"}, 2, "slmroof: error: --max-bytes '300': expected a positive number and a unit (MB, B, kB, KB, GB, TB, KiB, MiB, GiB, TiB)\n");
    add("option", "quant-plan without scores", {"quant-plan", "qwen2.5-0.5b"}, 2, "slmroof: error: quant-plan: give scores with --scores FILE or --kl-probe TYPE=FILE\n");
    return v;
  }();
  return kCases;
}

}  // namespace slmroof::robustness
