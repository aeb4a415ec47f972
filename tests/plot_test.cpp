// The charts (docs/plots.md), checked by structure: well-formed XML, one element per plotted
// thing with the classes the document lists, labels that do not overlap, and the exact errors.
#include "slmroof/plot.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
// GCC 12 with -fsanitize=address reports -Wmaybe-uninitialized inside libstdc++'s regex NFA
// (regex_automaton.h; GCC bug 105616), not in this file; the warning is placed in the header's
// code, so silencing it around the include covers exactly that code. (Clang has no such warning.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <set>
#include <sstream>

#include "plot/svg.hpp"
#include "slmroof/engine.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/io/hardware_reader.hpp"
#include "slmroof/io/model_reader.hpp"
#include "test_util.hpp"

namespace slmroof {
namespace {

// --- helpers ---------------------------------------------------------------------------------

// A small XML well-formedness check: one root, tags nest and match, attributes are quoted,
// '&' only starts a known entity, no '<' in text or attribute values.
std::string XmlProblem(const std::string& x) {
  std::vector<std::string> stack;
  size_t i = 0;
  int roots = 0;
  auto entity_ok = [&](size_t at) {
    static const std::regex kEntity(R"(^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)");
    return std::regex_search(x.begin() + static_cast<long>(at),
                             x.begin() + static_cast<long>(std::min(x.size(), at + 12)), kEntity);
  };
  auto is_name = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '_';
  };
  while (i < x.size()) {
    if (x[i] == '&') {
      if (!entity_ok(i)) {
        return fmt::format("bad entity at {}", i);
      }
      ++i;
      continue;
    }
    if (x[i] != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(x[i]))) {
        return fmt::format("text outside the root at {}", i);
      }
      ++i;
      continue;
    }
    if (x.compare(i, 2, "<?") == 0) {
      const size_t e = x.find("?>", i);
      if (e == std::string::npos || i != 0) {
        return "bad processing instruction";
      }
      i = e + 2;
      continue;
    }
    if (x.compare(i, 4, "<!--") == 0) {
      const size_t e = x.find("-->", i);
      if (e == std::string::npos) {
        return "unclosed comment";
      }
      i = e + 3;
      continue;
    }
    const bool closing = x.compare(i, 2, "</") == 0;
    i += closing ? 2 : 1;
    const size_t name_start = i;
    while (i < x.size() && is_name(x[i])) {
      ++i;
    }
    const std::string name = x.substr(name_start, i - name_start);
    if (name.empty()) {
      return fmt::format("empty tag name at {}", i);
    }
    if (closing) {
      if (stack.empty() || stack.back() != name || i >= x.size() || x[i] != '>') {
        return fmt::format("mismatched </{}> at {}", name, i);
      }
      stack.pop_back();
      ++i;
      continue;
    }
    std::set<std::string> attributes;
    while (true) {
      while (i < x.size() && std::isspace(static_cast<unsigned char>(x[i]))) {
        ++i;
      }
      if (i >= x.size()) {
        return "unterminated tag " + name;
      }
      if (x[i] == '>' || x.compare(i, 2, "/>") == 0) {
        break;
      }
      const size_t a = i;
      while (i < x.size() && is_name(x[i])) {
        ++i;
      }
      const std::string attribute = x.substr(a, i - a);
      if (attribute.empty() || i + 1 >= x.size() || x[i] != '=' || x[i + 1] != '"') {
        return fmt::format("bad attribute in <{}> at {}", name, i);
      }
      if (!attributes.insert(attribute).second) {
        return fmt::format("duplicate attribute {} in <{}>", attribute, name);
      }
      i += 2;
      const size_t end = x.find('"', i);
      if (end == std::string::npos) {
        return "unterminated attribute value";
      }
      for (size_t k = i; k < end; ++k) {
        if (x[k] == '<' || (x[k] == '&' && !entity_ok(k))) {
          return fmt::format("bad character in attribute {} of <{}>", attribute, name);
        }
      }
      i = end + 1;
    }
    if (stack.empty()) {
      ++roots;
    }
    if (x[i] == '>') {
      stack.push_back(name);
      ++i;
    } else {
      i += 2;
    }
  }
  if (!stack.empty()) {
    return "unclosed <" + stack.back() + ">";
  }
  return roots == 1 ? "" : fmt::format("{} root elements", roots);
}

