#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace slmroof {

/// An inclusive range an integer read from an input must lie in.
struct IntRange {
  int64_t min;
  int64_t max;
};

/// An inclusive range a real read from an input must lie in.
struct RealRange {
  double min;
  double max;
};

/// Every bound slmroof puts on what it reads (docs/robustness.md, "Bounds", derives them). They
/// are wide enough for any published model or device, and narrow enough that every derived size
/// (parameters, FLOPs, bytes, KV cache, times, energy) is computed without integer overflow and
/// stays finite in double: the largest product, an attention score pass of a 2^20 batch of 2^30
/// tokens over 4096 layers of 4096 heads of width 4096, is about 1e35 FLOP.
namespace limits {

// The inputs themselves, checked before they are parsed.
inline constexpr size_t kMaxJsonBytes = size_t{16} << 20;         ///< model, device, engine files
inline constexpr size_t kMaxMeasurementBytes = size_t{64} << 20;  ///< measurement files
inline constexpr int kMaxJsonDepth = 64;                          ///< nesting of arrays/objects
inline constexpr size_t kMaxStringBytes = 4096;  ///< any string field (sources, notes)
inline constexpr size_t kMaxNameBytes = 128;     ///< names: of a model, device, unit, engine, backend
inline constexpr size_t kMaxDisplayNameBytes = 256;  ///< display names (chart legends, headers)

// A model's shape (native format and HuggingFace config.json alike).
inline constexpr IntRange kVocab{1, int64_t{1} << 23};
inline constexpr IntRange kHidden{1, int64_t{1} << 17};
inline constexpr IntRange kLayers{1, 4096};  ///< decoder layers in all
inline constexpr IntRange kHeads{1, 4096};
inline constexpr IntRange kHeadDim{1, 4096};
inline constexpr IntRange kIntermediate{1, int64_t{1} << 20};
inline constexpr IntRange kExperts{0, 4096};           ///< routed experts (0: dense)
inline constexpr IntRange kSharedExperts{0, 64};
inline constexpr IntRange kExpertsPerToken{1, 4096};   ///< and at most the routed experts
inline constexpr IntRange kLoraRank{1, int64_t{1} << 16};
inline constexpr IntRange kQLoraRank{0, int64_t{1} << 16};  ///< 0: a plain query projection
inline constexpr IntRange kLayerIndex{0, 4096};        ///< first_k_dense_replace, moe_layer_freq
inline constexpr IntRange kNormsPerLayer{1, 4};
inline constexpr IntRange kWindow{0, int64_t{1} << 30};  ///< sliding_window (0: none)
inline constexpr RealRange kFraction{0, 1};            ///< partial_rotary_factor, rotary_pct

// A device (the same bounds as --bandwidth and --peak on the command line).
inline constexpr RealRange kBandwidth{1, 1e18};   ///< bytes/s
inline constexpr RealRange kPeak{1e-3, 1e21};     ///< operations/s
inline constexpr RealRange kCapacity{1, 1e18};    ///< bytes
inline constexpr RealRange kPower{1e-3, 1e6};     ///< watts
inline constexpr IntRange kThreads{1, 4096};

// A runtime (engine profiles, calibration files, device calibrations).
inline constexpr RealRange kAchievedFraction{0.001, 1};
inline constexpr RealRange kOverheadSeconds{0, 1};
inline constexpr IntRange kUbatch{0, int64_t{1} << 24};  ///< 0: one pass
inline constexpr IntRange kKvPad{0, 65536};

// A scenario (command-line options and axes).
inline constexpr IntRange kSeqLen{1, int64_t{1} << 30};
inline constexpr IntRange kBatch{1, int64_t{1} << 20};
inline constexpr IntRange kContext{1, int64_t{1} << 30};  ///< --ctx
inline constexpr IntRange kDepth{1, 4096};                ///< sweep --layers

}  // namespace limits

/// One documented bound: which input, which field, and its range (as doubles for the table).
struct DocumentedLimit {
  const char* input;
  const char* field;
  double min;
  double max;
};

/// Every bound of `limits`, in the order docs/robustness.md's table lists them.
const std::vector<DocumentedLimit>& DocumentedLimits();

}  // namespace slmroof
