#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "slmroof/errors.hpp"
#include "slmroof/io/json_fields.hpp"

namespace slmroof {

using nlohmann::json;

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format("cannot open '{}'", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw InputError(fmt::format("cannot read '{}'", path));
  }
  return text.str();
}

json JsonFields::Parse(const std::string& text) const {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for numbers like 1e400
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ...".
    std::string what = e.what();
    const size_t pos = what.find("] ");
    throw InputError(fmt::format("{}: malformed JSON: {}", origin_,
                                 pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

json JsonFields::ParseObject(const std::string& text) const {
  json doc = Parse(text);
  if (!doc.is_object()) {
    throw InputError(fmt::format("{}: expected a JSON object at the top level", origin_));
  }
  return doc;
}

void JsonFields::Fail(const std::string& path, const std::string& what) const {
  throw InputError(fmt::format("{}: field '{}' {}", origin_, path, what));
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

namespace {
std::string TypeName(const json& v) { return v.type_name(); }
}  // namespace

std::optional<int64_t> JsonFields::OptInt(const json& obj, const std::string& key,
                                          const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_number_integer()) {
    return v->get<int64_t>();
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      return static_cast<int64_t>(d);
    }
  }
  Fail(path, fmt::format("must be an integer, got {} {}", TypeName(*v), v->dump()));
}

std::optional<double> JsonFields::OptNumber(const json& obj, const std::string& key,
                                            const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_number()) {
    Fail(path, fmt::format("must be a number, got {} {}", TypeName(*v), v->dump()));
  }
  const double d = v->get<double>();
  if (!std::isfinite(d)) {
    Fail(path, "must be finite");
  }
  return d;
}

std::optional<std::string> JsonFields::OptString(const json& obj, const std::string& key,
                                                 const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    Fail(path, fmt::format("must be a string, got {} {}", TypeName(*v), v->dump()));
  }
  return v->get<std::string>();
}

std::optional<bool> JsonFields::OptBool(const json& obj, const std::string& key,
                                        const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    Fail(path, fmt::format("must be true or false, got {} {}", TypeName(*v), v->dump()));
  }
  return v->get<bool>();
}

int64_t JsonFields::Int(const json& obj, const std::string& key, const std::string& path) const {
  auto v = OptInt(obj, key, path);
  if (!v) {
    Fail(path, "is missing");
  }
  return *v;
}

double JsonFields::Number(const json& obj, const std::string& key, const std::string& path) const {
  auto v = OptNumber(obj, key, path);
  if (!v) {
    Fail(path, "is missing");
  }
  return *v;
}

std::string JsonFields::String(const json& obj, const std::string& key, const std::string& path) const {
  auto v = OptString(obj, key, path);
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
    Fail(path, fmt::format("must be an object, got {}", TypeName(*v)));
  }
  return *v;
}

const json& JsonFields::Array(const json& obj, const std::string& key, const std::string& path) const {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    Fail(path, "is missing");
  }
  if (!v->is_array()) {
    Fail(path, fmt::format("must be an array, got {}", TypeName(*v)));
  }
  return *v;
}

}  // namespace slmroof
