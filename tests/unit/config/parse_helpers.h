#pragma once
// Shared by the config tests: parse YAML text as "kmirror.yaml" and look for
// a diagnostic by its printed form.

#include "config/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace kmirror::config::testing {

inline ParseResult parse(const std::string& yaml) { return parse_string(yaml, "kmirror.yaml"); }

inline std::string all_errors(const ParseResult& result) {
    std::string out;
    for (const Diagnostic& d : result.errors) {
        out += "  " + to_string(d) + "\n";
    }
    return out;
}

/// True when one error prints as "<prefix>..." with `text` in its message,
/// e.g. has_error(r, "kmirror.yaml:9:14: flows[0].workers: ", "must be 1..64").
inline ::testing::AssertionResult has_error(const ParseResult& result, std::string_view prefix,
                                            std::string_view text) {
    for (const Diagnostic& d : result.errors) {
        const std::string printed = to_string(d);
        if (printed.starts_with(prefix) && d.message.find(text) != std::string::npos) {
            return ::testing::AssertionSuccess();
        }
    }
    return ::testing::AssertionFailure()
           << "no error \"" << prefix << "..." << text << "...\" among:\n"
           << all_errors(result);
}

inline ::testing::AssertionResult has_warning(const ParseResult& result, std::string_view prefix,
                                              std::string_view text) {
    for (const Diagnostic& d : result.warnings) {
        if (to_string(d).starts_with(prefix) && d.message.find(text) != std::string::npos) {
            return ::testing::AssertionSuccess();
        }
    }
    return ::testing::AssertionFailure() << "no warning \"" << prefix << "..." << text << "\"";
}

/// Two clusters, lines 1-5; a flow list may follow from line 6.
inline constexpr std::string_view two_clusters =
    "clusters:\n"                            // 1
    "  primary:\n"                           // 2
    "    bootstrap: \"127.0.0.1:19092\"\n"   // 3
    "  dr:\n"                                // 4
    "    bootstrap: \"127.0.0.1:29092\"\n";  // 5

/// two_clusters plus one flow primary -> dr on lines 6-9; keys may follow from line 10
/// at column 5 (inside the flow).
inline std::string minimal(std::string_view flow_extra = "") {
    return std::string(two_clusters) +
           "flows:\n"                   // 6
           "  - name: primary-to-dr\n"  // 7
           "    source: primary\n"      // 8
           "    target: dr\n"           // 9
           + std::string(flow_extra);
}

}  // namespace kmirror::config::testing
