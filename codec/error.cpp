#include "codec/error.h"

namespace authswitch::codec {

std::string_view describe(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::truncated_mti: return "message ends inside the MTI";
    case ErrorCode::bad_mti: return "MTI is not 4 decimal digits";
    case ErrorCode::truncated_bitmap: return "message ends inside the bitmap";
    case ErrorCode::bad_bitmap: return "bitmap holds a non-hex character";
    case ErrorCode::missing_field: return "bitmap announces the field but the message has ended";
    case ErrorCode::truncated_field: return "message ends inside the field";
    case ErrorCode::bad_length_digits: return "length prefix is not decimal digits";
    case ErrorCode::length_above_max: return "length above the field's maximum";
    case ErrorCode::bad_content: return "character not allowed by the field's type";
    case ErrorCode::unknown_field: return "field not defined in the dialect";
    case ErrorCode::trailing_bytes: return "bytes after the last field";
    case ErrorCode::message_too_large: return "message too large";
    case ErrorCode::wrong_length: return "value shorter than the fixed field and no padding";
    case ErrorCode::buffer_too_small: return "output buffer too small";
    case ErrorCode::truncated_frame: return "frame shorter than its header or stated length";
    case ErrorCode::bad_frame_length: return "frame length is not 4 decimal digits";
    case ErrorCode::frame_out_of_step: return "frame length 0 or above max_message_bytes: stream out of step";
  }
  return "unknown error";
}

std::string_view name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::truncated_mti: return "truncated_mti";
    case ErrorCode::bad_mti: return "bad_mti";
    case ErrorCode::truncated_bitmap: return "truncated_bitmap";
    case ErrorCode::bad_bitmap: return "bad_bitmap";
    case ErrorCode::missing_field: return "missing_field";
    case ErrorCode::truncated_field: return "truncated_field";
    case ErrorCode::bad_length_digits: return "bad_length_digits";
    case ErrorCode::length_above_max: return "length_above_max";
    case ErrorCode::bad_content: return "bad_content";
    case ErrorCode::unknown_field: return "unknown_field";
    case ErrorCode::trailing_bytes: return "trailing_bytes";
    case ErrorCode::message_too_large: return "message_too_large";
    case ErrorCode::wrong_length: return "wrong_length";
    case ErrorCode::buffer_too_small: return "buffer_too_small";
    case ErrorCode::truncated_frame: return "truncated_frame";
    case ErrorCode::bad_frame_length: return "bad_frame_length";
    case ErrorCode::frame_out_of_step: return "frame_out_of_step";
  }
  return "unknown";
}

}  // namespace authswitch::codec
