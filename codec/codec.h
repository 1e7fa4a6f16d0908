// The ISO 8583 codec in one include (SPEC 1). What each piece is for:
//
//   Dialect::iso87_ascii(), dialect_from_spec()   dialect.h, dialect_json.h
//       how fields, MTI and bitmaps are laid out; built once at start-up
//   Deframer                                       frame.h
//       cuts a TCP byte stream into message bodies (len2, ascii4), in the
//       caller's buffer; a bad length is frame_out_of_step (SPEC 9)
//   unpack(dialect, body, view) -> CodecError      unpack.h, message_view.h
//       zero-copy: view.wire(f) points into the body; O(1) per field
//   FieldValues + echo(), pack(...) -> PackResult  field_values.h, pack.h
//       a response from views (echoed request fields) and literals
//   field_text(), hex_encode()/hex_decode()        text.h
//       text of bcd/ebcdic fields; hex for tools and logs
//
// Errors are values naming the field and byte offset (error.h); nothing on
// the unpack/pack/deframe path allocates or locks.
//
//   io thread, per connection:
//     auto buf = d.writable(); n = recv(..., buf); d.commit(n);
//     for (auto m = d.next(); m.status == Deframer::Status::message; m = d.next()) {
//       MessageView req;
//       if (CodecError e = unpack(dialect, m.body, req); !e.ok()) { /* 30 or drop */ }
//       FieldValues resp;
//       resp.set_mti("0110");
//       resp.echo(req, FieldSet{2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49});
//       resp.set(39, "00");
//       PackResult r = pack(dialect, resp, out, {.framing = Framing::len2, .secondary_bitmap = {}});
//     }
#pragma once

#include "codec/dialect.h"
#include "codec/dialect_json.h"
#include "codec/error.h"
#include "codec/field_set.h"
#include "codec/field_values.h"
#include "codec/format.h"
#include "codec/frame.h"
#include "codec/message_view.h"
#include "codec/pack.h"
#include "codec/text.h"
#include "codec/unpack.h"
