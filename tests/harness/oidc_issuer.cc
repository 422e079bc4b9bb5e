#include "tests/harness/oidc_issuer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#ifndef KMIRROR_SOURCE_DIR
#error "KMIRROR_SOURCE_DIR (the project root) must be defined by CMake"
#endif

namespace kmirror::harness {

OidcIssuer::OidcIssuer(const std::string& dir,
                       const std::vector<std::pair<std::string, std::string>>& clients) {
    std::vector<std::string> args{"python3",
                                  std::string(KMIRROR_SOURCE_DIR) + "/tests/harness/oidc_issuer.py",
                                  dir};
    for (const auto& [id, secret] : clients) args.push_back(id + ":" + secret);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("harness: pipe for the OIDC issuer");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("harness: fork for the OIDC issuer");
    if (pid_ == 0) {
        // Dies with the test process, even by SIGKILL; its output goes to
        // the pipe (stdout) and nowhere else, so no test runner waits on it.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(1);
        ::dup2(out[1], STDOUT_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) ::dup2(null, STDERR_FILENO);
        ::execvp("python3", argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    // The first line is the issuer's URL, printed once it listens.
    std::string line;
    char c = 0;
    while (true) {
        const ssize_t n = ::read(out[0], &c, 1);
        if (n == 1 && c != '\n') {
            line += c;
        } else if (n == 1 || n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(out[0]);
    if (!line.starts_with("http://")) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        throw std::runtime_error("harness: the OIDC issuer did not start (" + line + ")");
    }
    url_ = line;
}

OidcIssuer::~OidcIssuer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
}

}  // namespace kmirror::harness
