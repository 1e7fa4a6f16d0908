// The built-in `iso87-ascii` dialect: the ISO 8583:1987 data element
// dictionary as common ASCII hosts speak it (SPEC 1). codec/specs/
// iso87-ascii.json is this table written out; a test keeps the two equal.
//
// Choices where the 1987 text leaves room (each as the SPEC or common hosts
// have it): x+n amounts (28-31, 97) are an, since they start with C or D;
// track 3 (36) is ans, its separators vary by issuer; 44 is ans..25 and 95
// is an42 (SPEC 1); b fields are raw bytes (52, 64, 96, 128: 8 bytes).
// Fixed n fields pad on the left with zeros, fixed a/an/ans fields on the
// right with spaces, so pack accepts "100" for an amount; unpack returns the
// wire text untouched.
#include "codec/dialect.h"

#include "core/assert.h"

namespace authswitch::codec {

namespace {

using enum ContentType;
using LT = LengthType;

struct Row {
  int field;
  ContentType type;
  LengthType length_type;
  std::uint16_t max_length;
};

// clang-format off
constexpr Row iso87_rows[] = {
  {2, n, LT::llvar, 19},      // primary account number
  {3, n, LT::fixed, 6},       // processing code
  {4, n, LT::fixed, 12},      // amount, transaction
  {5, n, LT::fixed, 12},      // amount, settlement
  {6, n, LT::fixed, 12},      // amount, cardholder billing
  {7, n, LT::fixed, 10},      // transmission date and time MMDDhhmmss
  {8, n, LT::fixed, 8},       // amount, cardholder billing fee
  {9, n, LT::fixed, 8},       // conversion rate, settlement
  {10, n, LT::fixed, 8},      // conversion rate, cardholder billing
  {11, n, LT::fixed, 6},      // systems trace audit number
  {12, n, LT::fixed, 6},      // time, local transaction hhmmss
  {13, n, LT::fixed, 4},      // date, local transaction MMDD
  {14, n, LT::fixed, 4},      // date, expiration YYMM
  {15, n, LT::fixed, 4},      // date, settlement
  {16, n, LT::fixed, 4},      // date, conversion
  {17, n, LT::fixed, 4},      // date, capture
  {18, n, LT::fixed, 4},      // merchant type
  {19, n, LT::fixed, 3},      // acquiring institution country code
  {20, n, LT::fixed, 3},      // PAN extended, country code
  {21, n, LT::fixed, 3},      // forwarding institution country code
  {22, n, LT::fixed, 3},      // point of service entry mode
  {23, n, LT::fixed, 3},      // card sequence number
  {24, n, LT::fixed, 3},      // network international identifier
  {25, n, LT::fixed, 2},      // point of service condition code
  {26, n, LT::fixed, 2},      // point of service PIN capture code
  {27, n, LT::fixed, 1},      // authorization id response length
  {28, an, LT::fixed, 9},     // amount, transaction fee (x+n8)
  {29, an, LT::fixed, 9},     // amount, settlement fee (x+n8)
  {30, an, LT::fixed, 9},     // amount, transaction processing fee (x+n8)
  {31, an, LT::fixed, 9},     // amount, settlement processing fee (x+n8)
  {32, n, LT::llvar, 11},     // acquiring institution id
  {33, n, LT::llvar, 11},     // forwarding institution id
  {34, ans, LT::llvar, 28},   // PAN, extended
  {35, z, LT::llvar, 37},     // track 2 data
  {36, ans, LT::lllvar, 104}, // track 3 data
  {37, an, LT::fixed, 12},    // retrieval reference number
  {38, an, LT::fixed, 6},     // authorization id response
  {39, an, LT::fixed, 2},     // response code
  {40, an, LT::fixed, 3},     // service restriction code
  {41, ans, LT::fixed, 8},    // card acceptor terminal id
  {42, ans, LT::fixed, 15},   // card acceptor id code
  {43, ans, LT::fixed, 40},   // card acceptor name/location
  {44, ans, LT::llvar, 25},   // additional response data
  {45, ans, LT::llvar, 76},   // track 1 data
  {46, ans, LT::lllvar, 999}, // additional data, ISO
  {47, ans, LT::lllvar, 999}, // additional data, national
  {48, ans, LT::lllvar, 999}, // additional data, private
  {49, n, LT::fixed, 3},      // currency code, transaction
  {50, n, LT::fixed, 3},      // currency code, settlement
  {51, n, LT::fixed, 3},      // currency code, cardholder billing
  {52, b, LT::fixed, 8},      // PIN data
  {53, n, LT::fixed, 16},     // security related control information
  {54, an, LT::lllvar, 120},  // additional amounts
  {55, ans, LT::lllvar, 999}, // reserved ISO (ICC data)
  {56, ans, LT::lllvar, 999}, // reserved ISO
  {57, ans, LT::lllvar, 999}, // reserved national
  {58, ans, LT::lllvar, 999}, // reserved national
  {59, ans, LT::lllvar, 999}, // reserved national
  {60, ans, LT::lllvar, 999}, // reserved national
  {61, ans, LT::lllvar, 999}, // reserved private
  {62, ans, LT::lllvar, 999}, // reserved private
  {63, ans, LT::lllvar, 999}, // reserved private
  {64, b, LT::fixed, 8},      // message authentication code
  {65, b, LT::fixed, 1},      // bitmap, extended
  {66, n, LT::fixed, 1},      // settlement code
  {67, n, LT::fixed, 2},      // extended payment code
  {68, n, LT::fixed, 3},      // receiving institution country code
  {69, n, LT::fixed, 3},      // settlement institution country code
  {70, n, LT::fixed, 3},      // network management information code
  {71, n, LT::fixed, 4},      // message number
  {72, n, LT::fixed, 4},      // message number, last
  {73, n, LT::fixed, 6},      // date, action YYMMDD
  {74, n, LT::fixed, 10},     // credits, number
  {75, n, LT::fixed, 10},     // credits, reversal number
  {76, n, LT::fixed, 10},     // debits, number
  {77, n, LT::fixed, 10},     // debits, reversal number
  {78, n, LT::fixed, 10},     // transfer, number
  {79, n, LT::fixed, 10},     // transfer, reversal number
  {80, n, LT::fixed, 10},     // inquiries, number
  {81, n, LT::fixed, 10},     // authorizations, number
  {82, n, LT::fixed, 12},     // credits, processing fee amount
  {83, n, LT::fixed, 12},     // credits, transaction fee amount
  {84, n, LT::fixed, 12},     // debits, processing fee amount
  {85, n, LT::fixed, 12},     // debits, transaction fee amount
  {86, n, LT::fixed, 16},     // credits, amount
  {87, n, LT::fixed, 16},     // credits, reversal amount
  {88, n, LT::fixed, 16},     // debits, amount
  {89, n, LT::fixed, 16},     // debits, reversal amount
  {90, n, LT::fixed, 42},     // original data elements
  {91, an, LT::fixed, 1},     // file update code
  {92, an, LT::fixed, 2},     // file security code
  {93, an, LT::fixed, 5},     // response indicator
  {94, an, LT::fixed, 7},     // service indicator
  {95, an, LT::fixed, 42},    // replacement amounts
  {96, b, LT::fixed, 8},      // message security code
  {97, an, LT::fixed, 17},    // amount, net settlement (x+n16)
  {98, ans, LT::fixed, 25},   // payee
  {99, n, LT::llvar, 11},     // settlement institution id
  {100, n, LT::llvar, 11},    // receiving institution id
  {101, ans, LT::llvar, 17},  // file name
  {102, ans, LT::llvar, 28},  // account id 1
  {103, ans, LT::llvar, 28},  // account id 2
  {104, ans, LT::lllvar, 100},// transaction description
  // 105-127: reserved for ISO, national and private use, ans...999.
  {128, b, LT::fixed, 8},     // message authentication code
};
// clang-format on

FieldSpec spec_of(const Row& row) noexcept {
  FieldSpec s;
  s.defined = true;
  s.type = row.type;
  s.length_type = row.length_type;
  s.max_length = row.max_length;
  s.prefix = PrefixEncoding::ascii;
  s.encoding = row.type == b ? ContentEncoding::binary : ContentEncoding::ascii;
  if (row.length_type == LT::fixed && row.type != b) {
    const bool numeric = row.type == n || row.type == z;
    s.padding = numeric ? Padding::left : Padding::right;
    s.pad_char = numeric ? '0' : ' ';
  }
  return s;
}

Dialect build_iso87_ascii() {
  Dialect d;
  d.set_name("iso87-ascii");
  for (const Row& row : iso87_rows) AS_ASSERT(d.define(row.field, spec_of(row)).empty());
  for (int f = 105; f <= 127; ++f) AS_ASSERT(d.define(f, spec_of({f, ans, LT::lllvar, 999})).empty());
  for (int f = first_data_field; f <= last_data_field; ++f) AS_ASSERT(d.field(f).defined);
  return d;
}

}  // namespace

const Dialect& Dialect::iso87_ascii() noexcept {
  static const Dialect dialect = build_iso87_ascii();
  return dialect;
}

}  // namespace authswitch::codec
