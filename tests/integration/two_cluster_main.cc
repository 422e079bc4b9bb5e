// main() of the integration binaries: one source and one target cluster,
// started once for the whole binary (TwoClusterEnvironment).

#include <gtest/gtest.h>

#include "tests/harness/kafka_cluster.h"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new kmirror::harness::TwoClusterEnvironment());
    return RUN_ALL_TESTS();
}
