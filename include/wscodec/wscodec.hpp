// wscodec/wscodec.hpp — umbrella include: every public header of wscodec.
#pragma once

#include <wscodec/accept.hpp>
#include <wscodec/assembler.hpp>
#include <wscodec/close.hpp>
#include <wscodec/close_code.hpp>
#include <wscodec/connection.hpp>
#include <wscodec/error.hpp>
#include <wscodec/events.hpp>
#include <wscodec/extended_connect.hpp>
#include <wscodec/frame.hpp>
#include <wscodec/handshake.hpp>
#include <wscodec/limits.hpp>
#include <wscodec/mask.hpp>
#include <wscodec/random.hpp>
#include <wscodec/session.hpp>
#include <wscodec/utf8.hpp>