void ExpectWellFormed(const std::string& svg) {
  EXPECT_EQ(XmlProblem(svg), "");
  if (access("/usr/bin/xmllint", X_OK) != 0) {
    // scripts/test.sh (and so CI) installs it and sets SLMROOF_REQUIRE_RENDERER.
    EXPECT_EQ(std::getenv("SLMROOF_REQUIRE_RENDERER"), nullptr) << "xmllint is not installed";
    return;  // only the built-in check then
  }
  char name[] = "/tmp/slmroof-plot-test-XXXXXX.svg";
  const int fd = mkstemps(name, 4);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(name) << svg;
  const int status =
      std::system(fmt::format("/usr/bin/xmllint --noout {} 2>/dev/null", name).c_str());
  EXPECT_EQ(status, 0) << "xmllint rejects the SVG";
  std::remove(name);
}

// No "nan" or "inf" as a value anywhere ("Nano" in a device name is fine).
bool AllFinite(const std::string& svg) {
  static const std::regex kBad("(^|[^A-Za-z_])-?(nan|inf)([^A-Za-z_]|$)", std::regex::icase);
  return !std::regex_search(svg, kBad);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

struct TextElement {
  std::string klass;
  std::string text;
  plot::Box box;
};

std::string Unescape(std::string s) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  }
  return s;
}

