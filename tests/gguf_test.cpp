// The GGUF reader (include/slmroof/io/gguf.hpp) on files built in the test: every field of a
// mixed-type file, and each kind of damage as an error naming the byte offset.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "gguf_writer.hpp"
#include "test_util.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/gguf.hpp"

// AddressSanitizer maps terabytes of shadow memory: under it an address-space limit kills the
// child before the reader runs. GCC defines __SANITIZE_ADDRESS__, clang has the feature test.
#if defined(__SANITIZE_ADDRESS__)
#define SLMROOF_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLMROOF_TEST_ASAN 1
#endif
#endif
#ifndef SLMROOF_TEST_ASAN
#define SLMROOF_TEST_ASAN 0
#endif

namespace slmroof {
namespace {

using testing::GgufWriter;

constexpr uint32_t kF32 = 0, kF16 = 1, kQ8_0 = 8, kQ4K = 12, kQ6K = 14;

std::string Err(const std::string& bytes) {
  try {
    ParseGguf(bytes, "t.gguf");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

// A llama-shaped file of four tensors of four types: q4_K and q6_K (blocks of 256), q8_0 (32)
// and f32 norms.
GgufWriter Mixed() {
  GgufWriter w;
  w.Str("general.architecture", "llama");
  w.U32("general.file_type", 15);
  w.U32("llama.block_count", 1);
  w.ArrU32("llama.feed_forward_length", {512});
  w.ArrStr("tokenizer.ggml.tokens", {"a", "bc", "def"});
  w.F32("llama.rope.freq_base", 10000.0f);
  w.Bool("general.flag", true);
  w.Add("token_embd.weight", {256, 3}, kQ6K, 3 * 210);
  w.Add("blk.0.attn_q.weight", {256, 256}, kQ4K, 256 * 144);
  w.Add("blk.0.ffn_down.weight", {512, 256}, kQ8_0, 256 * 16 * 34);
  w.Add("output_norm.weight", {256}, kF32, 256 * 4);
  return w;
}

TEST(Gguf, ReadsEveryFieldOfAMixedFile) {
  const std::string bytes = Mixed().Build();
  const GgufFile f = ParseGguf(bytes, "t.gguf");
  EXPECT_EQ(f.version, 3U);
  EXPECT_EQ(f.Architecture(), "llama");
  ASSERT_EQ(f.kv.size(), 7U);
  EXPECT_EQ(f.Find("general.file_type")->value, 15);
  EXPECT_EQ(f.Find("llama.feed_forward_length")->value, nlohmann::json::array({512}));
  const GgufKv* tokens = f.Find("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens->count, 3U);          // string arrays are counted, not kept
  EXPECT_TRUE(tokens->value.is_null());
  EXPECT_FLOAT_EQ(f.Find("llama.rope.freq_base")->value.get<float>(), 10000.0f);
  EXPECT_EQ(f.Find("general.flag")->value, true);
  ASSERT_EQ(f.tensors.size(), 4U);
  EXPECT_EQ(f.tensors[1].name, "blk.0.attn_q.weight");
  EXPECT_EQ(f.tensors[1].ne, (std::vector<int64_t>{256, 256}));
  EXPECT_STREQ(f.tensors[1].type->name, "q4_K");
  EXPECT_STREQ(f.tensors[1].type->dtype, "q4_k");
  // Sizes by type and shape: (ne0 / block) · block bytes · the other dimensions.
  EXPECT_EQ(f.tensors[0].bytes, 630U);
  EXPECT_EQ(f.tensors[1].bytes, 36864U);
  EXPECT_EQ(f.tensors[2].bytes, 139264U);
  EXPECT_EQ(f.tensors[3].bytes, 1024U);
  // Offsets pack at 32 bytes: 630 → 640.
  EXPECT_EQ(f.tensors[1].offset, 640U);
  EXPECT_EQ(f.data_start % 32, 0U);
  EXPECT_EQ(f.file_size, bytes.size());
}

// Offsets of the damaged fields in a file with no metadata and one tensor "t" (an f32 vector of
// 8): header 24 bytes, then the info: name length 8, "t" 1, n_dims 4, ne 8, type 4, offset 8.
GgufWriter One(const std::vector<uint64_t>& ne = {8}, uint32_t type = kF32, uint64_t bytes = 32) {
  GgufWriter w;
  w.Add("t", ne, type, bytes);
  return w;
}

TEST(Gguf, EachDamageIsAnErrorAtItsOffset) {
  EXPECT_EQ(Err("GGUF"), "t.gguf: byte 4: the version needs 4 bytes, but the file ends 0 bytes later");
  EXPECT_EQ(Err("GGML" + std::string(20, '\0')),
            "t.gguf: byte 0: not a GGUF file: it does not start with the magic 'GGUF'");
  EXPECT_EQ(Err(One().Build(true, 1)), "t.gguf: byte 4: version 1 is not 2 or 3, the versions ggml reads");
  EXPECT_EQ(Err(One().Build(true, 0x03000000)),
            "t.gguf: byte 4: version 0x3000000 reads as a byte-swapped (big-endian) file, which "
            "slmroof does not read");
  // Counts the file cannot hold, refused before anything is allocated.
  EXPECT_EQ(Err(One().Build(true, 3, 32, uint64_t{1} << 60)),
            "t.gguf: byte 8: the tensor count (1152921504606846976) is more than the 72 bytes "
            "after the header can hold (24 bytes each at least)");
  EXPECT_EQ(Err(One().Build(true, 3, 32, 0, uint64_t{1} << 60)),
            "t.gguf: byte 16: the metadata count (1152921504606846976) is more than the 72 bytes "
            "after the header can hold (13 bytes each at least)");
  // Truncated inside the tensor table, and inside the data.
  const std::string whole = One().Build();
  EXPECT_EQ(Err(whole.substr(0, 48)),
            "t.gguf: byte 45: a tensor type needs 4 bytes, but the file ends 3 bytes later");
  EXPECT_EQ(Err(One().Build(false)),
            "t.gguf: byte 24: the tensor data end at byte 96, past the end of the file (57 "
            "bytes): the file is truncated");
  // Type, shape and size.
  EXPECT_EQ(Err(One({8}, 4).Build()), "t.gguf: byte 45: tensor 't' has type 4, which ggml does not define");
  EXPECT_EQ(Err(One({8}, 99).Build()), "t.gguf: byte 45: tensor 't' has type 99, which ggml does not define");
  EXPECT_EQ(Err(One({100}, kQ8_0, 34).Build()),
            "t.gguf: byte 45: tensor 't' has rows of 100 elements, not a multiple of q8_0's block of 32");
  EXPECT_EQ(Err(One({uint64_t{1} << 62, 4}, kF32, 0).Build()),
            "t.gguf: byte 33: the dimensions of tensor 't' overflow 64 bits");
  EXPECT_EQ(Err(One({1, 1, 1, 1, 1}).Build()), "t.gguf: byte 33: tensor 't' has 5 dimensions, not 1 to 4");
  // The writer's offsets follow the bytes it is told; a table whose next offset disagrees with
  // a tensor's size by type and shape is refused.
  GgufWriter two = One({8}, kF32, 64);
  two.Add("u", {8}, kF32, 32);
  EXPECT_EQ(Err(two.Build()),
            "t.gguf: byte 57: tensor 'u' starts at data offset 64, but the tensors before it end "
            "at 32: its size by type and shape (32 bytes) or theirs disagrees with the table");
  GgufWriter dup = One();
  dup.Add("t", {8}, kF32, 32);
  EXPECT_EQ(Err(dup.Build()), "t.gguf: byte 57: the tensor name 't' appears twice");
  GgufWriter long_name;
  long_name.Add(std::string(64, 'n'), {8}, kF32, 32);
  EXPECT_EQ(Err(long_name.Build()), "t.gguf: byte 24: a tensor name is longer than 63 bytes (GGML_MAX_NAME)");
}

TEST(Gguf, MetadataDamage) {
  GgufWriter dup;
  dup.U32("a", 1);
  dup.U32("a", 2);
  // Header 24; "a" pair: 8 + 1 + 4 + 4 = 17.
  EXPECT_EQ(Err(dup.Build()), "t.gguf: byte 41: the metadata key 'a' appears twice");
  GgufWriter bad_type;
  std::string raw;
  GgufWriter::String(&raw, "k");
  GgufWriter::Put(&raw, uint32_t{13});
  bad_type.RawKv(raw, 1);
  EXPECT_EQ(Err(bad_type.Build()),
            "t.gguf: byte 33: the value of 'k' has type 13, not a GGUF value type (0 to 12)");
  // A string and an array longer than the file.
  GgufWriter long_string;
  raw.clear();
  GgufWriter::String(&raw, "k");
  GgufWriter::Put(&raw, uint32_t{8});
  GgufWriter::Put(&raw, uint64_t{1} << 40);
  long_string.RawKv(raw, 1);
  EXPECT_EQ(Err(long_string.Build()),
            "t.gguf: byte 37: a string value is 1099511627776 bytes long, but the file ends 19 "
            "bytes later");
  GgufWriter huge_array;
  raw.clear();
  GgufWriter::String(&raw, "k");
  GgufWriter::Put(&raw, uint32_t{9});
  GgufWriter::Put(&raw, uint32_t{4});
  GgufWriter::Put(&raw, uint64_t{1} << 60);
  huge_array.RawKv(raw, 1);
  EXPECT_EQ(Err(huge_array.Build()),
            "t.gguf: byte 41: the array 'k' claims 1152921504606846976 elements, more than the 15 "
            "bytes left in the file can hold");
  GgufWriter nested;
  raw.clear();
  GgufWriter::String(&raw, "k");
  GgufWriter::Put(&raw, uint32_t{9});
  GgufWriter::Put(&raw, uint32_t{9});
  nested.RawKv(raw, 1);
  EXPECT_EQ(Err(nested.Build()),
            "t.gguf: byte 37: the array 'k' has element type 9, which GGUF does not allow");
  GgufWriter align;
  align.U32("general.alignment", 48);
  EXPECT_EQ(Err(align.Build()), "t.gguf: byte 24: general.alignment is 48, not a power of two");
  GgufWriter flag;
  raw.clear();
  GgufWriter::String(&raw, "b");
  GgufWriter::Put(&raw, uint32_t{7});
  raw.push_back(2);
  flag.RawKv(raw, 1);
  EXPECT_EQ(Err(flag.Build()), "t.gguf: byte 33: a bool holds 2, not 0 or 1");
}

TEST(Gguf, ClaimsOf2To60EntriesAllocateNothing) {
  // In a child limited to 256 MB of address space, metadata and an array claiming 2^60 entries
  // fail with the reader's message, not std::bad_alloc.
#if SLMROOF_TEST_ASAN
  GTEST_SKIP() << "AddressSanitizer reserves more address space than the limit";
#else
  GgufWriter w;
  std::string raw;
  GgufWriter::String(&raw, "k");
  GgufWriter::Put(&raw, uint32_t{9});
  GgufWriter::Put(&raw, uint32_t{0});
  GgufWriter::Put(&raw, uint64_t{1} << 60);
  w.RawKv(raw, 1);
  const std::string bytes = w.Build(true, 3, 32, 0, uint64_t{1} << 60);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit limit{256u << 20, 256u << 20};
    setrlimit(RLIMIT_AS, &limit);
    try {
      ParseGguf(bytes, "t.gguf");
    } catch (const InputError& e) {
      _exit(std::string(e.what()).find("more than") != std::string::npos ? 0 : 2);
    } catch (...) {
      _exit(3);
    }
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
#endif
}

}  // namespace
}  // namespace slmroof

namespace slmroof {
namespace {

TEST(Gguf, InspectPrintsTheFileAndItsBitsPerWeight) {
  const std::string path = ::testing::TempDir() + "inspect.gguf";
  {
    std::ofstream out(path, std::ios::binary);
    out << Mixed().Build();
  }
  std::string out, err;
  ASSERT_EQ(testing::RunBinary("inspect " + path, &out, &err), 0) << err;
  EXPECT_NE(out.find("  architecture  llama\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  file type     Q4_K_M (general.file_type 15)\n"), std::string::npos) << out;
  // 630 + 36,864 + 139,264 + 1,024 bytes over 768 + 65,536 + 131,072 + 256 elements.
  EXPECT_NE(out.find("bits per weight"), std::string::npos);
  ASSERT_EQ(testing::RunBinary("inspect --format json " + path, &out, &err), 0) << err;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["bytes"], 630 + 36864 + 139264 + 1024);
  EXPECT_EQ(j["elements"], 768 + 65536 + 131072 + 256);
  EXPECT_EQ(j["metadata"]["llama.feed_forward_length"], nlohmann::json::array({512}));
  EXPECT_EQ(j["groups"][2]["role"], "ffn_down.weight");
  EXPECT_EQ(j["groups"][2]["type"], "q8_0");
  EXPECT_EQ(j["groups"][2]["bits_per_weight"], 8.5);
  // Damage is exit 1 with the byte offset.
  {
    std::ofstream out2(path, std::ios::binary | std::ios::trunc);
    out2 << Mixed().Build().substr(0, 100);
  }
  EXPECT_EQ(testing::RunBinary("inspect " + path, &out, &err), 1);
  EXPECT_NE(err.find(path + ": byte "), std::string::npos) << err;
}

}  // namespace
}  // namespace slmroof

namespace slmroof {
namespace {

TEST(Gguf, ReadsTheTableOfA20GbSparseFile) {
  // 40 layers of four 4096 × 16384 f16 matrices (~21.5 GB of data) behind a few KB of header and
  // table; the data section is a hole (ftruncate), so the file costs no disk. The reader checks
  // that the data end inside the file and never reads them (docs/performance.md times it).
  GgufWriter w;
  w.Str("general.architecture", "llama");
  for (int l = 0; l < 40; ++l) {
    for (const char* role : {"ffn_gate", "ffn_up", "ffn_down", "attn_q"}) {
      w.Add(fmt::format("blk.{}.{}.weight", l, role), {4096, 16384}, kF16, 4096ULL * 16384 * 2);
    }
  }
  const std::string head = w.Build(false);
  const uint64_t data_start = (head.size() + 31) / 32 * 32;
  const std::string path = ::testing::TempDir() + "sparse-20gb.gguf";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << head;
  }
  ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(data_start + w.DataBytes())), 0);
  const GgufFile f = ReadGguf(path);
  EXPECT_EQ(f.tensors.size(), 160U);
  EXPECT_EQ(f.file_size, data_start + w.DataBytes());
  EXPECT_GT(f.file_size, 20e9);
  // One byte short and the last tensor runs past the end.
  ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(data_start + w.DataBytes() - 1)), 0);
  EXPECT_THROW(ReadGguf(path), InputError);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace slmroof

