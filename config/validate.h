#pragma once
// Checks that span keys, sections or flows (cluster references, duplicate and
// overlapping flows, rename policy vs. format), run after every section was read.

#include "config/config.h"

namespace kmirror::config {

class Reader;

/// Reports every cross-key problem of `config` through `reader`, at the
/// positions the reader remembered while reading.
void validate(Reader& reader, const Config& config);

}  // namespace kmirror::config