std::string Attribute(const std::string& attrs, const std::string& name) {
  const std::regex re(" " + name + "=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(attrs, m, re) ? m[1].str() : "";
}

// Every unrotated <text>, with the box the layout estimate gives it.
std::vector<TextElement> Texts(const std::string& svg) {
  std::vector<TextElement> out;
  static const std::regex kText("<text([^>]*)>([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kText); it != std::sregex_iterator();
       ++it) {
    const std::string attrs = (*it)[1].str();
    if (!Attribute(attrs, "transform").empty()) {
      continue;
    }
    const std::string anchor = Attribute(attrs, "text-anchor");
    const std::string size = Attribute(attrs, "font-size");
    TextElement t;
    t.klass = Attribute(attrs, "class");
    t.text = Unescape((*it)[2].str());
    const double fs = size.empty() ? plot::kFontSize : std::stod(size);
    t.box =
        plot::TextBox(std::stod(Attribute(attrs, "x")), std::stod(Attribute(attrs, "y")), t.text,
                      anchor == "middle" ? plot::Anchor::kMiddle
                      : anchor == "end"  ? plot::Anchor::kEnd
                                         : plot::Anchor::kStart,
                      fs);
    out.push_back(t);
  }
  return out;
}

// No two texts of the chart overlap (by the layout's own width estimate), and none leaves the
// canvas.
void ExpectNoOverlaps(const std::string& svg) {
  const std::vector<TextElement> texts = Texts(svg);
  const double width = std::stod(Attribute(svg.substr(svg.find("<svg")), "width"));
  const double height = std::stod(Attribute(svg.substr(svg.find("<svg")), "height"));
  for (size_t i = 0; i < texts.size(); ++i) {
    const plot::Box& b = texts[i].box;
    EXPECT_TRUE(b.x0 >= 0 && b.x1 <= width && b.y0 >= 0 && b.y1 <= height)
        << "'" << texts[i].text << "' leaves the canvas";
    for (size_t j = i + 1; j < texts.size(); ++j) {
      EXPECT_FALSE(b.Overlaps(texts[j].box))
          << "'" << texts[i].text << "' (" << texts[i].klass << ") overlaps '" << texts[j].text
          << "' (" << texts[j].klass << ")";
    }
  }
}

std::vector<std::string> TextsOfClass(const std::string& svg, const std::string& klass) {
  std::vector<std::string> out;
  for (const TextElement& t : Texts(svg)) {
    if (t.klass == klass) {
      out.push_back(t.text);
    }
  }
  return out;
}

// The tick labels of an axis group ("axis-x" or "axis-y"), in order.
std::vector<std::string> TickLabels(const std::string& svg, const std::string& axis) {
  const size_t start = svg.find("<g class=\"" + axis + "\"");
  const size_t end = svg.find("</g>", start);
  return TextsOfClass(svg.substr(start, end - start), "tick");
}

Roof PresetRoof(const std::string& name, RoofKind kind = RoofKind::kTheoretical) {
  std::vector<std::string> fallbacks;
  return ResolveRoof(LoadHardware(name), kind, "", &fallbacks);
}

AnalysisResult DefaultAnalysis() {
  return Analyze(LoadModel("qwen2.5-1.5b"), PresetRoof("jetson-orin-nano-super"), Scenario{}, {});
}

const std::vector<std::string> kPaperDevices = {"raspberry-pi-5", "jetson-orin-nano-super",
                                                "apple-m1-pro", "rtx-3070ti-laptop", "rtx-3090"};

template <typename E, typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

// --- roofline --------------------------------------------------------------------------------

TEST(Plot, RooflineOfOneModelOnOneDevice) {
  const AnalysisResult a = DefaultAnalysis();
  const std::string svg = RooflineSvg({a}, {});
  ExpectWellFormed(svg);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\""), std::string::npos);
  EXPECT_NE(svg.find(" viewBox=\"0 0 "), std::string::npos);
  EXPECT_NE(svg.find("font-family=\"sans-serif\""), std::string::npos);
  EXPECT_TRUE(AllFinite(svg));

  size_t with_flops = 0;
  std::set<std::string> kinds;
  for (const PhaseResult& p : a.phases) {
    for (const OperatorResult& r : p.operators) {
      if (r.op.flops > 0) {
        ++with_flops;
        kinds.insert(std::string(OpKindName(r.op.kind)));
      }
    }
  }
  EXPECT_EQ(with_flops, 34u);  // 19 operators per phase, embedding and kv_write have no FLOPs
  EXPECT_EQ(Count(svg, "class=\"op-point\""), with_flops);
  EXPECT_EQ(Count(svg, "class=\"op-point\" data-kind=\"linear\" data-phase=\"decode\""), 7u);
  EXPECT_EQ(Count(svg, "class=\"aggregate\""), 2u);
  EXPECT_EQ(Count(svg, "class=\"roof\""), 1u);
  EXPECT_EQ(Count(svg, "class=\"roof-extra"), 0u);
  EXPECT_EQ(Count(svg, "class=\"ceiling\""), a.roof.peak_flops_per_s.size());
  for (const char* p : {"fp32", "fp16", "int8"}) {
    EXPECT_EQ(Count(svg, fmt::format("class=\"ceiling\" data-precision=\"{}\"", p)), 1u) << p;
  }
  EXPECT_EQ(
      TextsOfClass(svg, "ceiling-text"),
      (std::vector<std::string>{"fp32 2.09 TFLOP/s", "fp16 4.18 TFLOP/s", "int8 33.5 TOP/s"}));
  EXPECT_EQ(Count(svg, "class=\"ridge\""), 1u);
  EXPECT_EQ(TextsOfClass(svg, "ridge-label"), (std::vector<std::string>{"ridge 41 FLOP/B"}));
  EXPECT_EQ(TextsOfClass(svg, "phi-label"),
            (std::vector<std::string>{"prefill Φ-log 0.027", "decode Φ-log 2.25"}));
  EXPECT_EQ(Count(svg, "class=\"phi\""), 2u);
  // OI 0.167 .. 575 with the ridge at 41: 0.1 to 1000; 17 GFLOP/s .. 33.5 TOP/s: 10 G to 100 T.
  EXPECT_EQ(TickLabels(svg, "axis-x"), (std::vector<std::string>{"0.1", "1", "10", "100", "1000"}));
  EXPECT_EQ(TickLabels(svg, "axis-y"),
            (std::vector<std::string>{"10 G", "100 G", "1 T", "10 T", "100 T"}));
  EXPECT_EQ(TextsOfClass(svg, "axis-title"),
            (std::vector<std::string>{"operational intensity (FLOP/byte)"}));
  EXPECT_NE(svg.find(">performance (FLOP/s)</text>"), std::string::npos);
  for (const std::string& k : kinds) {
    EXPECT_EQ(Count(svg, fmt::format("class=\"legend-entry\" data-kind=\"{}\"", k)), 1u) << k;
  }
  EXPECT_EQ(Count(svg, "class=\"legend-entry\" data-kind="), kinds.size());
  EXPECT_EQ(TextsOfClass(svg, "footnote"),
            (std::vector<std::string>{"not shown: embedding, kv_write (no FLOPs)"}));
  EXPECT_EQ(TextsOfClass(svg, "title"),
            (std::vector<std::string>{"Qwen2.5-1.5B-Instruct on NVIDIA Jetson Orin Nano Super "
                                      "8GB [gpu, theoretical roof]"}));
  EXPECT_EQ(TextsOfClass(svg, "subtitle"),
            (std::vector<std::string>{"seq 1024, batch 1, weights fp16, kv fp16, fusion none"}));
  ExpectNoOverlaps(svg);
}

