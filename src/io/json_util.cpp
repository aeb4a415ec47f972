#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/json_fields.hpp"
#include "slmroof/text.hpp"

namespace slmroof {

using nlohmann::json;

namespace {

std::string FileKind(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "a device";
  }
  return "not a regular file";
}

std::string SizeText(size_t bytes) {
  return bytes % (size_t{1} << 20) == 0 ? fmt::format("{} MiB", bytes >> 20)
                                        : fmt::format("{} bytes", bytes);
}

}  // namespace

std::string ReadTextFile(const std::string& path, size_t max_bytes) {
  const std::string name = Excerpt(path, 200);
  // stat first: a directory, FIFO or device is refused with its kind, and a FIFO is never
  // opened (opening one blocks until a writer comes).
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    throw InputError(fmt::format("cannot open {}: {}", name, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    throw InputError(fmt::format("cannot read {}: it is {}", name, FileKind(st.st_mode)));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    throw InputError(fmt::format("{} is {} bytes, more than the {} slmroof reads", name,
                                 static_cast<uint64_t>(st.st_size), SizeText(max_bytes)));
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw InputError(fmt::format("cannot open {}: {}", name, std::strerror(errno)));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int error = errno;
      close(fd);
      throw InputError(fmt::format("cannot read {}: {}", name, std::strerror(error)));
    }
    if (n == 0) {
      break;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) {  // a file that grew, or reports no size (/proc)
      close(fd);
      throw InputError(fmt::format("{} is more than the {} slmroof reads", name, SizeText(max_bytes)));
    }
  }
  close(fd);
  return text;
}

std::string DescribeJson(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "string " + Excerpt(v.get_ref<const std::string&>());
    case json::value_t::array:
      return fmt::format("an array of {} elements", v.size());
    case json::value_t::object:
      return fmt::format("an object of {} fields", v.size());
    case json::value_t::number_integer:
      return fmt::format("{}", v.get<int64_t>());
    case json::value_t::number_unsigned:
      return fmt::format("{}", v.get<uint64_t>());
    case json::value_t::number_float:
      return fmt::format("{:g}", v.get<double>());
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    default:
      return v.type_name();
  }
}

void JsonFields::CheckShape(const std::string& text) const {
  if (text.size() > limits::kMaxJsonBytes) {
    throw InputError(fmt::format("{}: {} bytes of JSON, more than the {} slmroof reads",
                                 OneLine(origin_, 200), text.size(), SizeText(limits::kMaxJsonBytes)));
  }
  // Nesting beyond any real document is refused before parsing (a value nested 100,000 deep
  // would otherwise reach recursive code).
  int depth = 0;
  bool in_string = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    }
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limits::kMaxJsonDepth) {
        throw InputError(fmt::format("{}: line {}: arrays and objects nest more than {} deep",
                                     OneLine(origin_, 200), line, limits::kMaxJsonDepth));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

namespace {

// Python's json module writes the non-standard tokens Infinity, -Infinity and NaN (Nemotron-H's
// time_step_limit is [0.0, Infinity]). Outside strings, where a value starts, each is turned into
// the JSON string of its name: a document that holds one still parses, and a field that must be a
// number then says it got a string.
std::string QuoteNonFinite(const std::string& text) {
  if (text.find("Infinity") == std::string::npos && text.find("NaN") == std::string::npos) {
    return text;
  }
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  char last = '\0';  // the last character outside strings that is not white space
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    const bool value_start = last == '\0' || last == ':' || last == ',' || last == '[';
    bool replaced = false;
    if (value_start) {
      for (const char* token : {"-Infinity", "Infinity", "NaN"}) {
        const size_t n = std::char_traits<char>::length(token);
        const size_t end = i + n;
        if (end > text.size() || text.compare(i, n, token) != 0) {
          continue;
        }
        // strchr finds the terminating NUL too: a NUL byte is no delimiter.
        const bool delimited = end == text.size() ||
                               (text[end] != '\0' && std::strchr(" \t\r\n,]}", text[end]) != nullptr);
        if (delimited) {
          out += '"';
          out += token;
          out += '"';
          i = end - 1;
          last = '"';
          replaced = true;
          break;
        }
      }
    }
    if (replaced) {
      continue;
    }
    out += c;
    if (c == '"') {
      in_string = true;
    }
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      last = c;
    }
  }
  return out;
}

}  // namespace

json JsonFields::Parse(const std::string& text) const {
  CheckShape(text);
  try {
    return json::parse(QuoteNonFinite(text));
  } catch (const json::exception& e) {  // parse_error, or out_of_range for numbers like 1e400
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ...";
    // it may quote the offending token, so it is cut to one short line.
    std::string what = e.what();
    const size_t pos = what.find("] ");
    throw InputError(fmt::format("{}: malformed JSON: {}", OneLine(origin_, 200),
                                 OneLine(pos == std::string::npos ? what : what.substr(pos + 2), 300)));
  }
}

