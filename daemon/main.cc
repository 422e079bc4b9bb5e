// kmirror: parse the command line, build, run, return the exit code.

#include <librdkafka/rdkafka.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "config/parser.h"
#include "daemon/cli.h"
#include "daemon/daemon_runner.h"
#include "daemon/failover_command.h"
#include "daemon/logging.h"

using namespace kmirror;

int main(int argc, char** argv) {
    const auto parsed = daemon::parse_args(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.command) {
        std::cerr << "kmirror: " << parsed.error << "\n";
        return daemon::kExitUsage;
    }
    const auto& cmd = *parsed.command;
    switch (cmd.kind) {
        case daemon::CommandKind::help: std::cout << daemon::usage(); return daemon::kExitOk;
        case daemon::CommandKind::version:
            std::cout << "kmirror " KMIRROR_VERSION " (librdkafka " << rd_kafka_version_str()
                      << ")\n";
            return daemon::kExitOk;
        case daemon::CommandKind::print_defaults:
            std::cout << config::defaults_yaml();
            return daemon::kExitOk;
        case daemon::CommandKind::config_reference:
            std::cout << config::configuration_markdown();
            return daemon::kExitOk;
        case daemon::CommandKind::check_config:
        case daemon::CommandKind::translate:
        case daemon::CommandKind::failover:
        case daemon::CommandKind::run: break;
    }
    const auto result = config::parse_file(cmd.config_path);
    for (const auto& w : result.warnings) std::cerr << config::to_string(w) << "\n";
    for (const auto& e : result.errors) std::cerr << config::to_string(e) << "\n";
    if (!result.config) return daemon::kExitUsage;
    if (cmd.kind == daemon::CommandKind::check_config) {
        std::cout << config::to_yaml(*result.config);
        return daemon::kExitOk;
    }
    daemon::setup_logging(result.config->log);
    if (cmd.kind == daemon::CommandKind::translate || cmd.kind == daemon::CommandKind::failover) {
        return daemon::run_translation_command(*result.config, cmd);
    }
    return daemon::run_daemon(std::make_shared<const config::Config>(*result.config),
                              {KMIRROR_VERSION, rd_kafka_version_str()},
                              {.fail_fast = cmd.fail_fast, .config_path = cmd.config_path});
}
