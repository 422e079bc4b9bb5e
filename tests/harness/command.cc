#include "tests/harness/command.h"

#include "tests/harness/wait.h"

#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace kmirror::harness {

std::string shell_quote(std::string_view s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string shell_join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) {
            out += ' ';
        }
        out += shell_quote(w);
    }
    return out;
}

CommandResult run_command(std::string_view command, const CommandOptions& options) {
    std::string inner;
    for (const auto& [key, value] : options.env) {
        inner += "export " + key + "=" + shell_quote(value) + "; ";
    }
    inner += command;
    std::string full;
    if (options.timeout.count() > 0) {
        const auto ms = scaled(options.timeout).count();
        std::array<char, 64> secs{};
        std::snprintf(secs.data(), secs.size(), "%lld.%03lld", static_cast<long long>(ms / 1000),
                      static_cast<long long>(ms % 1000));
        full = "timeout -k 5 " + std::string(secs.data()) + " ";
    }
    full += "/bin/sh -c " + shell_quote(inner) + " 2>&1";

    // popen's pipe is close-on-exec for everything but the child's stdout.
    FILE* pipe = ::popen(full.c_str(), "r");
    if (pipe == nullptr) {
        throw std::system_error(errno, std::generic_category(), "popen: " + full);
    }
    CommandResult result;
    std::array<char, 4096> buf{};
    while (true) {
        const std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe);
        if (n > 0) {
            result.output.append(buf.data(), n);
        }
        if (n < buf.size()) {
            if (std::ferror(pipe) != 0 && errno == EINTR) {
                std::clearerr(pipe);
                continue;
            }
            break;
        }
    }
    const int status = ::pclose(pipe);
    if (status == -1) {
        throw std::system_error(errno, std::generic_category(), "pclose: " + full);
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.exit_code = 128 + WTERMSIG(status);
    }
    return result;
}

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
    if (argv.empty()) {
        throw std::invalid_argument("run_command: empty argv");
    }
    return run_command(shell_join(argv), options);
}

}  // namespace kmirror::harness
