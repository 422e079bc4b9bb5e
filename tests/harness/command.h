#pragma once
// Running helper programs from tests (kafka.sh, kcat, the kmirror binary) and
// collecting what they printed.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmirror::harness {

struct CommandResult {
    /// Exit status; 128 + N when killed by signal N; 124 when `timeout` expired.
    int exit_code = -1;
    /// stdout and stderr, interleaved as written.
    std::string output;

    [[nodiscard]] bool ok() const { return exit_code == 0; }
};

struct CommandOptions {
    /// 0 = no limit. Otherwise the command runs under coreutils `timeout`
    /// (TERM, then KILL 5 s later), scaled by KMIRROR_TEST_TIMEOUT_SCALE.
    std::chrono::milliseconds timeout{0};
    /// Extra environment variables for the command only.
    std::vector<std::pair<std::string, std::string>> env{};
};

/// Runs `command` with /bin/sh -c (popen) and waits for it. `command` is
/// shell text: quote arguments with shell_quote() or use the argv overload.
///
///     auto r = run_command(shell_join({kmirror_binary(), "check-config", path}));
///     EXPECT_EQ(r.exit_code, 2) << r.output;
CommandResult run_command(std::string_view command, const CommandOptions& options = {});

/// Runs argv[0] with arguments argv[1..], each passed verbatim.
CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

/// `s` as one shell word: 'it'\''s'.
std::string shell_quote(std::string_view s);

/// The words quoted and joined with spaces.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace kmirror::harness
