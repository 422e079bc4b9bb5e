#include "daemon/cli.h"

namespace kmirror::daemon {

std::string usage() {
    return "usage: kmirror <command> [options]\n"
           "\n"
           "commands:\n"
           "  run -c FILE            mirror the flows of FILE until SIGTERM/SIGINT\n"
           "  check-config -c FILE   validate FILE, print it normalized (secrets redacted)\n"
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
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "-c" || a == "--config") {
            if (i + 1 >= args.size()) return {std::nullopt, a + " needs a file name"};
            cmd.config_path = args[++i];
        } else if (a.starts_with("--config=")) {
            cmd.config_path = a.substr(9);
        } else {
            return {std::nullopt, "unknown option '" + a + "' for '" + name + "'\n" + usage()};
        }
    }
    if ((cmd.kind == CommandKind::run || cmd.kind == CommandKind::check_config) &&
        cmd.config_path.empty()) {
        return {std::nullopt, "'" + name + "' needs -c FILE"};
    }
    return {cmd, ""};
}

}  // namespace kmirror::daemon