TEST(Plot, RooflineDrawsTheOtherRoofDashed) {
  const AnalysisResult a = DefaultAnalysis();
  RooflineOptions o;
  o.extra_roofs = {PresetRoof("jetson-orin-nano-super", RoofKind::kMeasured),
                   PresetRoof("apple-m1-pro", RoofKind::kMeasured)};  // no analysis: ignored
  const std::string svg = RooflineSvg({a}, o);
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"roof\""), 1u);
  EXPECT_EQ(Count(svg, "class=\"roof-extra roof-measured\""), 1u);
  // At the solid roof's precision (fp16): 9.56 TFLOP/s over 59.4 GB/s.
  EXPECT_EQ(TextsOfClass(svg, "ridge-label ridge-extra-label"),
            (std::vector<std::string>{"measured ridge 161 FLOP/B"}));
  EXPECT_NE(svg.find(">measured fp16 9.56 TFLOP/s</text>"), std::string::npos);
  EXPECT_NE(svg.find(">measured roof</text>"), std::string::npos);
  EXPECT_NE(svg.find(">ridge of the measured roof</text>"), std::string::npos);
  ExpectNoOverlaps(svg);
}

TEST(Plot, RooflineOfOneWorkloadOnSeveralDevices) {
  const ModelSpec m = LoadModel("qwen2.5-1.5b");
  std::vector<AnalysisResult> analyses;
  for (const std::string& d : kPaperDevices) {
    analyses.push_back(Analyze(m, PresetRoof(d), Scenario{}, {}));
  }
  const std::string svg = RooflineSvg(analyses, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"op-point\""), 0u);
  EXPECT_EQ(Count(svg, "class=\"roof\""), 5u);
  EXPECT_EQ(Count(svg, "class=\"ridge\""), 5u);
  EXPECT_EQ(Count(svg, "class=\"aggregate\""), 10u);
  EXPECT_EQ(Count(svg, "class=\"phi\""), 10u);
  EXPECT_EQ(TextsOfClass(svg, "ridge-label").size(), 5u);
  for (const std::string& d : kPaperDevices) {
    EXPECT_EQ(Count(svg, fmt::format("class=\"roof\" data-device=\"{}\"", d)), 1u) << d;
    EXPECT_EQ(Count(svg, fmt::format("class=\"legend-entry\" data-model=\"qwen2.5-1.5b\" "
                                     "data-device=\"{}\"",
                                     d)),
              1u)
        << d;
    EXPECT_EQ(Count(svg, fmt::format("class=\"aggregate\" data-phase=\"decode\" "
                                     "data-model=\"qwen2.5-1.5b\" data-device=\"{}\"",
                                     d)),
              1u)
        << d;
  }
  EXPECT_EQ(TextsOfClass(svg, "title"),
            (std::vector<std::string>{"one workload on 5 devices: Qwen2.5-1.5B-Instruct"}));
  EXPECT_EQ(TextsOfClass(svg, "legend-header")[0], "devices");
  ExpectNoOverlaps(svg);

  // With each device's measured roof as well: ten roofs, every label still clear of the others.
  RooflineOptions o;
  for (const std::string& d : kPaperDevices) {
    o.extra_roofs.push_back(PresetRoof(d, RoofKind::kMeasured));
  }
  const std::string both = RooflineSvg(analyses, o);
  ExpectWellFormed(both);
  EXPECT_EQ(Count(both, "class=\"roof\""), 5u);
  EXPECT_EQ(Count(both, "class=\"roof-extra roof-measured\""), 5u);
  EXPECT_EQ(Count(both, "class=\"ridge-extra\""), 5u);
  EXPECT_EQ(TextsOfClass(both, "ridge-label").size(), 5u);
  ExpectNoOverlaps(both);
}

