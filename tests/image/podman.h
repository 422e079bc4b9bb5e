#pragma once
// podman for the image tests: commands run the way scripts/image.sh runs
// them (runc and lowered limits, see there), and a container and a named
// volume that go away with the test.

#include <chrono>
#include <string>
#include <vector>

#include "tests/harness/command.h"

namespace kmirror::test {

/// The image under test: $KMIRROR_IMAGE (ctest sets the tag its image_build
/// made), else scripts/image.sh's default tag localhost/kmirror:VERSION.
std::string image_name();

/// `podman --runtime runc ARGS...`, its exit code and output (stdout and stderr).
harness::CommandResult podman(const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout = std::chrono::minutes(2));

/// `podman run --rm ARGS...` with the lowered limits: a one-off command.
harness::CommandResult podman_run(const std::vector<std::string>& args);

/// A named volume, deleted with its data by the destructor.
class PodmanVolume {
public:
    explicit PodmanVolume(std::string name);
    ~PodmanVolume();
    PodmanVolume(const PodmanVolume&) = delete;
    PodmanVolume& operator=(const PodmanVolume&) = delete;

    [[nodiscard]] const std::string& name() const { return name_; }
    /// Where its data lies on this machine (podman volume inspect).
    [[nodiscard]] std::string mountpoint() const;

private:
    std::string name_;
};

/// A container started detached (`podman run -d --name NAME ARGS...`),
/// removed by the destructor; its log is printed when the test failed.
class PodmanContainer {
public:
    PodmanContainer(std::string name, const std::vector<std::string>& run_args);
    ~PodmanContainer();
    PodmanContainer(const PodmanContainer&) = delete;
    PodmanContainer& operator=(const PodmanContainer&) = delete;

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] bool started() const { return started_; }
    /// What `podman run` printed when it failed.
    [[nodiscard]] const std::string& run_output() const { return run_output_; }
    [[nodiscard]] std::string logs() const;
    [[nodiscard]] bool running() const;
    /// `podman stop --time GRACE`: SIGTERM, SIGKILL after GRACE. Returns the
    /// container's exit code (137 when it had to be killed), -1 if unknown.
    int stop(std::chrono::seconds grace);
    /// `podman rm`: the container is gone, its volumes stay.
    void remove();

private:
    std::string name_;
    std::string run_output_;
    bool started_ = false;
    bool removed_ = false;
};

}  // namespace kmirror::test
