#include "tests/codec/vectors.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "codec/text.h"

namespace authswitch::codec::test {

std::string vectors_path() { return std::string(AUTHSWITCH_SHARED_DIR) + "/vectors/iso87-ascii.ndjson"; }

std::vector<Vector> load_vectors() {
  std::vector<Vector> out;
  simdjson::padded_string text;
  if (simdjson::padded_string::load(vectors_path()).get(text) != simdjson::SUCCESS) {
    ADD_FAILURE() << "cannot read " << vectors_path();
    return out;
  }
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  if (parser.parse_many(text).get(stream) != simdjson::SUCCESS) {
    ADD_FAILURE() << "cannot parse " << vectors_path();
    return out;
  }
  for (auto doc : stream) {
    simdjson::dom::element e;
    if (doc.get(e) != simdjson::SUCCESS) {
      ADD_FAILURE() << "bad line in " << vectors_path();
      return {};
    }
    Vector v;
    std::string_view s;
    EXPECT_EQ(e["name"].get_string().get(s), simdjson::SUCCESS);
    v.name = s;
    EXPECT_EQ(e["hex"].get_string().get(s), simdjson::SUCCESS);
    v.hex = s;
    v.frame.resize(v.hex.size() / 2);
    EXPECT_TRUE(hex_decode(v.hex, v.frame).has_value()) << v.name;
    simdjson::dom::object fields;
    EXPECT_EQ(e["fields"].get_object().get(fields), simdjson::SUCCESS);
    for (auto [key, value] : fields) {
      EXPECT_EQ(value.get_string().get(s), simdjson::SUCCESS);
      v.fields[std::stoi(std::string(key))] = std::string(s);
    }
    out.push_back(std::move(v));
  }
  if (out.empty()) ADD_FAILURE() << "no vectors in " << vectors_path();
  return out;
}

}  // namespace authswitch::codec::test