TEST(Plot, RooflineOfSeveralModelsOnOneDevice) {
  const Roof roof = PresetRoof("jetson-orin-nano-super");
  std::vector<AnalysisResult> analyses;
  for (const char* m : {"qwen2.5-1.5b", "llama-3.2-1b", "smollm2-1.7b"}) {
    analyses.push_back(Analyze(LoadModel(m), roof, Scenario{}, {}));
  }
  const std::string svg = RooflineSvg(analyses, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"op-point\""), 0u);
  EXPECT_EQ(Count(svg, "class=\"roof\""), 1u);
  EXPECT_EQ(Count(svg, "class=\"ceiling\""), 3u);
  EXPECT_EQ(Count(svg, "class=\"aggregate\""), 6u);
  EXPECT_EQ(TextsOfClass(svg, "ridge-label"), (std::vector<std::string>{"ridge 41 FLOP/B"}));
  EXPECT_EQ(TextsOfClass(svg, "title"),
            (std::vector<std::string>{"3 models on NVIDIA Jetson Orin Nano Super 8GB"}));
  EXPECT_EQ(TextsOfClass(svg, "legend-header")[0], "models");
  for (const char* m : {"qwen2.5-1.5b", "llama-3.2-1b", "smollm2-1.7b"}) {
    EXPECT_EQ(
        Count(svg, fmt::format("class=\"aggregate\" data-phase=\"decode\" data-model=\"{}\"", m)),
        1u)
        << m;
  }
  EXPECT_EQ(TextsOfClass(svg, "phi-label").size(), 6u);
  ExpectNoOverlaps(svg);

  // The same model twice: the differing scenario field names each.
  Scenario q4;
  q4.weights = ParseWeightSetting("q4_k");
  const std::string two =
      RooflineSvg({analyses[0], Analyze(LoadModel("qwen2.5-1.5b"), roof, q4, {})}, {});
  EXPECT_EQ(TextsOfClass(two, "title"),
            (std::vector<std::string>{"2 analyses on NVIDIA Jetson Orin Nano Super 8GB"}));
  EXPECT_NE(two.find(">Qwen2.5-1.5B-Instruct (weights q4_k)</text>"), std::string::npos);
  EXPECT_EQ(TextsOfClass(two, "subtitle"),
            (std::vector<std::string>{"seq 1024, batch 1, kv fp16, fusion none"}));
}

TEST(Plot, CloseCeilingLabelsArePushedApart) {
  // fp32, fp16 and bf16 ceilings 5% apart: their lines are a few px apart, their labels a line
  // height; equal ceilings share one label.
  Roof roof = testing::FlatRoof(100e9, 1e12);
  roof.peak_flops_per_s = {{Precision::kFp32, 0.95e12},
                           {Precision::kFp16, 1e12},
                           {Precision::kBf16, 1.05e12},
                           {Precision::kInt8, 1e12}};
  const std::string svg =
      RooflineSvg({Analyze(LoadModel("qwen2.5-0.5b"), roof, Scenario{}, {})}, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(TextsOfClass(svg, "ceiling-text"),
            (std::vector<std::string>{"fp32 950 GFLOP/s", "fp16/int8 1.00 TFLOP/s",
                                      "bf16 1.05 TFLOP/s"}));
  EXPECT_EQ(Count(svg, "class=\"ceiling\""), 4u);
  ExpectNoOverlaps(svg);
}

TEST(Plot, RooflineSkipsWhatCannotSitOnALogAxis) {
  AnalysisResult a = DefaultAnalysis();
  a.phases[0].operators[2].oi = std::nan("");
  a.phases[1].rip.perf_flops_per_s = INFINITY;
  const std::string svg = RooflineSvg({a}, {});
  ExpectWellFormed(svg);
  EXPECT_TRUE(AllFinite(svg));
  EXPECT_EQ(Count(svg, "class=\"op-point\""), 33u);
  EXPECT_EQ(Count(svg, "class=\"aggregate\""), 1u);
  EXPECT_EQ(ErrorOf<InputError>([] { RooflineSvg({}, {}); }), "nothing to plot: no analysis");
  EXPECT_THROW(plot::Num(std::nan("")), std::logic_error);
}

TEST(Plot, RooflineOfOnePhaseWithAMeasuredThroughput) {
  Scenario s;
  s.prefill = false;
  MeasuredTps measured;
  measured.decode = 25;
  const std::string svg = RooflineSvg(
      {Analyze(LoadModel("qwen2.5-1.5b"), PresetRoof("jetson-orin-nano-super"), s, measured)}, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"aggregate\""), 1u);
  EXPECT_EQ(Count(svg, "data-phase=\"prefill\""), 0u);
  EXPECT_EQ(Count(svg, "class=\"op-point\""), 17u);
  EXPECT_EQ(TextsOfClass(svg, "footnote"),
            (std::vector<std::string>{"not shown: embedding, kv_write (no FLOPs)",
                                      "phase totals from measured throughput"}));
  EXPECT_NE(svg.find("-bound, measured)</title>"), std::string::npos);
  EXPECT_EQ(svg.find(">prefill operator</text>"), std::string::npos);
  ExpectNoOverlaps(svg);
}

