#include "tests/image/podman.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <utility>

namespace kmirror::test {
namespace {

using namespace std::chrono_literals;

// Lowered limits for every container: raising RLIMIT_NOFILE to podman's
// default is refused on some sandboxed machines ("setrlimit RLIMIT_NOFILE:
// Operation not permitted"); see scripts/image.sh.
std::vector<std::string> run_command_line(std::vector<std::string> head,
                                          const std::vector<std::string>& args) {
    for (std::string limit : {"nofile=4096:4096", "nproc=4096:4096"}) {
        head.emplace_back("--ulimit");
        head.push_back(std::move(limit));
    }
    head.insert(head.end(), args.begin(), args.end());
    return head;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

std::string image_name() {
    const char* image = std::getenv("KMIRROR_IMAGE");
    return image != nullptr && *image != '\0' ? image : "localhost/kmirror:" KMIRROR_VERSION;
}

harness::CommandResult podman(const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) {
    // runc: crun cannot manage the cgroups of some sandboxed machines ("hybrid
    // mode not supported"); runc runs everywhere (scripts/image.sh).
    std::vector<std::string> argv{"podman", "--runtime", "runc"};
    argv.insert(argv.end(), args.begin(), args.end());
    return harness::run_command(argv, {.timeout = timeout});
}

harness::CommandResult podman_run(const std::vector<std::string>& args) {
    return podman(run_command_line({"run", "--rm"}, args));
}

PodmanVolume::PodmanVolume(std::string name) : name_(std::move(name)) {
    const auto r = podman({"volume", "create", name_});
    EXPECT_TRUE(r.ok()) << "podman volume create " << name_ << ": " << r.output;
}

PodmanVolume::~PodmanVolume() { (void)podman({"volume", "rm", "--force", name_}); }

std::string PodmanVolume::mountpoint() const {
    const auto r = podman({"volume", "inspect", "--format", "{{.Mountpoint}}", name_});
    EXPECT_TRUE(r.ok()) << r.output;
    return r.ok() ? trimmed(r.output) : "";
}

PodmanContainer::PodmanContainer(std::string name, const std::vector<std::string>& run_args)
    : name_(std::move(name)) {
    const auto r = podman(run_command_line({"run", "--detach", "--name", name_}, run_args));
    started_ = r.ok();
    run_output_ = r.output;
}

PodmanContainer::~PodmanContainer() {
    if (started_ && ::testing::Test::HasFailure()) {
        std::cerr << "---- log of container " << name_ << "\n" << logs() << "----\n";
    }
    if (!removed_) (void)podman({"rm", "--force", "--time", "0", name_});
}

std::string PodmanContainer::logs() const { return podman({"logs", name_}).output; }

bool PodmanContainer::running() const {
    const auto r = podman({"inspect", "--format", "{{.State.Running}}", name_});
    return r.ok() && trimmed(r.output) == "true";
}

int PodmanContainer::stop(std::chrono::seconds grace) {
    (void)podman({"stop", "--time", std::to_string(grace.count()), name_}, grace + 60s);
    const auto r = podman({"inspect", "--format", "{{.State.ExitCode}}", name_});
    return r.ok() ? std::atoi(r.output.c_str()) : -1;
}

void PodmanContainer::remove() {
    const auto r = podman({"rm", name_});
    EXPECT_TRUE(r.ok()) << "podman rm " << name_ << ": " << r.output;
    removed_ = r.ok();
}

}  // namespace kmirror::test
