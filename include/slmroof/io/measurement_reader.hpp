#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace slmroof {

/// One published or measured throughput (validation/README.md documents the CSV columns).
struct Measurement {
  std::string id;
  std::string model;    ///< slmroof model preset or file
  std::string device;   ///< slmroof hardware preset or file
  std::string unit;     ///< unit kind (cpu, gpu, npu) or unit name
  std::string engine;   ///< llama.cpp, mlx, vllm, ...
  std::string backend;  ///< cpu, cuda, metal, vulkan, ...
  std::string weights;  ///< a --weights setting (Q4_K_M, F16, ...)
  std::string kv;       ///< KV-cache type, empty for the default
  std::string phase;    ///< prefill or decode
  int64_t n_prompt = 0;  ///< prompt tokens processed (prefill)
  int64_t n_depth = 0;   ///< tokens already in the cache
  int64_t n_gen = 0;     ///< tokens generated (decode)
  int64_t batch = 1;
  std::optional<int64_t> threads;
  double tokens_per_s = 0;
  std::string source;
  std::string locator;
  std::string exclude;  ///< why the row is kept out of validation and fits (optional column)
  std::optional<bool> flash_attn;  ///< the runtime's flash attention, where the source says
  std::string origin;   ///< "file:line", for messages
};

/// Splits RFC 4180 CSV text into rows of fields (quoted fields may hold commas, quotes and line
/// breaks); throws InputError naming `origin` and the line of an unterminated quote.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text, const std::string& origin);

/// What a file that does not name them in slmroof's terms (llama-bench output) is measured on.
struct MeasurementDefaults {
  std::string model;   ///< --model
  std::string device;  ///< --hw
  std::string unit;    ///< --unit (default: cpu for llama-bench's CPU backend, else gpu)
};

/// Reads measurement rows: slmroof's CSV (validation/README), llama-bench's JSON, JSON Lines or
/// CSV output (`-o json|jsonl|csv`), or every slmroof CSV under a directory (sorted by path).
/// Throws InputError naming the file, line and field of a malformed value.
std::vector<Measurement> ReadMeasurements(const std::string& path,
                                          const MeasurementDefaults& defaults = {});

/// The rows of one file's text: llama-bench JSON when `origin` ends in .json, JSON Lines in
/// .jsonl, else CSV (slmroof's, or llama-bench's by its avg_ts column). `origin` names the file
/// in errors; ReadMeasurements reads a single file the same way.
std::vector<Measurement> ParseMeasurements(const std::string& text, const std::string& origin,
                                           const MeasurementDefaults& defaults = {});

/// llama.cpp's file-type name from llama-bench's model_type ("llama 1B Q4_K - Medium" ->
/// "Q4_K_M"); empty when it names none slmroof knows.
std::string FileTypeFromModelType(const std::string& model_type);

}  // namespace slmroof
