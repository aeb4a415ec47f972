#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace slmroof {

/// Reads typed fields from a parsed JSON document; every error names the origin and the field.
class JsonFields {
 public:
  /// `origin` names the file or preset in messages.
  explicit JsonFields(std::string origin) : origin_(std::move(origin)) {}

  /// Parses `text`; throws InputError "<origin>: malformed JSON: ...".
  nlohmann::json Parse(const std::string& text) const;

  /// Parses a document that must be an object; throws InputError "<origin>: expected a JSON
  /// object at the top level" otherwise.
  nlohmann::json ParseObject(const std::string& text) const;

  /// Required fields; `path` is the dotted field name used in messages ("layers[0].repeat").
  int64_t Int(const nlohmann::json& obj, const std::string& key, const std::string& path) const;
  double Number(const nlohmann::json& obj, const std::string& key, const std::string& path) const;
  std::string String(const nlohmann::json& obj, const std::string& key, const std::string& path) const;
  const nlohmann::json& Object(const nlohmann::json& obj, const std::string& key,
                               const std::string& path) const;
  const nlohmann::json& Array(const nlohmann::json& obj, const std::string& key,
                              const std::string& path) const;

  /// Optional fields: absent or null gives nullopt; a value of the wrong type is an error.
  std::optional<int64_t> OptInt(const nlohmann::json& obj, const std::string& key,
                                const std::string& path) const;
  std::optional<double> OptNumber(const nlohmann::json& obj, const std::string& key,
                                  const std::string& path) const;
  std::optional<std::string> OptString(const nlohmann::json& obj, const std::string& key,
                                       const std::string& path) const;
  std::optional<bool> OptBool(const nlohmann::json& obj, const std::string& key,
                              const std::string& path) const;

  /// Throws InputError "<origin>: field '<path>' <what>".
  [[noreturn]] void Fail(const std::string& path, const std::string& what) const;

  const std::string& origin() const { return origin_; }

 private:
  const nlohmann::json* Find(const nlohmann::json& obj, const std::string& key) const;
  std::string origin_;
};

/// Reads a whole file; throws InputError "cannot open '<path>'" when it cannot.
std::string ReadTextFile(const std::string& path);

}  // namespace slmroof
