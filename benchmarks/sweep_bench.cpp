// Speed of slmroof, measured (docs/performance.md): sweep throughput in process, the wall time of
// one `slmroof analyze` process, and the peak memory of a 10-million-row sweep.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "slmroof/hardware.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "slmroof/presets.hpp"
#include "slmroof/sweep.hpp"
#include "slmroof/sweep_writer.hpp"

namespace slmroof {
namespace {

// The grid of docs/performance.md: the first 10 model presets × the first 20 devices ×
// 64 sequence lengths × 4 batch sizes × 2 phases = 102,400 rows.
SweepSpec Grid() {
  SweepSpec spec;
  const std::vector<std::string> models = PresetNames(EmbeddedModelPresets());
  const std::vector<std::string> devices = PresetNames(EmbeddedHardwarePresets());
  for (size_t i = 0; i < 10; ++i) {
    spec.models.push_back(LoadModel(models.at(i)));
  }
  for (size_t i = 0; i < 20; ++i) {
    std::vector<std::string> fallbacks;
    spec.roofs.push_back(ResolveRoof(LoadHardware(devices.at(i)), RoofKind::kTheoretical, "",
                                     &fallbacks));
  }
  spec.weights = {ParseWeightSetting("fp16")};
  spec.kv = {DTypeByName("fp16")};
  spec.fusion = {Fusion::kNone};
  spec.seq_len = ParseIntAxis("64:4096:+64", "--seq", 1, 1 << 30);
  spec.batch = ParseIntAxis("1,2,4,8", "--batch", 1, 1 << 20);
  return spec;
}

class CountingSink : public SweepSink {
 public:
  void Row(const SweepRow& row) override {
    rows_ += 1;
    benchmark::DoNotOptimize(row.totals.time_s);
  }
  double rows_ = 0;
};

void Report(benchmark::State& state, double rows) {
  state.counters["rows_per_s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["points_per_s"] = benchmark::Counter(rows / 2, benchmark::Counter::kIsRate);
}

// The engine alone: every row computed, none formatted.
void BM_SweepEngineOnly(benchmark::State& state) {
  const SweepSpec spec = Grid();
  double rows = 0;
  for (auto _ : state) {
    CountingSink sink;
    RunSweep(spec, sink);
    rows += sink.rows_;
  }
  Report(state, rows);
}
BENCHMARK(BM_SweepEngineOnly)->Unit(benchmark::kMillisecond);

// Rows formatted as CSV or JSON Lines and written to /dev/null, as `slmroof sweep` does.
void BM_SweepToDevNull(benchmark::State& state) {
  const SweepSpec spec = Grid();
  const SweepFormat format = state.range(0) == 0 ? SweepFormat::kCsv : SweepFormat::kJsonl;
  state.SetLabel(state.range(0) == 0 ? "csv" : "jsonl");
  std::FILE* null = std::fopen("/dev/null", "wb");
  double rows = 0;
  for (auto _ : state) {
    auto writer = MakeSweepWriter(format, false, null);
    RunSweep(spec, *writer);
    writer->Finish();
    rows += SweepRowCount(spec);
  }
  std::fclose(null);
  Report(state, rows);
}
BENCHMARK(BM_SweepToDevNull)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Runs the slmroof binary with stdout to /dev/null; returns the child's peak RSS in KiB.
long RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(SLMROOF_BINARY));
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    execv(SLMROOF_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return -1;
  }
  return usage.ru_maxrss;
}

// Start to exit of one `slmroof analyze` on a preset (wall time per process).
void BM_AnalyzeProcess(benchmark::State& state) {
  for (auto _ : state) {
    if (RunProcess({"analyze", "qwen2.5-1.5b", "--hw", "jetson-orin-nano-super"}) < 0) {
      state.SkipWithError("slmroof analyze failed");
      break;
    }
  }
}
BENCHMARK(BM_AnalyzeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

// Peak memory of a sweep of `rows` rows (one model and device, seq 1..rows/2, both phases):
// flat in the number of rows because rows stream out in blocks.
void BM_SweepPeakMemory(benchmark::State& state) {
  const int64_t points = state.range(0) / 2;
  long rss_kib = 0;
  for (auto _ : state) {
    rss_kib = RunProcess({"sweep", "qwen2.5-1.5b", "--hw", "jetson-orin-nano-super", "--seq",
                          "1:" + std::to_string(points), "--format", "csv", "--force"});
    if (rss_kib < 0) {
      state.SkipWithError("slmroof sweep failed");
      break;
    }
  }
  state.counters["rows"] = static_cast<double>(2 * points);
  state.counters["peak_rss_MiB"] = static_cast<double>(rss_kib) / 1024;
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(2 * points), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SweepPeakMemory)
    ->Arg(100000)
    ->Arg(1000000)
    ->Arg(10000000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace slmroof

BENCHMARK_MAIN();
