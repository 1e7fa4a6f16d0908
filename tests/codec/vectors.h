// The shared ISO 8583 vectors (/work/shared/vectors, SPEC 1), loaded for tests.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace authswitch::codec::test {

struct Vector {
  std::string name;
  std::map<int, std::string> fields;  // 0 = MTI
  std::string frame;                  // bytes: len2 header + message
  std::string hex;
};

// Every vector of iso87-ascii.ndjson; fails the calling test (never skips)
// when the file is missing or a line is malformed.
std::vector<Vector> load_vectors();

std::string vectors_path();

}  // namespace authswitch::codec::test