json JsonFields::ParseObject(const std::string& text) const {
  json doc = Parse(text);
  if (!doc.is_object()) {
    throw InputError(fmt::format("{}: expected a JSON object at the top level, got {}",
                                 OneLine(origin_, 200), DescribeJson(doc)));
  }
  return doc;
}

void JsonFields::Fail(const std::string& path, const std::string& what) const {
  throw InputError(fmt::format("{}: field '{}' {}", OneLine(origin_, 200), OneLine(path, 120), what));
}

const json* JsonFields::Find(const json& obj, const std::string& key) const {
  if (!obj.is_object()) {
    return nullptr;
  }
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

std::optional<int64_t> JsonFields::OptInt(const json& obj, const std::string& key,
                                          const std::string& path, IntRange range) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  bool integral = false;
  int64_t value = 0;
  if (v->is_number_unsigned()) {  // above INT64_MAX it is out of every range
    const uint64_t u = v->get<uint64_t>();
    integral = u <= static_cast<uint64_t>(range.max);
    value = integral ? static_cast<int64_t>(u) : 0;
  } else if (v->is_number_integer()) {
    integral = true;
    value = v->get<int64_t>();
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      integral = true;
      value = static_cast<int64_t>(d);
    }
  }
  if (!integral || value < range.min || value > range.max) {
    Fail(path, fmt::format("must be an integer in [{}, {}], got {}", range.min, range.max,
                           DescribeJson(*v)));
  }
  return value;
}

std::optional<double> JsonFields::OptNumber(const json& obj, const std::string& key,
                                            const std::string& path, RealRange range) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  const double d = v->is_number() ? v->get<double>() : std::numeric_limits<double>::quiet_NaN();
  if (!(d >= range.min && d <= range.max)) {  // also false for NaN
    Fail(path, fmt::format("must be a number in [{:g}, {:g}], got {}", range.min, range.max,
                           DescribeJson(*v)));
  }
  return d;
}

std::optional<std::string> JsonFields::OptString(const json& obj, const std::string& key,
                                                 const std::string& path, size_t max_bytes) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    Fail(path, fmt::format("must be a string, got {}", DescribeJson(*v)));
  }
  const std::string& text = v->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    Fail(path, fmt::format("is {} bytes long, more than {}: {}", text.size(), max_bytes, Excerpt(text)));
  }
  // Names and sources end up in tables and charts: no control characters (the parser has
  // already refused invalid UTF-8).
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      Fail(path, fmt::format("holds a control character: {}", Excerpt(text)));
    }
  }
  return text;
}

std::optional<bool> JsonFields::OptBool(const json& obj, const std::string& key,
                                        const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    Fail(path, fmt::format("must be true or false, got {}", DescribeJson(*v)));
  }
  return v->get<bool>();
}

int64_t JsonFields::Int(const json& obj, const std::string& key, const std::string& path,
                        IntRange range) const {
  auto v = OptInt(obj, key, path, range);
  if (!v) {
    Fail(path, "is missing");
  }
  return *v;
}

double JsonFields::Number(const json& obj, const std::string& key, const std::string& path,
                          RealRange range) const {
  auto v = OptNumber(obj, key, path, range);
  if (!v) {
    Fail(path, "is missing");
  }
  return *v;
}

std::optional<std::string> JsonFields::OptName(const json& obj, const std::string& key,
                                               const std::string& path) const {
  auto v = OptString(obj, key, path, limits::kMaxNameBytes);
  if (v && v->empty()) {
    Fail(path, "is empty");
  }
  return v;
}

std::string JsonFields::Name(const json& obj, const std::string& key, const std::string& path) const {
  auto v = OptName(obj, key, path);
  if (!v) {
    Fail(path, "is missing");
  }
  return *v;
}

void JsonFields::CheckNameKey(const std::string& key, const std::string& path) const {
  const bool control = std::any_of(key.begin(), key.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
  });
  if (key.empty() || key.size() > limits::kMaxNameBytes || control) {
    Fail(path, fmt::format("must be a name of 1 to {} bytes without control characters, got {}",
                           limits::kMaxNameBytes, Excerpt(key)));
  }
}

std::string JsonFields::String(const json& obj, const std::string& key, const std::string& path,
                               size_t max_bytes) const {
  auto v = OptString(obj, key, path, max_bytes);
  if (!v) {
    Fail(path, "is missing");
  }
  return *v;
}

const json& JsonFields::Object(const json& obj, const std::string& key, const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    Fail(path, "is missing");
  }
  if (!v->is_object()) {
    Fail(path, fmt::format("must be an object, got {}", DescribeJson(*v)));
  }
  return *v;
}

const json& JsonFields::Array(const json& obj, const std::string& key, const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    Fail(path, "is missing");
  }
  if (!v->is_array()) {
    Fail(path, fmt::format("must be an array, got {}", DescribeJson(*v)));
  }
  return *v;
}

}  // namespace slmroof
