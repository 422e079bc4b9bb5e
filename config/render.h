#pragma once
// Text renderings of the config and of its schema: `kmirror check-config`,
// `kmirror --print-defaults` and docs/configuration.md.

#include "config/config.h"

#include <string>

namespace kmirror::config {

/// The normalized config as YAML: every key, defaults filled in, durations in
/// their shortest form, secret property values printed as "[secret]".
std::string to_yaml(const Config& config);

/// Every key with its default value and a one-line comment; required keys are
/// left empty. Valid YAML, not a valid config (it has no clusters or flows).
std::string defaults_yaml();

/// The configuration reference, rendered from the schema tables. The file
/// docs/configuration.md is this output verbatim (a unit test compares them).
std::string configuration_markdown();

}  // namespace kmirror::config
