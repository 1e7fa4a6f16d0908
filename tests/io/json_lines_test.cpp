#include "io/json_lines.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace authswitch::io {
namespace {

constexpr const char* text =
    "{\"links\":[\n"                                      // 1
    "  {\"name\":\"a\",\n"                                // 2
    "   \"port\":1},\n"                                   // 3
    "  {\"name\":\"b\", \"port\":2}\n"                    // 4
    " ],\n"                                               // 5
    " \"cores\":{\"io\":[0,\n"                            // 6
    "   1]},\n"                                           // 7
    " \"s\":\"with \\\" quote, and [brackets]\",\n"       // 8
    " \"dup\":1,\n"                                       // 9
    " \"dup\":2\n"                                        // 10
    "}\n";

struct LineCase {
  const char* path;
  std::size_t occurrence;
  int line;
  friend std::ostream& operator<<(std::ostream& out, const LineCase& c) { return out << c.path; }
};

class JsonLinesCases : public testing::TestWithParam<LineCase> {};

TEST_P(JsonLinesCases, FindsTheLineOfEachPath) {
  const JsonLines lines(text);
  EXPECT_EQ(lines.line_of(GetParam().path, GetParam().occurrence), GetParam().line);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonLinesCases,
    testing::Values(LineCase{"links", 0, 1}, LineCase{"links[0]", 0, 2}, LineCase{"links[0].name", 0, 2},
                    LineCase{"links[0].port", 0, 3}, LineCase{"links[1]", 0, 4}, LineCase{"links[1].port", 0, 4},
                    LineCase{"cores.io", 0, 6}, LineCase{"cores.io[1]", 0, 7}, LineCase{"s", 0, 8},
                    LineCase{"dup", 0, 9}, LineCase{"dup", 1, 10},
                    // Unknown paths fall back to the nearest known parent.
                    LineCase{"links[1].prot", 0, 4}, LineCase{"nowhere", 0, 0}));

}  // namespace
}  // namespace authswitch::io
