#pragma once
// spdlog set-up: text lines or JSON lines on stderr (journald keeps both).

#include "config/config.h"

namespace kmirror::daemon {

void setup_logging(const config::Log& log);

}  // namespace kmirror::daemon
