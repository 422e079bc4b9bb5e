#include "config/duration.h"

#include <gtest/gtest.h>

#include <string>

namespace kmirror::config {
namespace {

Duration parse_ok(std::string_view text) {
    std::string error;
    const std::optional<Duration> d = parse_duration(text, error);
    EXPECT_TRUE(d.has_value()) << text << ": " << error;
    EXPECT_TRUE(error.empty());
    return d.value_or(Duration{-1});
}

std::string parse_error(std::string_view text) {
    std::string error;
    const std::optional<Duration> d = parse_duration(text, error);
    EXPECT_FALSE(d.has_value()) << text;
    return error;
}

TEST(Duration, ParsesEveryUnit) {
    EXPECT_EQ(parse_ok("500ms"), Duration{500});
    EXPECT_EQ(parse_ok("30s"), Duration{30'000});
    EXPECT_EQ(parse_ok("5m"), Duration{300'000});
    EXPECT_EQ(parse_ok("1h"), Duration{3'600'000});
    EXPECT_EQ(parse_ok("0s"), Duration{0});
    EXPECT_EQ(parse_ok("0ms"), Duration{0});
}

TEST(Duration, RejectsABareNumberWithAHintNamingTheUnits) {
    const std::string error = parse_error("30");
    EXPECT_NE(error.find("no unit"), std::string::npos) << error;
    EXPECT_NE(error.find("30s"), std::string::npos) << error;
    EXPECT_NE(error.find("30ms"), std::string::npos) << error;
}

TEST(Duration, RejectsUnknownUnitsFractionsNegativesAndGarbage) {
    EXPECT_NE(parse_error("5d").find("unit must be one of ms, s, m, h"), std::string::npos);
    EXPECT_NE(parse_error("1.5s").find("no fractions"), std::string::npos);
    EXPECT_NE(parse_error("-5s").find("negative"), std::string::npos);
    EXPECT_FALSE(parse_error("abc").empty());
    EXPECT_FALSE(parse_error("").empty());
    EXPECT_FALSE(parse_error("30 s").empty());
    EXPECT_FALSE(parse_error("30S").empty());
    EXPECT_FALSE(parse_error("1m30s").empty());
}

TEST(Duration, RejectsValuesThatOverflow) {
    EXPECT_NE(parse_error("99999999999999999999ms").find("too large"), std::string::npos);
    EXPECT_NE(parse_error("9223372036854775807h").find("too large"), std::string::npos);
}

TEST(Duration, FormatsInTheShortestExactForm) {
    EXPECT_EQ(format_duration(Duration{0}), "0s");
    EXPECT_EQ(format_duration(Duration{1}), "1ms");
    EXPECT_EQ(format_duration(Duration{1500}), "1500ms");
    EXPECT_EQ(format_duration(Duration{30'000}), "30s");
    EXPECT_EQ(format_duration(Duration{90'000}), "90s");
    EXPECT_EQ(format_duration(Duration{300'000}), "5m");
    EXPECT_EQ(format_duration(Duration{5'400'000}), "90m");
    EXPECT_EQ(format_duration(Duration{7'200'000}), "2h");
}

TEST(Duration, FormatThenParseGivesTheSameDuration) {
    for (const long ms : {1L, 999L, 1000L, 61'000L, 3'600'000L, 86'400'000L, 3'600'001L}) {
        EXPECT_EQ(parse_ok(format_duration(Duration{ms})), Duration{ms});
    }
}

}  // namespace
}  // namespace kmirror::config
