#pragma once
// Command-line parsing: `kmirror <command> [options]`.

#include <optional>
#include <string>
#include <vector>

namespace kmirror::daemon {

enum class CommandKind { run, check_config, print_defaults, config_reference, version, help };

struct Command {
    CommandKind kind = CommandKind::help;
    std::string config_path;
};

/// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  ///< runtime: a cluster unreachable, a fatal error
inline constexpr int kExitUsage = 2;    ///< bad command line or bad configuration

/// The parsed command, or an error message for stderr.
struct ParsedArgs {
    std::optional<Command> command;
    std::string error;
};

ParsedArgs parse_args(const std::vector<std::string>& args);
std::string usage();

}  // namespace kmirror::daemon
