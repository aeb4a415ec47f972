#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "slmroof/limits.hpp"

namespace slmroof {

/// Reads typed fields from a parsed JSON document; every error names the origin and the field.
class JsonFields {
 public:
  /// `origin` names the file or preset in messages.
  explicit JsonFields(std::string origin) : origin_(std::move(origin)) {}

  /// Parses `text`, refusing more than limits::kMaxJsonBytes or nesting deeper than
  /// limits::kMaxJsonDepth; throws InputError "<origin>: malformed JSON: ...".
  nlohmann::json Parse(const std::string& text) const;

  /// Parses a document that must be an object; throws InputError "<origin>: expected a JSON
  /// object at the top level" otherwise.
  nlohmann::json ParseObject(const std::string& text) const;

  /// Required fields; `path` is the dotted field name used in messages ("layers[0].repeat").
  /// Numbers must lie in `range` (limits.hpp): out of it, the message names the range.
  int64_t Int(const nlohmann::json& obj, const std::string& key, const std::string& path,
              IntRange range) const;
  double Number(const nlohmann::json& obj, const std::string& key, const std::string& path,
                RealRange range) const;
  std::string String(const nlohmann::json& obj, const std::string& key, const std::string& path,
                     size_t max_bytes = limits::kMaxStringBytes) const;
  const nlohmann::json& Object(const nlohmann::json& obj, const std::string& key,
                               const std::string& path) const;
  const nlohmann::json& Array(const nlohmann::json& obj, const std::string& key,
                              const std::string& path) const;

  /// Optional fields: absent or null gives nullopt; a value of the wrong type is an error.
  std::optional<int64_t> OptInt(const nlohmann::json& obj, const std::string& key,
                                const std::string& path, IntRange range) const;
  std::optional<double> OptNumber(const nlohmann::json& obj, const std::string& key,
                                  const std::string& path, RealRange range) const;
  std::optional<std::string> OptString(const nlohmann::json& obj, const std::string& key,
                                       const std::string& path,
                                       size_t max_bytes = limits::kMaxStringBytes) const;
  /// A name (limits::kMaxNameBytes, not empty): of a model, device, unit, engine or backend.
  std::string Name(const nlohmann::json& obj, const std::string& key, const std::string& path) const;
  std::optional<std::string> OptName(const nlohmann::json& obj, const std::string& key,
                                     const std::string& path) const;
  /// Checks an object key used as a name (a backend, a precision).
  void CheckNameKey(const std::string& key, const std::string& path) const;
  std::optional<bool> OptBool(const nlohmann::json& obj, const std::string& key,
                              const std::string& path) const;

  /// Throws InputError "<origin>: field '<path>' <what>".
  [[noreturn]] void Fail(const std::string& path, const std::string& what) const;

  const std::string& origin() const { return origin_; }

 private:
  void CheckShape(const std::string& text) const;
  const nlohmann::json* Find(const nlohmann::json& obj, const std::string& key) const;
  std::string origin_;
};

/// Reads a whole regular file of at most `max_bytes`; throws InputError naming the path and the
/// reason (the system's, or that it is a directory, FIFO or device, or too large).
std::string ReadTextFile(const std::string& path, size_t max_bytes = limits::kMaxJsonBytes);

/// A JSON value for an error message: a number as written, a short string excerpt, or the size of
/// an array or object (never a dump of it).
std::string DescribeJson(const nlohmann::json& v);

}  // namespace slmroof
