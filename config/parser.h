#pragma once
// Entry points: YAML text or file -> validated Config, or every diagnostic.

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/render.h"  // what the CLI prints after parsing: to_yaml, defaults_yaml

#include <optional>
#include <string>
#include <vector>

namespace kmirror::config {

struct ParseResult {
    std::optional<Config> config;  ///< set exactly when `errors` is empty
    std::vector<Diagnostic> errors;
    std::vector<Diagnostic> warnings;
};

/// Reads and validates the config file at `path`. Never throws: a missing or
/// unreadable file, YAML syntax and every validation failure become diagnostics.
/// Relative ${file:...} paths are resolved against the file's directory.
ParseResult parse_file(const std::string& path);

/// As parse_file, for YAML text; `file_name` is used in diagnostics and, if it
/// has a directory part, to resolve relative ${file:...} paths.
ParseResult parse_string(const std::string& yaml, const std::string& file_name);

}  // namespace kmirror::config
