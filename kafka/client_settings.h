#pragma once
// What kafka/ needs to know about a cluster to build a client. config/ fills
// it from the YAML; kafka/ knows nothing of the YAML itself.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::kafka {

struct Property {
    std::string key;
    std::string value;
    /// Where the property came from ("kmirror.yaml:12:7: clusters.dr.properties.x"),
    /// so a librdkafka errstr is reported against the user's line.
    std::string origin;
};

struct ClientSettings {
    std::string cluster;  ///< alias, used in logs and errors
    std::string bootstrap;
    std::vector<Property> properties;  ///< user properties, passed verbatim
};

/// A property librdkafka refused, or a client that could not be created.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Settings kmirror itself imposes on a role; applied after the user's.
using Overrides = std::vector<std::pair<std::string, std::string>>;

}  // namespace kmirror::kafka
