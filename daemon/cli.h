#pragma once
// Command-line parsing: `kmirror <command> [options]`.

#include <optional>
#include <string>
#include <vector>

namespace kmirror::daemon {

enum class CommandKind {
    run,
    check_config,
    translate,
    failover,
    print_defaults,
    config_reference,
    version,
    help
};

enum class OutputFormat { table, json };

struct Command {
    CommandKind kind = CommandKind::help;
    std::string config_path;
    bool fail_fast = false;  ///< run only: exit when a flow cannot start
    // translate / failover
    std::string flow;
    std::string group;
    bool all_groups = false;  ///< failover only
    bool execute = false;     ///< failover only: write, not just show
    /// State files to translate with instead of state.path (several
    /// instances of the flow: one each).
    std::vector<std::string> state_paths;
    OutputFormat format = OutputFormat::table;
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