TEST(Plot, TextIsEscaped) {
  RooflineOptions o;
  o.title = "a <b> & \"c\" 'd'";
  const std::string svg = RooflineSvg({DefaultAnalysis()}, o);
  ExpectWellFormed(svg);
  EXPECT_NE(svg.find(">a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</text>"), std::string::npos);
  EXPECT_EQ(plot::Escape("x<y>&\"'"), "x&lt;y&gt;&amp;&quot;&apos;");
}

TEST(Plot, LayoutHelpers) {
  EXPECT_EQ(plot::DecadeLabel(-2), "0.01");
  EXPECT_EQ(plot::DecadeLabel(0), "1");
  EXPECT_EQ(plot::DecadeLabel(3), "1000");
  EXPECT_EQ(plot::DecadeLabel(5), "1e5");
  EXPECT_EQ(plot::SiDecadeLabel(9), "1 G");
  EXPECT_EQ(plot::SiDecadeLabel(11), "100 G");
  EXPECT_EQ(plot::SiDecadeLabel(12), "1 T");
  EXPECT_EQ(plot::SiDecadeLabel(2), "100");
  EXPECT_EQ(plot::SiDecadeLabel(-3), "1 m");
  EXPECT_EQ(plot::Num(1.005), "1");  // two decimals at most, trailing zeros dropped
  EXPECT_EQ(plot::Num(-0.001), "0");
  EXPECT_EQ(plot::Num(12.5), "12.5");
  EXPECT_DOUBLE_EQ(plot::TextWidth("Φ-log"), 5 * 0.6 * 12);
  // Three labels wanting one spot: centred on it, a gap apart; the frame keeps them inside.
  EXPECT_EQ(plot::Spread({100, 100, 100}, 14, 0, 1000), (std::vector<double>{86, 100, 114}));
  EXPECT_EQ(plot::Spread({0, 5}, 14, 10, 1000), (std::vector<double>{10, 24}));
  EXPECT_EQ(plot::Spread({995, 990}, 14, 0, 1000), (std::vector<double>{999.5, 985.5}));
  EXPECT_EQ(plot::Spread({10, 50}, 14, 0, 1000), (std::vector<double>{10, 50}));
  double lo = 0.13, hi = 0.87;
  EXPECT_EQ(plot::NiceTicks(&lo, &hi, 4),
            (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
}

// --- sweep lines -----------------------------------------------------------------------------

std::vector<SweepSeriesPoint> Sweep(const std::vector<std::string>& models, const std::string& seq,
                                    const std::string& batch, bool prefill) {
  SweepSpec spec;
  for (const std::string& m : models) {
    spec.models.push_back(LoadModel(m));
  }
  spec.roofs = {PresetRoof("jetson-orin-nano-super")};
  spec.weights = {ParseWeightSetting("fp16")};
  spec.kv = {DTypeByName("fp16")};
  spec.fusion = {Fusion::kNone};
  spec.seq_len = ParseIntAxis(seq, "--seq", 1, 1 << 30);
  spec.batch = ParseIntAxis(batch, "--batch", 1, 1 << 20);
  spec.prefill = prefill;
  SweepPlotSink sink;
  RunSweep(spec, sink);
  return sink.points();
}

TEST(Plot, SweepLinesOfThreeModelsAgainstContext) {
  const auto points =
      Sweep({"qwen2.5-1.5b", "llama-3.2-1b", "smollm2-1.7b"}, "128:32768:x2", "1", false);
  ASSERT_EQ(points.size(), 27u);
  EXPECT_EQ(points[0].model, "qwen2.5-1.5b");
  EXPECT_EQ(points[0].hardware, "jetson-orin-nano-super");
  EXPECT_EQ(points[0].layers, 28);
  EXPECT_EQ(points[0].seq_len, 128);
  EXPECT_EQ(points[0].phase, Phase::kDecode);
  const std::string svg = SweepLinesSvg(points, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"series-line\""), 9u);    // 3 panels × 3 models
  EXPECT_EQ(Count(svg, "class=\"series-point\""), 81u);  // × 9 lengths
  EXPECT_EQ(Count(svg, "class=\"legend-entry\""), 3u);
  EXPECT_EQ(Count(svg, "class=\"axis-x\" data-scale=\"log\""), 3u);  // 128 .. 32768
  EXPECT_EQ(Count(svg, "class=\"axis-y\" data-scale=\"log\""), 0u);  // nothing spans 10×
  EXPECT_EQ(TextsOfClass(svg, "panel-title"),
            (std::vector<std::string>{"decode operational intensity (FLOP/byte)",
                                      "time per output token (one decode step)",
                                      "decode Φ-log (decades to the ridge, or up to π)"}));
  EXPECT_EQ(TickLabels(svg.substr(svg.find("panel-phi-log")), "axis-x"),
            (std::vector<std::string>{"128", "256", "512", "1024", "2048", "4096", "8192", "16384",
                                      "32768"}));
  EXPECT_EQ(TextsOfClass(svg, "title"),
            (std::vector<std::string>{"OI, TPOT and Φ-log against sequence length"}));
  EXPECT_EQ(TextsOfClass(svg, "subtitle"),
            (std::vector<std::string>{
                "on jetson-orin-nano-super; batch 1, weights fp16, kv fp16, fusion none"}));
  EXPECT_TRUE(AllFinite(svg));
  ExpectNoOverlaps(svg);
}

TEST(Plot, SweepLinesScalesAndSeries) {
  // Less than a decade of context: linear x. Two phases: a line per phase.
  auto points = Sweep({"qwen2.5-0.5b"}, "1024,2048,4096", "1", true);
  std::string svg = SweepLinesSvg(points, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"axis-x\" data-scale=\"linear\""), 3u);
  EXPECT_EQ(Count(svg, "class=\"series-line\""), 6u);
  EXPECT_EQ(Count(svg, "class=\"series-line\" data-series=\"0\" data-phase=\"prefill\""), 3u);
  EXPECT_EQ(Count(svg, "class=\"series-point\""), 18u);
  EXPECT_EQ(Count(svg, "class=\"legend-entry\" data-phase="), 2u);
  ExpectNoOverlaps(svg);

  // Context and batch vary: context on x, one line per batch.
  points = Sweep({"qwen2.5-0.5b"}, "128:4096:x2", "1,4,16", false);
  svg = SweepLinesSvg(points, {});
  ExpectWellFormed(svg);
  EXPECT_EQ(Count(svg, "class=\"series-line\""), 9u);
  EXPECT_NE(svg.find(">batch 16</text>"), std::string::npos);
  ExpectNoOverlaps(svg);

  // Only batch varies: batch on x.
  points = Sweep({"qwen2.5-0.5b"}, "1024", "1:256:x2", false);
  svg = SweepLinesSvg(points, {});
  EXPECT_NE(svg.find(">batch size</text>"), std::string::npos);
  EXPECT_EQ(Count(svg, "class=\"series-line\""), 3u);
  // Decode OI grows with batch from about 1 to about 200 FLOP/B: a log y axis.
  const std::string oi_panel =
      svg.substr(svg.find("panel-oi"), svg.find("panel-time") - svg.find("panel-oi"));
  EXPECT_EQ(Count(oi_panel, "class=\"axis-y\" data-scale=\"log\""), 1u);
  ExpectNoOverlaps(svg);

  // Nothing varies.
  points = Sweep({"qwen2.5-0.5b", "qwen2.5-1.5b"}, "1024", "1", true);
  EXPECT_EQ(ErrorOf<InputError>([&] { SweepLinesSvg(points, {}); }),
            "nothing varies to plot against");
  EXPECT_EQ(ErrorOf<InputError>([&] { SweepLinesSvg({}, {}); }),
            "nothing to plot: the sweep has no rows");
}

