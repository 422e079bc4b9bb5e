#include "daemon/cli.h"

namespace kmirror::daemon {

std::string usage() {
    return "usage: kmirror <command> [options]\n"
           "\n"
           "commands:\n"
           "  run -c FILE [--fail-fast]\n"
           "                         mirror the flows of FILE until SIGTERM/SIGINT; a flow\n"
           "                         that cannot start is reported and retried, or with\n"
           "                         --fail-fast ends kmirror with exit code 1\n"
           "  check-config -c FILE   validate FILE, print it normalized (secrets redacted)\n"
           "  translate -c FILE --flow F --group G [--state DB ...] [--format table|json]\n"
           "                         where group G would resume on the target, per partition\n"
           "  failover -c FILE --flow F (--group G | --all-groups) [--execute]\n"
           "           [--state DB ...] [--format table|json]\n"
           "                         show (or, with --execute, write) the translated offsets\n"
           "                         of groups into the target cluster (docs/failover.md)\n"
           "                         --state: read these state files instead of state.path,\n"
           "                         one per instance of the flow, translated together\n"
           "  print-defaults         print every setting with its default\n"
           "  config-reference       print the configuration reference (docs/configuration.md)\n"
           "  version                print version information\n";
}

ParsedArgs parse_args(const std::vector<std::string>& args) {
    if (args.empty()) return {std::nullopt, "missing command\n" + usage()};
    Command cmd;
    const auto& name = args[0];
    if (name == "run") {
        cmd.kind = CommandKind::run;
    } else if (name == "check-config") {
        cmd.kind = CommandKind::check_config;
    } else if (name == "translate") {
        cmd.kind = CommandKind::translate;
    } else if (name == "failover") {
        cmd.kind = CommandKind::failover;
    } else if (name == "print-defaults") {
        cmd.kind = CommandKind::print_defaults;
    } else if (name == "config-reference") {
        cmd.kind = CommandKind::config_reference;
    } else if (name == "version" || name == "--version") {
        cmd.kind = CommandKind::version;
    } else if (name == "help" || name == "--help" || name == "-h") {
        cmd.kind = CommandKind::help;
    } else {
        return {std::nullopt, "unknown command '" + name + "'\n" + usage()};
    }
    const bool translating =
        cmd.kind == CommandKind::translate || cmd.kind == CommandKind::failover;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "-c" || a == "--config") {
            if (i + 1 >= args.size()) return {std::nullopt, a + " needs a file name"};
            cmd.config_path = args[++i];
        } else if (a.starts_with("--config=")) {
            cmd.config_path = a.substr(9);
        } else if (translating && a == "--state") {
            if (i + 1 >= args.size()) return {std::nullopt, a + " needs a file name"};
            cmd.state_paths.push_back(args[++i]);
        } else if (translating && (a == "--flow" || a == "--group" || a == "--format")) {
            if (i + 1 >= args.size()) return {std::nullopt, a + " needs a value"};
            const auto& v = args[++i];
            if (a == "--flow") {
                cmd.flow = v;
            } else if (a == "--group") {
                cmd.group = v;
            } else if (v == "table" || v == "json") {
                cmd.format = v == "json" ? OutputFormat::json : OutputFormat::table;
            } else {
                return {std::nullopt, "--format must be 'table' or 'json', not '" + v + "'"};
            }
        } else if (cmd.kind == CommandKind::run && a == "--fail-fast") {
            cmd.fail_fast = true;
        } else if (cmd.kind == CommandKind::failover && a == "--all-groups") {
            cmd.all_groups = true;
        } else if (cmd.kind == CommandKind::failover && a == "--execute") {
            cmd.execute = true;
        } else {
            return {std::nullopt, "unknown option '" + a + "' for '" + name + "'\n" + usage()};
        }
    }
    if ((cmd.kind == CommandKind::run || cmd.kind == CommandKind::check_config || translating) &&
        cmd.config_path.empty()) {
        return {std::nullopt, "'" + name + "' needs -c FILE"};
    }
    if (translating) {
        if (cmd.flow.empty()) return {std::nullopt, "'" + name + "' needs --flow F"};
        if (cmd.group.empty() == !cmd.all_groups) {
            return {std::nullopt, cmd.kind == CommandKind::failover
                                      ? "'failover' needs either --group G or --all-groups"
                                      : "'translate' needs --group G"};
        }
    }
    return {cmd, ""};
}

}  // namespace kmirror::daemon
