#pragma once
// The configuration schema: one table per section (STYLE.md rule 18). The
// tables live in schema.cc; this is what the parser and renderers need of them.

#include "config/config.h"
#include "config/field.h"

#include <yaml-cpp/yaml.h>

#include <string_view>
#include <vector>

namespace kmirror::config {

class Reader;

/// Reads the whole document (the root map) into `out`, reporting through `reader`.
void read_config(Reader& reader, const Entry& root, Config& out);

/// The normalized config as a YAML tree: every key, defaults filled in,
/// durations formatted, secret property values replaced by "[secret]".
YAML::Node dump_config(const Config& config);

/// Every table with its defaults, parents before children: feeds the docs and --print-defaults.
std::vector<TableDoc> schema_docs();

/// A flow before any of its keys are read: the struct defaults plus the
/// default config_exclude list (which config.h cannot spell as a member initializer).
Flow default_flow();

/// Names as written in the file: "prefix", "identity", "template"; "stop", "continue".
std::string_view to_string(RenamePolicy policy);
std::string_view to_string(OnDataLoss on_data_loss);
std::string_view to_string(OffsetSyncsLocation location);
std::string_view to_string(LogFormat format);
std::string_view to_string(Compression compression);

}  // namespace kmirror::config