TEST(Plot, SweepPlotSinkRefusesAnUnreadableNumberOfRows) {
  SweepSpec spec;
  spec.models = {LoadModel("qwen2.5-0.5b")};
  spec.roofs = {PresetRoof("jetson-orin-nano-super")};
  spec.weights = {ParseWeightSetting("fp16")};
  spec.kv = {DTypeByName("fp16")};
  spec.fusion = {Fusion::kNone};
  spec.seq_len = ParseIntAxis(fmt::format("1:{}", kSweepPlotMaxPoints + 1), "--seq", 1, 1 << 30);
  spec.batch = ParseIntAxis("1", "--batch", 1, 1);
  spec.prefill = false;
  SweepPlotSink sink;
  EXPECT_EQ(ErrorOf<UsageError>([&] { RunSweep(spec, sink); }),
            "a sweep chart holds at most 100000 rows; narrow the grid or plot a part of it");
  EXPECT_EQ(sink.points().size(), kSweepPlotMaxPoints);
}

// --- HTML and PNG ----------------------------------------------------------------------------

TEST(Plot, HtmlReportIsSelfContained) {
  const std::string svg = RooflineSvg({DefaultAnalysis()}, {});
  HtmlPage page;
  page.title = "Qwen <&> report";
  page.summary = {{"time per token", "82 ms"}};
  page.svgs = {svg, svg};
  page.tables = {{"ops", {"operator", "time"}, {{"q_proj", "1 ms"}, {"total", "a < b & c"}}, {false, true}}};
  const std::string html = HtmlReport(page);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_EQ(Count(html, "<svg "), 2u);
  EXPECT_EQ(Count(html, "<?xml"), 0u);
  EXPECT_NE(html.find("<title>Qwen &lt;&amp;&gt; report</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>Qwen &lt;&amp;&gt; report</h1>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"label\">time per token</div><div class=\"value\">82 ms</div>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"total\"><td>total</td><td class=\"num\">a &lt; b &amp; c</td></tr>"),
            std::string::npos) << html.substr(html.find("<table"));
  EXPECT_EQ(html.find("<pre>"), std::string::npos);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  for (const char* fetch : {"<link", "<script", " src=", " href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
  EXPECT_EQ(
      XmlProblem(html.substr(html.find("<svg "), html.find("</svg>") + 6 - html.find("<svg "))),
      "");
}

TEST(Plot, PngThroughRsvgConvert) {
  if (!RasteriserAvailable()) {
    // scripts/test.sh (and so CI) installs it and sets SLMROOF_REQUIRE_RENDERER: fail there.
    ASSERT_EQ(std::getenv("SLMROOF_REQUIRE_RENDERER"), nullptr) << "rsvg-convert is not installed";
    GTEST_SKIP() << "rsvg-convert is not installed (Debian package librsvg2-bin)";
  }
  char dir_template[] = "/tmp/slmroof-plot-test-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string png = dir + "/roofline.png";
  SvgToPng(RooflineSvg({DefaultAnalysis()}, {}), png);
  std::ifstream in(png, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::remove(png.c_str());
  // Nothing else is left beside it.
  EXPECT_EQ(rmdir(dir.c_str()), 0);

  EXPECT_EQ(ErrorOf<InputError>([] { SvgToPng("<svg", "/nonexistent-dir/x.png"); }),
            "cannot write /nonexistent-dir/x.png: No such file or directory");
  const std::string bad = dir + "-bad.png";
  EXPECT_EQ(ErrorOf<InputError>([&] {
              SvgToPng("not an svg", bad);
            }).rfind("rsvg-convert could not render " + bad + ": ", 0),
            0u);
  struct stat st;
  EXPECT_NE(stat(bad.c_str(), &st), 0) << "a failed render leaves no file";
}

TEST(Plot, PngWithoutRasteriserSaysWhatToInstall) {
  const char* old = std::getenv("PATH");
  const std::string saved = old != nullptr ? old : "";
  setenv("PATH", "/nonexistent-slmroof-bin", 1);
  const bool available = RasteriserAvailable();
  const std::string error = ErrorOf<InputError>([] { SvgToPng("<svg/>", "/tmp/x.png"); });
  setenv("PATH", saved.c_str(), 1);
  EXPECT_FALSE(available);
  EXPECT_EQ(error,
            "PNG needs rsvg-convert (Debian package librsvg2-bin); install it or use --plot-format "
            "svg");
}

}  // namespace
}  // namespace slmroof
