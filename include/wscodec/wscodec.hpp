// SPDX-License-Identifier: MIT
// wscodec/wscodec.hpp — umbrella include: every public header of wscodec but the
// optional send_queue.hpp, which allocates, and zlib.hpp, which needs zlib
// (include them where they are wanted).
#pragma once

#include <wscodec/accept.hpp>
#include <wscodec/assembler.hpp>
#include <wscodec/byte_ranges.hpp>
#include <wscodec/bytes.hpp>
#include <wscodec/client_handshake.hpp>
#include <wscodec/close.hpp>
#include <wscodec/close_code.hpp>
#include <wscodec/connection.hpp>
#include <wscodec/control_queue.hpp>
#include <wscodec/deflate_message.hpp>
#include <wscodec/deflate_stream.hpp>
#include <wscodec/error.hpp>
#include <wscodec/error_code.hpp>
#include <wscodec/events.hpp>
#include <wscodec/extended_connect.hpp>
#include <wscodec/frame.hpp>
#include <wscodec/frame_reader.hpp>
#include <wscodec/frame_writer.hpp>
#include <wscodec/handshake.hpp>
#include <wscodec/handshake_reader.hpp>
#include <wscodec/http_message.hpp>
#include <wscodec/kernel.hpp>
#include <wscodec/limits.hpp>
#include <wscodec/mask.hpp>
#include <wscodec/output_batch.hpp>
#include <wscodec/permessage_deflate.hpp>
#include <wscodec/random.hpp>
#include <wscodec/server_handshake.hpp>
#include <wscodec/session.hpp>
#include <wscodec/url.hpp>
#include <wscodec/utf8.hpp>
#include <wscodec/utf8_result.hpp>
#include <wscodec/version.hpp>
